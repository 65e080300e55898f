// What the Mesos containerizer here cannot run, refused with a reason rather than run on the
// host: a DOCKER container (mesos-ts has no Docker containerizer or daemon), ContainerInfo
// volumes (filesystem/posix cannot mount them) and a MESOS container with an image (no
// provisioner). Mesos refuses such launches too when the containerizer, isolator or image
// provider they need is not configured.

import type { ContainerInfo, ExecutorInfo, TaskInfo } from '../../protocol/index.js';

/** Why the task cannot be launched here, or undefined when it can. */
export function containerRefusal(task: TaskInfo, executor?: ExecutorInfo): string | undefined {
  return refusal(task.container, 'task') ?? refusal(executor?.container ?? task.executor?.container, 'executor');
}

function refusal(container: ContainerInfo | undefined, whose: string): string | undefined {
  if (container === undefined) return undefined;
  if (container.type === 'DOCKER') {
    return `The ${whose}'s ContainerInfo is of type DOCKER, which this agent cannot run: it has only the Mesos containerizer (--containerizers=mesos) and no Docker daemon`;
  }
  if ((container.volumes ?? []).length > 0) {
    // Mesos's filesystem/posix refuses them too; mounting them takes filesystem/linux.
    return `The ${whose}'s ContainerInfo has volumes, which the filesystem/posix isolator does not support (there is no filesystem/linux here); persistent volumes are linked from their resources`;
  }
  if (container.mesos?.image !== undefined) {
    return `The ${whose}'s MESOS container has an image, which this agent cannot provision (no --image_providers): it would otherwise run on the host's file system`;
  }
  return undefined;
}
