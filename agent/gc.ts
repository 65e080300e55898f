// Sandbox garbage collection (Mesos's GarbageCollector and --gc_delay, --gc_disk_headroom,
// --disk_watch_interval): the sandbox of an executor run that has ended stays on disk, and
// browsable through /files, until gc_delay after it ended — sooner when the disk fills: each
// disk check prunes what is older than gc_delay × max(0, 1 − gc_disk_headroom − disk usage).

import { rm, statfs } from 'node:fs/promises';
import type { AgentContext } from './context.js';

const TIMER = 'gc-sandboxes';
const DISK_TIMER = 'gc-disk-watch';

export class GarbageCollector {
  /** Sandbox → when it was scheduled (agent clock, ms). */
  private readonly pending = new Map<string, number>();
  /** Of what is due, the oldest age allowed to stay given the disk's usage (Mesos's maxAllowedAge). */
  private maxAgeMs: number;

  constructor(private readonly ctx: AgentContext) {
    this.maxAgeMs = ctx.config.gcDelayMs;
  }

  start(): void {
    // Nothing to do until a sandbox is scheduled: no timers of its own on an idle agent.
  }

  /** The run in `directory` ended: remove its sandbox once it is old enough. */
  schedule(directory: string): void {
    this.pending.set(directory, this.ctx.now());
    this.arm();
    if (!this.ctx.isTimerActive(DISK_TIMER)) this.ctx.startTimer(DISK_TIMER, this.ctx.config.diskWatchIntervalMs, { name: '_GcDiskUsage', usage: undefined });
  }

  /** Removes every sandbox older than the allowed age. */
  collect(): void {
    const now = this.ctx.now();
    const maxAge = Math.min(this.maxAgeMs, this.ctx.config.gcDelayMs);
    for (const [dir, at] of [...this.pending]) {
      if (now - at < maxAge) continue;
      this.pending.delete(dir);
      this.ctx.files.detachReal(dir);
      this.ctx.log.info({ path: dir }, 'deleting the sandbox of a completed executor run');
      void rm(dir, { recursive: true, force: true }).catch((err: unknown) => this.ctx.log.warn({ path: dir, problem: String(err) }, 'cannot delete a sandbox'));
    }
    this.arm();
  }

  /** The disk-watch timer fired (usage undefined: measure it now) or the measurement arrived. */
  diskUsage(usage: number | undefined): void {
    const { ctx } = this;
    if (usage === undefined) {
      if (this.pending.size === 0) return;
      ctx.pipeToSelf(
        statfs(ctx.config.workDir).then((s) => (s.blocks > 0 ? 1 - s.bavail / s.blocks : 0)),
        (u) => ({ name: '_GcDiskUsage', usage: u }),
        () => ({ name: '_GcDiskUsage', usage: 0 }),
      );
      return;
    }
    this.maxAgeMs = ctx.config.gcDelayMs * Math.max(0, 1 - ctx.config.gcDiskHeadroom - usage);
    this.collect();
    if (this.pending.size > 0) ctx.startTimer(DISK_TIMER, ctx.config.diskWatchIntervalMs, { name: '_GcDiskUsage', usage: undefined });
  }

  /** The timer for the next sandbox due. */
  private arm(): void {
    const { ctx } = this;
    if (this.pending.size === 0) return ctx.cancelTimer(TIMER);
    // Scheduled in time order, so the first is the oldest.
    const oldest = this.pending.values().next().value ?? ctx.now();
    const due = Math.max(0, oldest + Math.min(this.maxAgeMs, ctx.config.gcDelayMs) - ctx.now());
    ctx.startTimer(TIMER, due, { name: '_GcSandboxes' });
  }
}
