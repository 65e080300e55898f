// How to start another Node process that runs this code base the way this one runs: the same
// binary and the loader flags of this process (tsx in development), with bare specifiers made
// absolute so the child can start from any working directory (a sandbox, say).

const OWN = ['--test', '--inspect', '--experimental-test', '--cpu-prof', '--heap-prof'];

export function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (OWN.some((p) => a.startsWith(p))) continue;
    if ((a === '--import' || a === '--loader' || a === '--require' || a === '-r') && i + 1 < argv.length) {
      out.push(a, absolute(argv[++i]!));
    } else if (a.startsWith('--import=')) {
      out.push(`--import=${absolute(a.slice('--import='.length))}`);
    } else out.push(a);
  }
  return out;
}

function absolute(specifier: string): string {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')) return specifier;
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}
