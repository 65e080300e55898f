// Runs the test tiers with node's test runner through tsx. `npm test` runs every tier;
// `npm test -- unit actor` runs the named ones. Node 20's runner expands no globs, so the
// files are listed here.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'actor', 'hostile', 'e2e'];
const files = tiers.flatMap((tier) => {
  const dir = join('test', tier);
  if (!existsSync(dir)) throw new Error(`no test tier '${tier}' (expected a folder ${dir})`);
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
});
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
