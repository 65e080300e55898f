// The version every command prints with --version: mesos-ts's own, from its package.json, found
// beside cli/ in a checkout and two levels up from dist/cli/ in a build or an installed package.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'mesos-ts' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not ours, or unreadable: look further up
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** mesos-ts's version (package.json's `version`), e.g. `0.1.0`. */
export const PACKAGE_VERSION = packageVersion();

/** What `--version` prints: `<command> <version>`, the same version for every command. */
export function versionLine(command: string): string {
  return `${command} ${PACKAGE_VERSION}`;
}
