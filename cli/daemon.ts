// What mesos-master and mesos-agent share once their flags are parsed: start, say where they
// listen, stop cleanly on SIGINT/SIGTERM, and stop too when the parent that spawned them with an
// IPC channel (mesos-local) goes away, so a killed mesos-local leaves no daemons behind.

import type { Logger } from '../runtime/index.js';
import { exitWithError } from './flags.js';

export interface DaemonHandle {
  pid: string;
  address: string;
  stop(): Promise<void>;
  /** Resolves with a reason if the daemon ends on its own (an agent told to shut down). */
  terminated?: Promise<string>;
  /** A graceful stop (an agent unregisters and kills its executors); it ends through `terminated`. */
  shutdownGracefully?: (why: string) => void;
}

/** Sent over the IPC channel once listening, so a parent learns a port 0 daemon's address. */
export interface StartedMessage {
  event: 'started';
  role: string;
  pid: string;
  address: string;
}

/** Sent over the IPC channel by a parent that wants the daemon to stop (signals reach no Windows child). */
export interface StopMessage {
  event: 'stop';
}

export async function runDaemon(options: {
  role: 'master' | 'agent';
  /** `ip:port` it tries to listen on, for the error when that fails. */
  listen: string;
  logger: Logger;
  start: () => Promise<DaemonHandle>;
  /** Exit code when the daemon terminates on its own with this reason. */
  exitCodeFor?: (reason: string) => number;
  /** Signals that call handle.shutdownGracefully instead of stopping (mesos-agent: SIGUSR1, as Mesos). */
  gracefulSignals?: NodeJS.Signals[];
}): Promise<void> {
  const { role, logger } = options;
  // A parent that dies while we start (mesos-local interrupted) must not leave us running.
  let orphaned = false;
  const onEarlyDisconnect = (): void => void (orphaned = true);
  if (process.send !== undefined) process.once('disconnect', onEarlyDisconnect);
  let handle: DaemonHandle;
  try {
    handle = await options.start();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') exitWithError(`cannot listen on ${options.listen}: address already in use (another ${role} running? choose another --port)`);
    if (e.code === 'EADDRNOTAVAIL') exitWithError(`cannot listen on ${options.listen}: no such address on this host (check --ip)`);
    exitWithError(`the ${role} failed to start: ${e.message}`);
  }
  process.off('disconnect', onEarlyDisconnect);

  const title = role === 'master' ? 'Master' : 'Agent';

  let stopping = false;
  const stop = (why: string, code = 0): void => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for a clean stop.
      process.exit(130);
    }
    stopping = true;
    logger.info(`${why}: stopping the ${role}`);
    const force = setTimeout(() => {
      logger.error(`the ${role} did not stop within 10 seconds; exiting`);
      process.exit(1);
    }, 10_000);
    force.unref();
    handle
      .stop()
      .then(() => process.exit(code))
      .catch((err: unknown) => {
        logger.error({ err }, `error while stopping the ${role}`);
        process.exit(1);
      });
  };
  const graceful = new Set(handle.shutdownGracefully ? options.gracefulSignals ?? [] : []);
  for (const signal of graceful) {
    process.on(signal, () => {
      if (stopping) return;
      logger.info(`${signal}: shutting the ${role} down gracefully`);
      handle.shutdownGracefully!(`Received ${signal} signal`);
    });
  }
  if (!graceful.has('SIGINT')) process.on('SIGINT', () => stop('SIGINT'));
  if (!graceful.has('SIGTERM')) process.on('SIGTERM', () => stop('SIGTERM'));
  if (process.send !== undefined) {
    if (orphaned || !process.connected) stop('the parent process went away');
    process.on('disconnect', () => stop('the parent process went away'));
    process.on('message', (m: unknown) => {
      if ((m as Partial<StopMessage> | null)?.event === 'stop') stop('asked to stop by the parent process');
    });
  }
  // Announced only once the signal handlers are in: a quick SIGTERM must find them.
  logger.info({ [role]: handle.pid, address: handle.address }, `${title} started at ${handle.pid} (http://${handle.address}/state)`);
  if (process.send !== undefined && process.connected) {
    const started: StartedMessage = { event: 'started', role, pid: handle.pid, address: handle.address };
    process.send(started, undefined, {}, () => undefined);
  }
  void handle.terminated?.then((reason) => {
    if (stopping) return;
    logger.warn(`${title} terminated: ${reason}`);
    stop('terminated', options.exitCodeFor?.(reason) ?? 1);
  });
}
