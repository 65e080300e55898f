// `npm start`'s first step: the main job runs from dist/ (no TypeScript compiled at every
// process start), so rebuild dist/ first when any source file is newer than its build.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let fresh = false;
try {
  const { distIsFresh } = await import('../dist/executor/program.js');
  fresh = distIsFresh();
} catch {
  // no build yet
}
if (!fresh) {
  process.stdout.write('Building dist/ (the sources changed since it was built)…\n');
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  for (const step of ['precompile-validators.mjs', 'bundle-executors.mjs']) {
    const b = spawnSync(process.execPath, [fileURLToPath(new URL(`../scripts/${step}`, import.meta.url))], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
}
