// Credentials files as Mesos reads them: `--credentials` on the master holds
// {"credentials": [{"principal": …, "secret": …}, …]} (or lines of `principal secret`);
// `--credential` on an agent holds one {"principal": …, "secret": …} (or one such line).
// Also the `--acls` flag, as JSON text or a file. Each parser throws a ValidationError that
// names the file and what is wrong, which the flag parser reports.

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ValidationError, type Credential } from '../runtime/index.js';
import { loadAcls, type Acls } from '../protocol/index.js';

function read(path: string): string {
  try {
    return readFileSync(path.replace(/^file:\/\//, ''), 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read '${path}': ${(err as Error).message}`);
  }
}

function credentialOf(v: unknown, where: string): Credential {
  const o = v as { principal?: unknown; secret?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.principal !== 'string' || o.principal === '' || typeof o.secret !== 'string' || o.secret === '') {
    throw new ValidationError(`${where}: expected {"principal": "…", "secret": "…"} with both non-empty`);
  }
  return { principal: o.principal, secret: o.secret };
}

function lines(text: string, path: string): Credential[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l, i) => {
      const [principal, secret, extra] = l.split(/\s+/);
      if (!principal || !secret || extra !== undefined) throw new ValidationError(`${path}:${i + 1}: expected 'principal secret'`);
      return { principal, secret };
    });
}

/** `--credentials=FILE`: principal → secret. */
export function readCredentials(path: string): Map<string, string> {
  const text = read(path);
  let list: Credential[];
  if (text.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ValidationError(`${path}: not JSON: ${(err as Error).message}`);
    }
    const creds = (json as { credentials?: unknown }).credentials;
    if (!Array.isArray(creds)) throw new ValidationError(`${path}: expected {"credentials": [{"principal", "secret"}, …]}`);
    list = creds.map((c, i) => credentialOf(c, `${path}: credentials[${i}]`));
  } else list = lines(text, path);
  if (list.length === 0) throw new ValidationError(`${path}: no credentials`);
  return new Map(list.map((c) => [c.principal, c.secret]));
}

/** `--credential=FILE`: this process's own principal and secret. */
export function readCredential(path: string): Credential {
  const text = read(path);
  if (text.trimStart().startsWith('{')) {
    try {
      return credentialOf(JSON.parse(text), path);
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      throw new ValidationError(`${path}: not JSON: ${(err as Error).message}`);
    }
  }
  const list = lines(text, path);
  if (list.length !== 1) throw new ValidationError(`${path}: expected one 'principal secret' line`);
  return list[0]!;
}

/** `--acls=JSON|FILE`. */
export function readAcls(flag: string): Acls {
  try {
    return loadAcls(flag);
  } catch (err) {
    throw new ValidationError(`--acls: ${(err as Error).message}`);
  }
}

/** What `mesos-local` and `npm start` write for a secured cluster: one principal per role of process. */
export interface GeneratedCredentials {
  /** The master's `--credentials` file. */
  credentialsFile: string;
  /** The agents' `--credential` file. */
  agentCredentialFile: string;
  /** For frameworks: DEFAULT_PRINCIPAL / DEFAULT_SECRET. */
  framework: Credential;
  /** For an operator's HTTP calls. */
  operator: Credential;
  agent: Credential;
}

/** Random secrets in files readable by this user only (mode 0600), under `dir`. */
export function generateCredentials(dir: string): GeneratedCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = (): string => randomBytes(24).toString('base64url');
  const agent = { principal: 'agent', secret: secret() };
  const framework = { principal: 'framework', secret: secret() };
  const operator = { principal: 'operator', secret: secret() };
  const write = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  };
  const credentialsFile = write('credentials.json', { credentials: [agent, framework, operator] });
  const agentCredentialFile = write('agent-credential.json', agent);
  return { credentialsFile, agentCredentialFile, framework, operator, agent };
}
