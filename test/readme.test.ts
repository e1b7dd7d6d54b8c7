// The README's parallel-map example, extracted from README.md and run against the sources (test/package.test.ts
// runs all its examples against the packed package).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readmeFiles, shownCommand } from './fixtures/readme/blocks.ts';

const root = new URL('../', import.meta.url);

describe('README', () => {
  it('shows the real output of its parallel-map example', async () => {
    const files = readmeFiles();
    expect([...files.keys()]).toEqual(expect.arrayContaining(['score.mjs', 'main.mjs', 'main.cjs']));
    const dir = mkdtempSync(join(tmpdir(), 'bt-readme-'));
    try {
      for (const [name, code] of files) writeFileSync(join(dir, name), code);
      const shown = shownCommand('node main.mjs');
      // The example imports 'batchtools'; run it against the sources through a loader-free alias.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', new URL('node_modules/tsx/dist/loader.mjs', root).href, '--import', new URL('test/fixtures/readme/alias.mjs', root).pathname, join(dir, 'main.mjs')],
        { timeout: 30_000, cwd: dir },
      );
      expect(stdout).toBe(shown.output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
