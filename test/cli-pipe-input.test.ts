// `batchtools run --input <named pipe>` (what `--input <(command)` gives in a shell): read like standard input,
// every line an item. A pipe has no size and cannot be read twice; it used to be read up to its size (0), and the
// run "succeeded" with no items.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, readJsonLines, tempDir, workModule } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

/** A named pipe in `dir` (made by mkfifo). */
function fifo(dir: string): string {
  const path = join(dir, 'in.pipe');
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  return path;
}

const lines = (n: number, bad?: number): string =>
  `${Array.from({ length: n }, (_, i) => (i === bad ? '{"n": oops' : JSON.stringify({ n: i }))).join('\n')}\n`;

describe('batchtools run from a named pipe', () => {
  it('runs every line written to the pipe, in order', async () => {
    const dir = tempDir();
    const pipe = fifo(dir);
    const [r] = await Promise.all([cli(['run', workModule, '--input', pipe, '--output', 'out.jsonl', '--quiet'], { cwd: dir }), writeFile(pipe, lines(300))]);
    expect(r.code, r.stderr).toBe(0);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<{ index: number; ok: boolean; value: { n: number } }>;
    expect(out.map((l) => [l.index, l.ok, l.value.n])).toEqual(Array.from({ length: 300 }, (_, i) => [i, true, i]));
  });

  it('with --strict, checks every line first (naming the pipe and the line) and then runs them all', async () => {
    const dir = tempDir();
    const pipe = fifo(dir);
    const [refused] = await Promise.all([cli(['run', workModule, '--input', pipe, '--output', 'out.jsonl', '--strict'], { cwd: dir }), writeFile(pipe, lines(50, 41))]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${pipe}:42: invalid JSON`);
    const [r] = await Promise.all([cli(['run', workModule, '--input', pipe, '--output', 'out.jsonl', '--strict', '--quiet'], { cwd: dir }), writeFile(pipe, lines(50))]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJsonLines(join(dir, 'out.jsonl'))).toHaveLength(50);
  });

  it('with --checkpoint, keeps a copy of what came through the pipe and runs it all', async () => {
    const dir = tempDir();
    const pipe = fifo(dir);
    const [r] = await Promise.all([
      cli(['run', workModule, '--input', pipe, '--output', 'out.jsonl', '--checkpoint', 'ck', '--quiet'], { cwd: dir }),
      writeFile(pipe, lines(120)),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<{ index: number; ok: boolean }>;
    expect(out.map((l) => l.index)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(out.every((l) => l.ok)).toBe(true);
  });
});
