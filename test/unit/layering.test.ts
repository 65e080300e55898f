// The layering of the product code (docs/architecture.md, "Layering"): which folder may import
// which, and that a folder is entered only through its index.ts. Every import of every file is
// read with TypeScript's own pre-processor (static, `export … from`, `import type`, dynamic
// `import()`), so a new arrow between folders fails here before it settles into the code.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The product folders and the only folders each may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  runtime: [],
  protocol: ['runtime'],
  driver: ['runtime', 'protocol'],
  // ZooKeeper (a local server, groups) and master detection, shared by masters, agents, drivers and CLIs.
  detector: ['runtime', 'protocol'],
  master: ['runtime', 'protocol', 'detector'],
  // The agent launches the executor host program (executor/) and reads its command line.
  agent: ['runtime', 'protocol', 'executor', 'detector'],
  executor: ['runtime', 'protocol', 'driver'],
  'scheduler-driver': ['runtime', 'protocol', 'driver', 'detector'],
  // Entry points start every role, executors from their compiled twins included.
  cli: ['runtime', 'protocol', 'detector', 'master', 'agent', 'executor', 'scheduler-driver', 'examples'],
  // Examples are checked separately: only the package's public exports.
  examples: ['runtime', 'protocol', 'executor', 'scheduler-driver', 'cli'],
  bench: ['runtime', 'protocol', 'detector', 'master', 'agent', 'executor', 'scheduler-driver'],
};

/** Arrows (importer, imported) that must never appear, whatever ALLOWED grows into. */
const NEVER: ReadonlyArray<readonly [string, string]> = [
  ['master', 'agent'],
  ['agent', 'master'],
  ['executor', 'scheduler-driver'],
  ['scheduler-driver', 'executor'],
  ['executor', 'master'],
  ['executor', 'agent'],
  ['scheduler-driver', 'master'],
  ['scheduler-driver', 'agent'],
];

/**
 * Imports that reach past another folder's index.ts today, each with its reason. Every entry
 * must still exist (the test says when one can go), and nothing else may do this.
 */
const PAST_THE_INDEX: ReadonlyArray<{ from: string; to: string; why: string }> = [
  { from: 'cli/main-job.ts', to: 'examples/command-framework.ts', why: 'the main job runs the example framework as a user would; examples/ has no index.ts' },
  { from: 'bench/allocator.ts', to: 'master/allocator/index.ts', why: 'the allocator benchmark drives the allocator and sorters directly, without a master' },
  { from: 'cli/common.ts', to: 'master/node-flags.ts', why: "the commands start a master with its Node flags without loading the master's code" },
  { from: 'bench/state-view.ts', to: 'master/state.ts', why: "the /state benchmark fills a master's state directly, without a master or its peers" },
  { from: 'bench/state-view.ts', to: 'master/views.ts', why: 'the /state benchmark builds the view /state serves from that state' },
];

interface Import {
  /** The importing file, relative to the root. */
  file: string;
  spec: string;
  /** The imported file relative to the root (`.js` read as `.ts`), for relative specifiers. */
  target: string | undefined;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.m?ts$/.test(entry) && !entry.endsWith('.d.ts')) yield path;
  }
}

function importsOf(folder: string): Import[] {
  const out: Import[] = [];
  for (const path of sourceFiles(join(ROOT, folder))) {
    const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(path), spec)).replace(/\.js$/, '.ts') : undefined;
      out.push({ file: relative(ROOT, path), spec, target });
    }
  }
  return out;
}

const topOf = (path: string): string => path.split('/')[0]!;
const FOLDERS = Object.keys(ALLOWED);
const ALL = FOLDERS.flatMap(importsOf);
/** Imports that cross from one folder of the project into another. */
const CROSSING = ALL.filter((i) => i.target !== undefined && topOf(i.target) !== topOf(i.file));

/** The source index.ts of every entry of package.json `exports` (./dist/x/index.js → x/index.ts). */
function publicEntries(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
  return new Set(Object.values(pkg.exports).map((e) => e.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')));
}

const show = (list: readonly Import[]): string => list.map((i) => `  ${i.file} imports ${i.spec}`).join('\n');

describe('layering', () => {
  it('reads the imports of every product folder', () => {
    for (const folder of FOLDERS) assert.ok(ALL.some((i) => i.file.startsWith(`${folder}/`)), `${folder}/ has imports`);
    assert.ok(CROSSING.length > 50, `found ${CROSSING.length} imports across folders`);
  });

  it('imports no folder outside the project, relatively', () => {
    const outside = CROSSING.filter((i) => !FOLDERS.includes(topOf(i.target!)));
    assert.deepEqual(outside, [], `imports leaving the product folders:\n${show(outside)}`);
  });

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(allowed.length === 0 ? `${folder}/ imports nothing of the project` : `${folder}/ imports only ${allowed.map((a) => `${a}/`).join(', ')}`, () => {
      const bad = CROSSING.filter((i) => topOf(i.file) === folder && !allowed.includes(topOf(i.target!)));
      assert.deepEqual(bad, [], `new arrows out of ${folder}/:\n${show(bad)}`);
    });
  }

  it('master and agent never import each other; executor and scheduler-driver neither each other nor master or agent', () => {
    const bad = CROSSING.filter((i) => NEVER.some(([a, b]) => topOf(i.file) === a && topOf(i.target!) === b));
    assert.deepEqual(bad, [], show(bad));
    for (const [a, b] of NEVER) assert.ok(!ALLOWED[a]!.includes(b), `ALLOWED must not permit ${a} → ${b}`);
  });

  it('examples import only the public package exports', () => {
    const entries = publicEntries();
    const bad = ALL.filter((i) => i.file.startsWith('examples/') && (i.target !== undefined ? topOf(i.target) !== 'examples' && !entries.has(i.target) : i.spec.startsWith('mesos-ts') && !/^mesos-ts\/[\w-]+$/.test(i.spec)));
    assert.deepEqual(bad, [], `examples reaching past the package's exports (${[...entries].join(', ')}):\n${show(bad)}`);
  });

  it("other folders enter a folder only through its index.ts (or a package export), but for the listed exceptions", () => {
    const entries = publicEntries();
    const bad = CROSSING.filter(
      (i) => i.target !== `${topOf(i.target!)}/index.ts` && !entries.has(i.target!) && !PAST_THE_INDEX.some((e) => e.from === i.file && e.to === i.target),
    );
    assert.deepEqual(bad, [], `imports past a folder's index.ts (export the name from that index.ts instead):\n${show(bad)}`);
    for (const e of PAST_THE_INDEX) {
      assert.ok(CROSSING.some((i) => i.file === e.from && i.target === e.to), `${e.from} no longer imports ${e.to}: remove it from PAST_THE_INDEX`);
    }
  });
});
