// The CLI's byte path (lines go to the workers as blocks of bytes): a crash deep inside a large block fails only
// the item to blame, named by its input index; every other item of the block still ends as one output line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, readJsonLines, tempDir } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

const TASK = `export default function t(item) {
  if (item.n === 1500) process.exit(7);
  let h = item.n | 0;
  for (let i = 0; i < 200; i++) h = Math.imul(h ^ (h >>> 13) ^ i, 0x5bd1e995);
  return { n: item.n, h: h >>> 0 };
}
`;

describe('the byte path', () => {
  it('a crash inside a large block fails only its item; the others of the block succeed, in order', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'task.mjs'), TASK);
    const lines = Array.from({ length: 3000 }, (_, n) => JSON.stringify({ n }));
    writeFileSync(join(dir, 'in.jsonl'), `${lines.join('\n')}\n`);
    const r = await cli(['run', 'task.mjs', '--input', 'in.jsonl', '--output', 'out.jsonl', '--failures', 'f.jsonl', '--threads', '1'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<{ index: number; ok: boolean; value?: { n: number }; error?: { code: string; message: string; exitCode?: number } }>;
    expect(out).toHaveLength(3000);
    expect(out.map((o) => o.index)).toEqual(lines.map((_, i) => i));
    expect(out.filter((o) => !o.ok).map((o) => o.index)).toEqual([1500]);
    expect(out[1500]!.error).toMatchObject({ code: 'BT_WORKER_CRASHED', exitCode: 7 });
    expect(out[1500]!.error!.message).toMatch(/^item 1500 crashed its worker/);
    expect(out[1499]!.value!.n).toBe(1499);
    const failures = readJsonLines(join(dir, 'f.jsonl')) as Array<{ index: number; line: number; input: unknown }>;
    expect(failures).toEqual([expect.objectContaining({ index: 1500, line: 1501, input: { n: 1500 } })]);
  });

  it("runs lines on workers with a small young generation (a line's objects die with it), the heap limit as planned", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'task.mjs'),
      "import { resourceLimits } from 'node:worker_threads';\nexport default (item) => ({ n: item.n, young: resourceLimits.maxYoungGenerationSizeMb, old: resourceLimits.maxOldGenerationSizeMb });\n",
    );
    writeFileSync(join(dir, 'in.jsonl'), `${Array.from({ length: 20 }, (_, n) => JSON.stringify({ n })).join('\n')}\n`);
    const r = await cli(['run', 'task.mjs', '--input', 'in.jsonl', '--output', 'out.jsonl', '--max-heap-mb', '300'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = readJsonLines(join(dir, 'out.jsonl')) as Array<{ value: { n: number; young: number; old: number } }>;
    expect(out.map((o) => o.value)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n, young: 8, old: 300 })));
  });
});
