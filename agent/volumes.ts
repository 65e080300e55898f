// The agent's checkpointed resources and persistent volumes (Mesos's Slave::checkpointResources
// and syncCheckpointedResources, and the filesystem/posix isolator's volume links): the master's
// CheckpointResources is written to meta/resources/resources_info, each new volume gets its
// directory <work_dir>/volumes/roles/<role>/<persistence_id> and a destroyed one loses it; the
// agent's total is its --resources with the checkpointed ones laid over them, reported to the
// master on every (re-)registration. A container whose resources hold a volume finds it linked
// at the volume's container_path in its sandbox; the directory outlives the container.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { applyCheckpointedResources, Resources, type CheckpointResources, type Resource } from '../protocol/index.js';
import type { Pid } from '../runtime/index.js';
import * as ckpt from './checkpoint.js';
import type { AgentContext } from './context.js';

/** `<work_dir>/volumes/roles/<role>/<persistence_id>`; a hierarchical role's '/' becomes ' ' so the role is one segment. */
export function volumePath(workDir: string, role: string, persistenceId: string): string {
  if (persistenceId === '' || persistenceId === '.' || persistenceId === '..' || persistenceId.includes('/') || persistenceId.includes('\0')) {
    throw new RangeError(`persistence id ${JSON.stringify(persistenceId)} cannot be used as a path segment`);
  }
  return join(workDir, 'volumes', 'roles', role.replaceAll('/', ' '), persistenceId);
}

interface VolumeRef {
  role: string;
  id: string;
  containerPath: string;
}

function volumesIn(r: Resources): VolumeRef[] {
  const out: VolumeRef[] = [];
  for (const e of r.entries()) {
    const p = e.disk?.persistence;
    if (p === undefined) continue;
    out.push({ role: e.role, id: p.id, containerPath: e.disk?.volume?.container_path ?? '' });
  }
  return out;
}

export class Volumes {
  /** Dynamic reservations and persistent volumes, as last checkpointed. */
  private checkpointedResources: Resources;
  private totalResources: Resources;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: AgentContext,
    initial: readonly Resource[],
  ) {
    this.checkpointedResources = Resources.EMPTY;
    this.totalResources = ctx.config.resources;
    if (initial.length === 0) return;
    let parsed: Resources | string;
    try {
      parsed = Resources.fromJSON(initial);
    } catch (err) {
      parsed = (err as Error).message;
    }
    const total = typeof parsed === 'string' ? parsed : applyCheckpointedResources(ctx.config.resources, parsed);
    if (typeof total === 'string' || typeof parsed === 'string') {
      // Mesos refuses to start here; the master's view comes back when the agent re-registers.
      ctx.log.error({ problem: total }, 'ignoring checkpointed resources that do not fit the agent\'s resources');
      return;
    }
    this.checkpointedResources = parsed;
    this.totalResources = total;
  }

  get checkpointed(): Resources {
    return this.checkpointedResources;
  }

  /** The agent's total: --resources with the reservations and volumes applied. */
  get total(): Resources {
    return this.totalResources;
  }

  /** M→A CheckpointResources (Mesos's CheckpointResourcesMessage). */
  checkpointResources(m: CheckpointResources, from: Pid | ''): void {
    const { ctx } = this;
    if (!ctx.fromMaster(from, m.name)) return;
    let next: Resources;
    try {
      next = Resources.fromJSON(m.resources).unallocate();
    } catch (err) {
      return ctx.dropped(m.name, from, `invalid resources: ${(err as Error).message}`);
    }
    const total = applyCheckpointedResources(ctx.config.resources, next);
    if (typeof total === 'string') return ctx.dropped(m.name, from, total);
    try {
      for (const v of volumesIn(next)) volumePath(ctx.config.workDir, v.role, v.id);
    } catch (err) {
      return ctx.dropped(m.name, from, (err as Error).message);
    }
    const before = volumesIn(this.checkpointedResources);
    const after = volumesIn(next);
    const key = (v: VolumeRef) => `${v.role}\u0000${v.id}`;
    const kept = new Set(after.map(key));
    const had = new Set(before.map(key));
    const created = after.filter((v) => !had.has(key(v)));
    const destroyed = before.filter((v) => !kept.has(key(v)));
    this.checkpointedResources = next;
    this.totalResources = total;
    ctx.log.info({ resources: next.toString() }, 'checkpointing resources');
    const workDir = ctx.config.workDir;
    const records = next.toJSON() as unknown as ckpt.Json[];
    this.persist('resources', async () => {
      // Volumes first: a checkpoint names only volumes whose directories exist.
      for (const v of created) await mkdir(volumePath(workDir, v.role, v.id), { recursive: true });
      await ckpt.checkpointResourcesInfo(workDir, records, { fsync: ctx.config.checkpointFsync });
      for (const v of destroyed) await rm(volumePath(workDir, v.role, v.id), { recursive: true, force: true });
    });
  }

  /**
   * Links every persistent volume among `resources` into the container's sandbox at its
   * container_path, through the filesystem/posix isolator; the volume's directory is made if
   * missing. A volume the agent was not told of fails the launch.
   */
  async link(containerId: string, sandbox: string, resources: readonly Resource[]): Promise<void> {
    let r: Resources;
    try {
      r = Resources.fromJSON(resources).unallocate();
    } catch {
      return; // the master validated them; nothing to link
    }
    const known = new Set(volumesIn(this.checkpointedResources).map((v) => `${v.role}\u0000${v.id}`));
    const links = [];
    for (const v of volumesIn(r)) {
      // Only volumes the master created here (Mesos's agent checks its checkpointed resources too).
      if (!known.has(`${v.role}\u0000${v.id}`)) throw new Error(`persistent volume ${v.id} of role ${v.role} is not among this agent's checkpointed resources`);
      const hostPath = volumePath(this.ctx.config.workDir, v.role, v.id);
      await mkdir(hostPath, { recursive: true });
      links.push({ id: v.id, hostPath, containerPath: v.containerPath });
    }
    if (links.length === 0) return;
    for (const warning of await this.ctx.containerizer.linkVolumes(containerId, sandbox, links)) this.ctx.log.warn({ container: containerId }, warning);
  }

  private persist(what: string, write: () => Promise<void>): void {
    const p = this.chain.then(write);
    this.chain = p.catch(() => {});
    this.ctx.pipeToSelf(
      p,
      () => ({ name: '_CheckpointWritten', what, error: undefined }),
      (err) => ({ name: '_CheckpointWritten', what, error: String(err) }),
    );
  }
}
