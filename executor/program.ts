// Which file a child Node process runs for one of this package's programs. From dist/ the .js
// file runs as it is, with no loader. From a source checkout a .ts program needs tsx's loader,
// which compiles TypeScript at every start (0.6 s and more, on the path of a framework's first
// task) — unless dist/ holds a build that is up to date: then its .js twin runs instead.
// "Up to date" is cheap to know and errs towards tsx: every .ts file of the build's folders must
// have a .js twin at least as new as itself (a stat of each, once per process).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childExecArgv } from '../runtime/index.js';

const HERE = fileURLToPath(import.meta.url);
/** The package root: this file is <root>/executor/program.ts, or <root>/dist/executor/program.js. */
const ROOT = HERE.endsWith('.ts') ? resolve(HERE, '../..') : resolve(HERE, '../../..');
const DIST = join(ROOT, 'dist');

let fresh: boolean | undefined;

/** Whether dist/ was built after the last change to any source file it is built from. */
export function distIsFresh(): boolean {
  if (fresh === undefined) {
    try {
      fresh = checkFresh();
    } catch {
      fresh = false;
    }
  }
  return fresh;
}

function checkFresh(): boolean {
  const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include?: unknown };
  if (!Array.isArray(config.include)) return false;
  for (const dir of config.include) {
    if (typeof dir !== 'string' || !walkFresh(join(ROOT, dir))) return false;
  }
  return true;
}

function walkFresh(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!walkFresh(path)) return false;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const twin = join(DIST, relative(ROOT, path)).replace(/\.ts$/, '.js');
      let built: number;
      try {
        built = statSync(twin).mtimeMs;
      } catch {
        return false;
      }
      if (built < statSync(path).mtimeMs) return false;
    }
  }
  return true;
}

/**
 * The compiled twin of a source file of this package (`<root>/x/y.ts` → `<root>/dist/x/y.js`)
 * when dist/ is fresh, else undefined; a .js file, or a file outside the package, is its own.
 */
export function compiledTwin(file: string): string | undefined {
  if (!file.endsWith('.ts')) return undefined;
  const rel = relative(ROOT, file);
  if (rel.startsWith('..') || rel.startsWith(`dist${sep}`) || !distIsFresh()) return undefined;
  const twin = join(DIST, rel).replace(/\.ts$/, '.js');
  try {
    statSync(twin);
    return twin;
  } catch {
    return undefined;
  }
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** execArgv without loaders (tsx): what a compiled .js program needs. */
function withoutLoaders(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    if (LOADER_FLAGS.has(eq > 0 ? a.slice(0, eq) : a)) {
      if (eq < 0) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * The one-file bundle of a compiled program (`dist/x/y.js` → `dist/x/y.bundle.js`, written by
 * scripts/bundle-executors.mjs for the programs the agent starts) when it is at least as new as
 * the program, else the program itself: the same code, loaded as one module instead of hundreds.
 */
export function bundled(file: string): string {
  if (!file.endsWith('.js') || file.endsWith('.bundle.js')) return file;
  const bundle = file.replace(/\.js$/, '.bundle.js');
  try {
    return statSync(bundle).mtimeMs >= statSync(file).mtimeMs ? bundle : file;
  } catch {
    return file;
  }
}

/**
 * The node arguments (after the binary) that run `program`: its compiled twin (or that twin's
 * bundle) without loaders when there is a fresh one, else the program with this process's
 * loader flags (tsx from source).
 */
export function programArguments(program: string, execArgv: readonly string[] = childExecArgv()): string[] {
  const twin = compiledTwin(program);
  return twin !== undefined ? [...withoutLoaders(execArgv), bundled(twin)] : [...execArgv, bundled(program)];
}
