// The last step of the build: the programs the agent starts for every framework (the executor
// host, the default executor) bundled each into one file next to its compiled twin in dist/,
// `<name>.bundle.js`. Node loads a program of ~350 modules (typebox alone is 218) in about
// 200 ms, one module of the same code in about 40: that is on the path of every framework's
// first task. Packages with native add-ons or worker files (ws, msgpackr, pino) stay outside
// and load from node_modules as usual. executor/program.ts prefers a bundle at least as new as
// its twin.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/executor/', import.meta.url));
const PROGRAMS = ['host-main', 'default-executor-main'];
const EXTERNAL = ['ws', 'bufferutil', 'utf-8-validate', 'msgpackr', 'msgpackr-extract', 'pino', 'thread-stream'];

await Promise.all(
  PROGRAMS.map((name) =>
    build({
      entryPoints: [`${dist}${name}.js`],
      outfile: `${dist}${name}.bundle.js`,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: EXTERNAL,
      // CommonJS packages inside (protobufjs) call require() for Node's own modules.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    }),
  ),
);
