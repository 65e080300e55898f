// Credentials in Mesos's formats: `--credentials` (the master's list) is JSON
// `{"credentials":[{"principal":"p","secret":"s"}]}`; `--credential` (one agent's or
// framework's) is that JSON with one entry, a bare `{"principal","secret"}` object, or the text
// `principal secret` on its first line. A `file://` prefix or a path is read from disk.

import { readFileSync } from 'node:fs';
import { ValidationError } from './errors.js';
import type { Credential } from './handshake.js';

function text(source: string): string {
  const path = source.startsWith('file://') ? source.slice('file://'.length) : source;
  const trimmed = source.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return source;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read credentials from '${path}': ${(err as Error).message}`);
  }
}

function entry(v: unknown, where: string): Credential {
  const o = v as { principal?: unknown; secret?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.principal !== 'string' || o.principal === '' || typeof o.secret !== 'string') {
    throw new ValidationError(`${where}: expected {"principal": "...", "secret": "..."}`);
  }
  return { principal: o.principal, secret: o.secret };
}

/** Parses credentials text (JSON, or `principal secret` lines) into a list. */
export function parseCredentials(body: string): Credential[] {
  const t = body.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch (err) {
      throw new ValidationError(`credentials are not valid JSON: ${(err as Error).message}`);
    }
    const list = Array.isArray(json) ? json : (json as { credentials?: unknown }).credentials ?? [json];
    if (!Array.isArray(list)) throw new ValidationError('credentials: "credentials" must be a list');
    return list.map((c, i) => entry(c, `credentials[${i}]`));
  }
  return t
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l, i) => {
      const [principal, secret, ...rest] = l.split(/\s+/);
      if (!principal || secret === undefined || rest.length) throw new ValidationError(`credentials line ${i + 1}: expected 'principal secret'`);
      return { principal, secret };
    });
}

/** `--credentials=FILE|JSON`: principal → secret, for a runtime's `auth.secrets`. */
export function loadCredentials(source: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of parseCredentials(text(source))) map.set(c.principal, c.secret);
  return map;
}

/** `--credential=FILE|JSON`: exactly one credential, for a runtime's `auth.credential`. */
export function loadCredential(source: string): Credential {
  const list = parseCredentials(text(source));
  if (list.length !== 1) throw new ValidationError(`expected one credential, found ${list.length}`);
  return list[0]!;
}
