// Health checks and checks of a task (Mesos's src/checks/health_checker.cpp and checker.cpp): a
// COMMAND run in the task's sandbox, an HTTP GET or a TCP connect to 127.0.0.1, repeated on a
// timer. A health checker reports healthy/unhealthy when that changes and tells its executor to
// kill the task after `consecutive_failures`; a checker reports each new check status.
// Mesos runs curl and a tcp-connect helper; here node:http and node:net do the same in-process.

import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { signalGroup, type Cancel, type Clock } from '../runtime/index.js';
import type { CheckInfo, CheckStatusInfo, CommandInfo, HealthCheck } from '../protocol/index.js';

/** Mesos's defaults (HealthCheck and CheckInfo in mesos.proto). */
export const HEALTH_CHECK_DEFAULTS = { delay: 15, interval: 10, timeout: 20, consecutiveFailures: 3, gracePeriod: 10 } as const;
export const CHECK_DEFAULTS = { delay: 15, interval: 10, timeout: 20 } as const;

/** Where the probes run: the task's sandbox and environment. */
export interface ProbeContext {
  directory: string;
  env: Readonly<Record<string, string>>;
}

export type ProbeSpec =
  | { type: 'COMMAND'; command: CommandInfo }
  | { type: 'HTTP'; scheme: 'http' | 'https'; port: number; path: string; statuses?: readonly number[] | undefined }
  | { type: 'TCP'; port: number };

/** One probe's outcome: `ok`, the observed value, and why it failed. */
export interface ProbeResult {
  ok: boolean;
  /** False when the probe could not complete (timeout, could not start): a check then has no result. */
  completed: boolean;
  exitCode?: number;
  statusCode?: number;
  message: string;
}

/** Runs one probe, never rejecting; a probe still running after `timeoutMs` fails. */
export function runProbe(spec: ProbeSpec, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  switch (spec.type) {
    case 'COMMAND':
      return commandProbe(spec.command, ctx, timeoutMs);
    case 'HTTP':
      return httpProbe(spec, timeoutMs);
    case 'TCP':
      return tcpProbe(spec.port, timeoutMs);
  }
}

function commandProbe(command: CommandInfo, ctx: ProbeContext, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, ...ctx.env };
    for (const v of command.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
    const shell = command.shell ?? true;
    const value = command.value ?? '';
    const argv = command.arguments && command.arguments.length > 0 ? command.arguments : [value];
    const options = { cwd: ctx.directory, env, detached: true, stdio: 'ignore' as const };
    let child;
    try {
      child = shell ? spawn('/bin/sh', ['-c', value], options) : spawn(value, argv.slice(1), { ...options, argv0: argv[0] ?? value });
    } catch (e) {
      resolve({ ok: false, completed: false, message: `Failed to create subprocess: ${(e as Error).message}` });
      return;
    }
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    // The check's own process group: a timeout takes whatever it forked with it.
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      finish({ ok: false, completed: false, message: `Command has not returned after ${timeoutMs / 1000}secs; aborting` });
    }, timeoutMs);
    child.once('error', (e) => finish({ ok: false, completed: false, message: `Failed to create subprocess: ${e.message}` }));
    child.once('exit', (code, signal) => {
      if (code === 0) return finish({ ok: true, completed: true, exitCode: 0, message: 'Command returned 0' });
      const status = signal !== null ? `terminated by signal ${signal}` : `exited with status ${code ?? -1}`;
      finish({ ok: false, completed: true, exitCode: code ?? -1, message: `Command ${status}` });
    });
  });
}

function httpProbe(spec: Extract<ProbeSpec, { type: 'HTTP' }>, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = spec.scheme === 'https' ? httpsRequest : httpRequest;
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const url = `${spec.scheme}://127.0.0.1:${spec.port}${spec.path}`;
    const req = request({ host: '127.0.0.1', port: spec.port, path: spec.path || '/', method: 'GET', rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      // Mesos's health check accepts 200–399; a check reports whatever code came back.
      const ok = spec.statuses !== undefined && spec.statuses.length > 0 ? spec.statuses.includes(code) : code >= 200 && code < 400;
      finish({ ok, completed: true, statusCode: code, message: ok ? `${url} returned ${code}` : `Unexpected HTTP response code: ${code} from ${url}` });
    });
    const timer = setTimeout(() => finish({ ok: false, completed: false, message: `GET ${url} has not returned after ${timeoutMs / 1000}secs; aborting` }), timeoutMs);
    req.on('error', (e) => finish({ ok: false, completed: false, message: `GET ${url} failed: ${e.message}` }));
    req.end();
  });
}

function tcpProbe(port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => finish({ ok: false, completed: false, message: `Connecting to 127.0.0.1:${port} has not returned after ${timeoutMs / 1000}secs; aborting` }), timeoutMs);
    socket.once('connect', () => finish({ ok: true, completed: true, message: `Connected to 127.0.0.1:${port}` }));
    // A refused connection is a completed check whose answer is "no".
    socket.once('error', (e) => finish({ ok: false, completed: true, message: `Failed to connect to 127.0.0.1:${port}: ${e.message}` }));
  });
}

const seconds = (v: number | undefined, d: number): number => Math.max(0, v ?? d) * 1000;

/** A HealthCheck's probe, or undefined when validation should have refused it. */
export function healthProbe(h: HealthCheck): ProbeSpec | undefined {
  if (h.type === 'COMMAND' && h.command) return { type: 'COMMAND', command: h.command };
  if (h.type === 'HTTP' && h.http) return { type: 'HTTP', scheme: h.http.scheme === 'https' ? 'https' : 'http', port: h.http.port, path: h.http.path ?? '', statuses: h.http.statuses };
  if (h.type === 'TCP' && h.tcp) return { type: 'TCP', port: h.tcp.port };
  return undefined;
}

