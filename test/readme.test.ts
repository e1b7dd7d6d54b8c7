import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    for (const file of ['score.js', 'main.js', 'transform.js', 'files.js']) {
      const code = readFileSync(new URL(`test/fixtures/readme/${file}`, root), 'utf8');
      expect(readme).toContain(code.trim());
    }
  });

  it('runs its files-in, files-out pipeline example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-readme-files-'));
    try {
      mkdirSync(join(dir, 'texts'));
      writeFileSync(join(dir, 'texts', 'a.txt'), 'The cat and the dog and the bird');
      writeFileSync(join(dir, 'texts', 'b.txt'), 'one two two three three three');
      writeFileSync(join(dir, 'texts', 'skip.md'), 'not a text');
      const fixture = (name: string): string => new URL(`test/fixtures/readme/${name}`, root).pathname;
      // Run from the texts' directory, where `tsx` cannot be found by name: its loader by path.
      const tsx = new URL('node_modules/tsx/dist/loader.mjs', root).href;
      await promisify(execFile)(process.execPath, ['--import', tsx, '--import', fixture('alias.mjs'), fixture('files.js')], { cwd: dir, timeout: 30_000 });
      expect(readdirSync(join(dir, 'summaries')).sort()).toEqual(['a.txt', 'b.txt']);
      expect(readFileSync(join(dir, 'summaries', 'a.txt'), 'utf8')).toBe('the 3\nand 2\ncat 1\n');
      expect(readFileSync(join(dir, 'summaries', 'b.txt'), 'utf8')).toBe('three 3\ntwo 2\none 1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
