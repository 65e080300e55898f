// Logging: pino JSON on stderr, pretty-printed when stderr is a terminal. Each actor gets a
// child logger carrying its pid, so one process's lines can be told apart by actor.

import { pino, destination, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { ValidationError } from './errors.js';

export type { Logger };

export function createLogger(options: { level?: string; name?: string; pretty?: boolean } = {}): Logger {
  const level = (options.level ?? 'info') as LevelWithSilent;
  const base = { level, ...(options.name ? { name: options.name } : {}) };
  if (options.pretty ?? process.stderr.isTTY) {
    return pino(base, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  }
  return pino(base, destination({ fd: 2, sync: false }));
}

/** Maps Mesos's --logging_level names (INFO, WARNING, ERROR) onto pino's levels. */
export function pinoLevel(mesosLevel: string): LevelWithSilent {
  const map: Record<string, LevelWithSilent> = { INFO: 'info', WARNING: 'warn', ERROR: 'error', FATAL: 'fatal', DEBUG: 'debug', TRACE: 'trace', SILENT: 'silent' };
  const level = map[mesosLevel.toUpperCase()];
  if (!level) throw new ValidationError(`unknown logging level '${mesosLevel}' (expected INFO, WARNING or ERROR)`);
  return level;
}
