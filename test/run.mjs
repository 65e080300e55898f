// Runs the test tiers with node's test runner through tsx. `npm test` runs every tier;
// `npm test -- unit actor` runs the named ones. Node 20's runner expands no globs, so the
// files are listed here. Afterwards nothing the run started may be left: no process carrying
// its run id (every agent, executor and task inherits it) and no cgroup under a test root of
// its own (test/fixtures/leftovers.ts); what is left is listed, killed and removed, and the
// run fails.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'actor', 'hostile', 'e2e'];
const files = tiers.flatMap((tier) => {
  const dir = join('test', tier);
  if (!existsSync(dir)) throw new Error(`no test tier '${tier}' (expected a folder ${dir})`);
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
});
const run = randomUUID().slice(0, 8);
const env = { ...process.env, MTS_TEST_RUN: run };
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
const check = spawnSync(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'leftovers.ts'), run], { stdio: 'inherit' });
process.exit(r.status !== 0 ? (r.status ?? 1) : check.status === 0 ? 0 : 1);
