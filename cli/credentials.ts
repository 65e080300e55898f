// The flags' side of credentials: `--credentials` (the master's list) and `--credential` (one
// process's own) in Mesos's formats, parsed by the runtime (runtime/credentials.ts), with each
// error naming the flag's file and empty secrets refused; the `--acls` flag; and the
// credentials mesos-local and npm start generate for a secured cluster.

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ValidationError, loadCredential, loadCredentials, type Credential } from '../runtime/index.js';
import { loadAcls, type Acls } from '../protocol/index.js';

/** Runs one of the runtime's parsers, naming the flag's file in what it reports. */
function parsed<T>(path: string, parse: (source: string) => T): T {
  try {
    return parse(path);
  } catch (err) {
    throw new ValidationError(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

function nonEmpty(c: Credential, path: string): Credential {
  if (c.secret === '') throw new ValidationError(`${path}: the secret of '${c.principal}' is empty`);
  return c;
}

/** `--credentials=FILE`: principal → secret. */
export function readCredentials(path: string): Map<string, string> {
  const map = parsed(path, loadCredentials);
  if (map.size === 0) throw new ValidationError(`${path}: no credentials`);
  for (const [principal, secret] of map) nonEmpty({ principal, secret }, path);
  return map;
}

/** `--credential=FILE`: this process's own principal and secret. */
export function readCredential(path: string): Credential {
  return nonEmpty(parsed(path, loadCredential), path);
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
