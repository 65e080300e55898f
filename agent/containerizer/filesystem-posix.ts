// The filesystem/posix isolator (Mesos's isolators/filesystem/posix.cpp): containers share the
// host's file system, so a persistent volume reaches a container as a symlink in its sandbox,
// `<sandbox>/<container_path>` → the volume's directory on the host, made when the volume is
// added to the container and removed when it leaves; the volume is handed to the sandbox's
// owner (the task's user) first, unless another container uses it (a shared volume). Container
// paths with a '/' are skipped with a warning, as Mesos does. Where a volume lives on the host
// (its directory under work_dir) is the volumes code's to say: it calls linkVolumes with it.

import { chown, lstat, mkdir, realpath, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A persistent volume as the isolator links it into a container. */
export interface VolumeLink {
  /** Its persistence id (DiskInfo.persistence.id). */
  id: string;
  /** Its directory on the host (which exists). */
  hostPath: string;
  /** Relative to the sandbox (DiskInfo.volume.container_path). */
  containerPath: string;
  /** A shared volume (Resource.shared) may be in several containers at once. */
  shared?: boolean;
}

export class PosixFilesystem {
  /** The volumes linked into each container, by container id. */
  private readonly linked = new Map<string, VolumeLink[]>();

  /**
   * Makes the container's links match `volumes`: links of volumes no longer there are removed,
   * new ones made (an existing link must already point at the volume). Resolves with a warning
   * per volume skipped; rejects with the reason when a link cannot be made (those made before stay).
   */
  async linkVolumes(containerId: string, sandbox: string, volumes: readonly VolumeLink[]): Promise<string[]> {
    const current = this.linked.get(containerId) ?? [];
    const warnings: string[] = [];
    const usable = (v: VolumeLink, warn = false): boolean => {
      if (!v.containerPath.includes('/') && v.containerPath !== '' && v.containerPath !== '.' && v.containerPath !== '..') return true;
      if (warn) warnings.push(`Skipping the symlink for persistent volume ${v.id} of container ${containerId}: its container path '${v.containerPath}' is not a plain name`);
      return false;
    };
    for (const v of current) {
      if (!usable(v) || volumes.some((w) => sameVolume(v, w))) continue;
      await rm(join(sandbox, v.containerPath), { force: true });
    }
    const owner = await stat(sandbox);
    const done: VolumeLink[] = current.filter((v) => volumes.some((w) => sameVolume(v, w)));
    this.linked.set(containerId, done);
    for (const v of volumes) {
      if (!usable(v, true) || current.some((w) => sameVolume(v, w))) continue;
      // A root container can use the volume as it is; another user gets it unless a container already uses it.
      if (owner.uid !== 0 && !(v.shared && this.inUseElsewhere(containerId, v))) {
        await chown(v.hostPath, owner.uid, owner.gid).catch((e: unknown) => {
          throw new Error(`Failed to change the ownership of the persistent volume at '${v.hostPath}' with uid ${owner.uid} and gid ${owner.gid}: ${(e as Error).message}`);
        });
      }
      const link = join(sandbox, v.containerPath);
      if (await lstat(link).then(() => true, () => false)) {
        // Linked before (an agent restart forgets what it linked): it must be the same volume.
        const [target, original] = await Promise.all([realpath(link).catch(() => ''), realpath(v.hostPath).catch(() => v.hostPath)]);
        if (target !== original) throw new Error(`The existing symlink '${link}' points to '${target || '(nothing)'}' and the new target is '${original}'`);
      } else {
        await mkdir(sandbox, { recursive: true });
        await symlink(v.hostPath, link).catch((e: unknown) => {
          throw new Error(`Failed to symlink persistent volume from '${v.hostPath}' to '${link}': ${(e as Error).message}`);
        });
      }
      done.push(v);
    }
    return warnings;
  }

  /** The volumes linked into the container. */
  volumes(containerId: string): readonly VolumeLink[] {
    return this.linked.get(containerId) ?? [];
  }

  /** The container ended. Its links go with its sandbox when that is collected, as in Mesos. */
  cleanup(containerId: string): void {
    this.linked.delete(containerId);
  }

  private inUseElsewhere(containerId: string, v: VolumeLink): boolean {
    for (const [id, vs] of this.linked) if (id !== containerId && vs.some((w) => sameVolume(v, w))) return true;
    return false;
  }
}

function sameVolume(a: VolumeLink, b: VolumeLink): boolean {
  return a.id === b.id && a.hostPath === b.hostPath && a.containerPath === b.containerPath;
}
