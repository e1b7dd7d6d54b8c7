/** The package's version, for `batchtools --version`: read from the package.json this file ships in. */
import { readFileSync } from 'node:fs';

/** batchtools' version (`0.0.0-unknown` if its package.json cannot be found, which an install never does). */
export function packageVersion(): string {
  // src/cli/version.ts in a checkout, dist/src/cli/version.js in the package: the manifest is 2 or 3 levels up.
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'batchtools' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // not there: try the next level
    }
  }
  return '0.0.0-unknown';
}
