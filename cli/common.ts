// Small things the commands share: Mesos's logging levels, resolving --master, and how one
// command finds another's entry point and runs it as a child process, from source or from dist/.

import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { programArguments } from '../executor/index.js';
import { MASTER_NODE_FLAGS } from '../master/node-flags.js';

export const LOGGING_LEVELS = ['INFO', 'WARNING', 'ERROR'] as const;

/**
 * The Node command line that runs another of our entry points (`mesos-master`, …): this Node,
 * this process's own execArgv, and the sibling file with this module's extension — .js from
 * dist/; from source the .ts file through tsx's loader, or its compiled twin when dist/ is up
 * to date (see executor/program.ts).
 */
export function entryCommand(entry: string): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const file = fileURLToPath(new URL(`./${entry}${ext}`, import.meta.url));
  const own = entry === 'mesos-master' ? MASTER_NODE_FLAGS.filter((f) => !process.execArgv.some((a) => a.startsWith(f.split('=')[0]!))) : [];
  return { command: process.execPath, args: programArguments(file, [...own, ...childExecArgv()]) };
}

const OWN_FLAG = /^(--(test|experimental-test|inspect|watch|eval|print)|-e$|-p$|-pe$)/;
const TAKES_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe', '--test-reporter', '--test-reporter-destination', '--test-name-pattern', '--test-skip-pattern', '--test-concurrency', '--test-timeout', '--test-shard', '--watch-path']);

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * This process's execArgv for a child: without the flags that belong to this process alone
 * (test runner, debugger, watch), and with loaders (`--import tsx`) made absolute, because the
 * child — and the executors an agent starts in their sandboxes — run in other directories.
 */
export function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (OWN_FLAG.test(a)) {
      if (TAKES_VALUE.has(a)) i++;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    if (LOADER_FLAGS.has(flag)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) break;
      out.push(flag, absoluteSpecifier(value, flag === '--require' || flag === '-r'));
      continue;
    }
    out.push(a);
  }
  return out;
}

function absoluteSpecifier(specifier: string, commonJs: boolean): string {
  if (/^(file|node|data):/.test(specifier) || isAbsolute(specifier)) return specifier;
  if (specifier.startsWith('.')) return resolve(process.cwd(), specifier);
  try {
    // A package name: Node looked it up from the working directory; so do we.
    const fromCwd = pathToFileURL(join(process.cwd(), 'noop.js')).href;
    return commonJs ? createRequire(fromCwd).resolve(specifier) : import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

/**
 * How the user can run one of our commands from where this one runs: the installed bin from
 * dist/, or through tsx from a source checkout (paths relative to the working directory).
 */
export function commandHint(entry: string): string {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return entry;
  const file = fileURLToPath(new URL(`./${entry}.ts`, import.meta.url));
  const rel = relative(process.cwd(), file);
  return `npx tsx ${rel.startsWith('..') ? file : rel}`;
}

/**
 * `host:port` or `master@host:port` with the host resolved to an IPv4 address: runtimes are
 * known by the address they listen on, so `localhost:5050` must become `127.0.0.1:5050`.
 */
export async function resolveMasterFlag(text: string): Promise<string> {
  const t = text.trim();
  if (t.startsWith('zk://') || t.startsWith('file://')) return t; // followed through ZooKeeper
  const at = t.indexOf('@');
  const id = at >= 0 ? t.slice(0, at) : 'master';
  const address = at >= 0 ? t.slice(at + 1) : t;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = address.slice(colon + 1);
  const ip = isIP(host) !== 0 ? host : (await lookup(host, { family: 4 })).address;
  return `${id}@${ip}:${port}`;
}
