// The README's examples, extracted from README.md and run against the sources (test/package.test.ts runs them
// against the packed package).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readmeFiles, shownCommand } from './fixtures/readme/blocks.ts';

const root = new URL('../', import.meta.url);
// Run from a temporary directory, where `tsx` cannot be found by name: its loader by path.
const tsx = new URL('node_modules/tsx/dist/loader.mjs', root).href;
const alias = new URL('test/fixtures/readme/alias.mjs', root).pathname;

/** A temporary directory holding every file the README shows. */
function withReadmeFiles<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bt-readme-'));
  for (const [name, code] of readmeFiles()) writeFileSync(join(dir, name), code);
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('README', () => {
  it('shows the real output of its parallel-map example', async () => {
    expect([...readmeFiles().keys()]).toEqual(expect.arrayContaining(['score.mjs', 'main.mjs', 'main.cjs', 'transform.mjs', 'files.mjs']));
    await withReadmeFiles(async (dir) => {
      // The example imports 'batchtools'; run it against the sources through a loader-free alias.
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, '--import', alias, 'main.mjs'], { timeout: 30_000, cwd: dir });
      expect(stdout).toBe(shownCommand('node main.mjs').output);
    });
  }, 40_000);

  it('runs its files-in, files-out pipeline example', async () => {
    await withReadmeFiles(async (dir) => {
      mkdirSync(join(dir, 'texts'));
      writeFileSync(join(dir, 'texts', 'a.txt'), 'The cat and the dog and the bird');
      writeFileSync(join(dir, 'texts', 'b.txt'), 'one two two three three three');
      writeFileSync(join(dir, 'texts', 'skip.md'), 'not a text');
      await promisify(execFile)(process.execPath, ['--import', tsx, '--import', alias, 'files.mjs'], { cwd: dir, timeout: 30_000 });
      expect(readdirSync(join(dir, 'summaries')).sort()).toEqual(['a.txt', 'b.txt']);
      expect(readFileSync(join(dir, 'summaries', 'a.txt'), 'utf8')).toBe('the 3\nand 2\ncat 1\n');
      expect(readFileSync(join(dir, 'summaries', 'b.txt'), 'utf8')).toBe('three 3\ntwo 2\none 1\n');
    });
  }, 40_000);
});
