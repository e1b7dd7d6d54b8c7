import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);

describe('README', () => {
  it('shows the real output of its parallel-map example', async () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const shown = /```\n\$ node main\.js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    // The example imports 'batchtools'; run it against the sources through a loader-free alias.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--import', new URL('test/fixtures/readme/alias.mjs', root).pathname, new URL('test/fixtures/readme/main.js', root).pathname],
      { timeout: 30_000 },
    );
    expect(stdout).toBe(shown);
  }, 40_000);

  it('shows the same example files it runs', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    for (const file of ['score.js', 'main.js']) {
      const code = readFileSync(new URL(`test/fixtures/readme/${file}`, root), 'utf8');
      expect(readme).toContain(code.trim());
    }
  });
});
