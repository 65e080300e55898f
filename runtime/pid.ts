// Actor addresses. A Pid is the string `id@host:port`, as libprocess's UPID: cheap to compare,
// to use as a map key and to put on the wire. The address part names the runtime (one per OS
// process) that hosts the actor.

import { ValidationError } from './errors.js';
import type { Message } from './message.js';

/**
 * An actor's address, typed by the messages it accepts. `In` is a phantom: at run time and on
 * the wire a Pid is only the string. Declared as a method so that `Pid<In>` and the untyped
 * `Pid` convert both ways, while pids of unrelated inboxes do not.
 */
export type Pid<In extends Message = Message> = string & {
  readonly __brand: 'Pid';
  __inbox(msg: In): void;
};

/**
 * What `send(to, msg)` accepts for a receiver of inbox T: exactly T (checked against the
 * receiver's inbox, misspelt names and fields included) or, for an untyped Pid, any message M.
 */
export type Accepts<T extends Message, M extends Message> = Message extends T ? M : NoInfer<T>;

export function pid<In extends Message = Message>(id: string, address: string): Pid<In> {
  return `${id}@${address}` as Pid<In>;
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
