// Actor addresses. A Pid is the string `id@host:port`, as libprocess's UPID: cheap to compare,
// to use as a map key and to put on the wire. The address part names the runtime (one per OS
// process) that hosts the actor.

import { ValidationError } from './errors.js';

export type Pid = string & { readonly __brand: 'Pid' };

export function pid(id: string, address: string): Pid {
  return `${id}@${address}` as Pid;
}

/** Parses `id@host:port`; throws a ValidationError naming what is wrong. */
export function parsePid(text: string): Pid {
  const at = text.indexOf('@');
  if (at <= 0) throw new ValidationError(`'${text}' is not a pid: expected id@host:port`);
  parseAddress(text.slice(at + 1));
  return text as Pid;
}

/** Parses `host:port` (IPv4 or name); returns its parts. */
export function parseAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ValidationError(`'${text}' is not an address: expected host:port`);
  }
  return { host, port };
}

export function pidId(p: string): string {
  const at = p.indexOf('@');
  return at < 0 ? p : p.slice(0, at);
}

export function pidAddress(p: string): string {
  return p.slice(p.indexOf('@') + 1);
}