export function checkProbe(c: CheckInfo): ProbeSpec | undefined {
  if (c.type === 'COMMAND' && c.command) return { type: 'COMMAND', command: c.command.command };
  if (c.type === 'HTTP' && c.http) return { type: 'HTTP', scheme: 'http', port: c.http.port, path: c.http.path ?? '', statuses: [] };
  if (c.type === 'TCP' && c.tcp) return { type: 'TCP', port: c.tcp.port };
  return undefined;
}

/**
 * A probe every `intervalMs` after `delayMs`, each bounded by `timeoutMs`, until stopped; what a
 * result means is the subclass's (Mesos's HealthChecker and Checker share this loop).
 */
abstract class ProbeLoop {
  private timer: Cancel | undefined;
  private stopped = false;

  constructor(
    protected readonly probe: ProbeSpec,
    private readonly ctx: ProbeContext,
    protected readonly clock: Clock,
    private readonly timing: { delayMs: number; intervalMs: number; timeoutMs: number },
  ) {}

  start(): void {
    this.schedule(this.timing.delayMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
  }

  protected abstract handle(result: ProbeResult): void;

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(ms, () => void this.perform());
  }

  private async perform(): Promise<void> {
    this.timer = undefined;
    const result = await runProbe(this.probe, this.ctx, this.timing.timeoutMs);
    if (this.stopped) return;
    this.handle(result);
    this.schedule(this.timing.intervalMs);
  }
}

export interface HealthUpdate {
  healthy: boolean;
  /** consecutive_failures reached: the executor should kill the task. */
  killTask: boolean;
  consecutiveFailures: number;
  message: string;
}

/**
 * Mesos's HealthChecker: after `delay_seconds`, a probe every `interval_seconds`. The first
 * success (and the first after failures) reports healthy; each failure outside the grace period
 * (which ends with the first success) reports unhealthy, with killTask once
 * `consecutive_failures` is reached. It goes on until stopped: the executor does the killing.
 */
export class HealthChecker extends ProbeLoop {
  private initializing = true;
  private failures = 0;
  private readonly startedAt: number;

  constructor(
    private readonly check: HealthCheck,
    probe: ProbeSpec,
    ctx: ProbeContext,
    clock: Clock,
    private readonly onUpdate: (u: HealthUpdate) => void,
  ) {
    super(probe, ctx, clock, {
      delayMs: seconds(check.delay_seconds, HEALTH_CHECK_DEFAULTS.delay),
      intervalMs: seconds(check.interval_seconds, HEALTH_CHECK_DEFAULTS.interval),
      timeoutMs: seconds(check.timeout_seconds, HEALTH_CHECK_DEFAULTS.timeout),
    });
    this.startedAt = clock.now();
  }

  protected handle(result: ProbeResult): void {
    if (result.ok) this.success();
    else this.failure(result.message);
  }

  private success(): void {
    if (this.initializing || this.failures > 0) this.onUpdate({ healthy: true, killTask: false, consecutiveFailures: 0, message: 'healthy' });
    this.initializing = false;
    this.failures = 0;
  }

  private failure(message: string): void {
    const grace = seconds(this.check.grace_period_seconds, HEALTH_CHECK_DEFAULTS.gracePeriod);
    if (this.initializing && grace > 0 && this.clock.now() - this.startedAt <= grace) return;
    this.failures++;
    const max = this.check.consecutive_failures ?? HEALTH_CHECK_DEFAULTS.consecutiveFailures;
    this.onUpdate({ healthy: false, killTask: this.failures >= max, consecutiveFailures: this.failures, message: `${this.probe.type} health check failed: ${message}` });
  }
}

/** The empty status a check has before its first result (Mesos sends it with TASK_RUNNING). */
export function emptyCheckStatus(c: CheckInfo): CheckStatusInfo {
  const type = c.type ?? 'UNKNOWN';
  if (type === 'COMMAND') return { type, command: {} };
  if (type === 'HTTP') return { type, http: {} };
  if (type === 'TCP') return { type, tcp: {} };
  return { type };
}

/**
 * Mesos's Checker: a probe every `interval_seconds` after `delay_seconds`; each result that
 * differs from the last is reported. A probe that could not complete has no value (an empty
 * status), as in Mesos.
 */
export class Checker extends ProbeLoop {
  private last: string;

  constructor(
    private readonly check: CheckInfo,
    probe: ProbeSpec,
    ctx: ProbeContext,
    clock: Clock,
    private readonly onUpdate: (s: CheckStatusInfo) => void,
  ) {
    super(probe, ctx, clock, {
      delayMs: seconds(check.delay_seconds, CHECK_DEFAULTS.delay),
      intervalMs: seconds(check.interval_seconds, CHECK_DEFAULTS.interval),
      timeoutMs: seconds(check.timeout_seconds, CHECK_DEFAULTS.timeout),
    });
    this.last = JSON.stringify(emptyCheckStatus(check));
  }

  protected handle(r: ProbeResult): void {
    const status = emptyCheckStatus(this.check);
    if (r.completed) {
      if (status.command) status.command = { exit_code: r.exitCode ?? -1 };
      if (status.http && r.statusCode !== undefined) status.http = { status_code: r.statusCode };
      if (status.tcp) status.tcp = { succeeded: r.ok };
    }
    const text = JSON.stringify(status);
    if (text !== this.last) {
      this.last = text;
      this.onUpdate(status);
    }
  }
}
