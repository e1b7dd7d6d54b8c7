// The byte path's splitter (src/cli/line-blocks.ts) finds exactly the items the line reader finds (readLines +
// entries): same indices, line numbers, texts and problems, whatever the chunk boundaries and block sizes.
import { describe, expect, it } from 'vitest';
import { entries, parseLine, readLines, type Entry } from '../src/cli/input.ts';
import { boundsOf, lineBlocks, lineOf, type BlockPiece, type SkipVerdict } from '../src/cli/line-blocks.ts';
import { seeded } from './fixtures/value-fuzz.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface Seen {
  index: number;
  line: number;
  text: string;
  problem?: string;
}

/** What the line reader makes of the input (problems as the messages it gives). */
async function byLines(bytes: Buffer, max: number): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const e of entries(readLines(chunks(bytes, 7), undefined, max))) {
    const seen: Seen = { index: e.index, line: e.line, text: e.raw };
    if (!e.parsed.ok && !e.parsed.message.startsWith('invalid JSON') && !e.parsed.message.startsWith('cannot be read')) seen.problem = e.parsed.message;
    out.push(seen);
  }
  return out;
}

/** What the splitter makes of it: the blocks' items, with their bytes decoded (invalid UTF-8 marked). */
async function byBlocks(
  bytes: Buffer,
  chunk: number,
  lines: number,
  max: number,
  skip?: SkipVerdict,
  slabBytes?: number,
): Promise<{ seen: Seen[]; skipped: Entry[]; ranges: Array<[number, number]>; dense: number }> {
  const seen: Seen[] = [];
  const skipped: Entry[] = [];
  const ranges: Array<[number, number]> = [];
  let next = 0;
  let dense = 0;
  const spans = new Map<ArrayBufferLike, Array<[number, number]>>();
  const pieces: BlockPiece[] = [];
  for await (const p of lineBlocks(chunks(bytes, chunk), { lines, bytes: 1 << 20 }, skip, parseLine, max, slabBytes)) pieces.push(p);
  for (const p of pieces) {
    if ('skipped' in p) {
      expect(p.skipped.index).toBe(next++);
      skipped.push(p.skipped);
      continue;
    }
    if ('skippedRange' in p) {
      expect(p.skippedRange.first).toBe(next);
      expect(p.skippedRange.count).toBeGreaterThan(0);
      ranges.push([p.skippedRange.first, p.skippedRange.count]);
      next += p.skippedRange.count;
      continue;
    }
    const b = p.block;
    expect(b.first).toBe(next);
    expect(b.count).toBeLessThanOrEqual(lines);
    // A block is a view of a shared slab (sent to a worker without a copy), overlapping no other block of it:
    // pieces read later never overwrite a block handed out before (the blocks are checked once all are out).
    expect(b.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    const span: [number, number] = [b.bytes.byteOffset, b.bytes.byteOffset + b.bytes.length];
    const others = spans.get(b.bytes.buffer) ?? [];
    for (const [s, e] of others) expect(span[1] <= s || span[0] >= e).toBe(true);
    spans.set(b.bytes.buffer, [...others, span]);
    if (b.bounds === null) {
      // Dense: no per-item bookkeeping, no problems, and nothing in its span but its items' lines.
      dense++;
      expect(b.numbers).toBeNull();
      expect(b.problems).toBeNull();
    } else expect(b.line).toBe(b.numbers![0]);
    const bounds = boundsOf(b);
    for (let k = 0; k < b.count; k++) {
      const raw = b.bytes.subarray(bounds[2 * k], bounds[2 * k + 1]);
      const problem = b.problems?.find((x) => x[0] === k)?.[1];
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        text = '<invalid UTF-8>';
      }
      seen.push({ index: b.first + k, line: lineOf(b, k), text: problem === undefined ? text : '', ...(problem === undefined ? {} : { problem }) });
    }
    if (b.bounds === null) {
      // The items' lines fill the span exactly: the last one ends at its newline or at the end of the input.
      const end = bounds[2 * b.count - 1]!;
      expect(b.bytes.length - end).toBeLessThanOrEqual(2);
      expect(utf8.decode(b.bytes.subarray(end))).toMatch(/^(\r?\n)?$/);
    }
    next += b.count;
  }
  return { seen, skipped, ranges, dense };
}

const MAX = 40;
const tricky = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('{"a":1}\r\n\n   \n\t\r\n{"b":2}\n'),
  Buffer.from(' \u00a0\u3000 \n'), // Unicode white space only: blank
  Buffer.from('\u00a0{"c":3}\n'), // white space, then an item
  Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), // invalid UTF-8
  Buffer.from(`${'x'.repeat(MAX + 1)}\n`), // too long
  Buffer.from(`${'y'.repeat(3 * MAX)}\n`), // far too long (spans chunks)
  Buffer.from('not json\n'),
  Buffer.from('"\u00e9t\u00e9"\r\n'),
  Buffer.from('\r\n'),
  Buffer.from('[1,2]'), // no final newline
]);

describe('lineBlocks', () => {
  it('finds the items readLines + entries find, for every chunk size and block size', async () => {
    const expected = (await byLines(tricky, MAX)).map((s) => (s.problem?.startsWith('invalid UTF-8') ? { ...s, text: '<invalid UTF-8>', problem: undefined } : s));
    const normalized = expected.map((s) => {
      const { problem, ...rest } = s;
      return problem === undefined ? rest : { ...rest, text: '', problem };
    });
    expect(normalized.length).toBe(9);
    for (const chunk of [1, 2, 3, 5, 13, 64, 4096]) {
      for (const lines of [1, 2, 3, 100]) {
        // Slabs of a few bytes: what is still needed moves to a new slab (or to the front) at nearly every read.
        for (const slab of [undefined, 8, 16, 64]) {
          const { seen, skipped } = await byBlocks(tricky, chunk, lines, MAX, undefined, slab);
          expect(skipped).toEqual([]);
          expect(seen, `chunk ${chunk}, lines ${lines}, slab ${slab}`).toEqual(normalized);
        }
      }
    }
  });

  it('hands out skipped items on their own, in order, with their text and parsed value on demand', async () => {
    const input = Buffer.from(['{"n":0}', '', '{"n":1}', '{"n":2}', 'bad', '{"n":4}', `${'z'.repeat(MAX + 5)}`, '{"n":6}'].join('\n'));
    const skipSet = new Set([0, 2, 3, 5]);
    for (const chunk of [1, 4, 1000]) {
      const { seen, skipped, ranges } = await byBlocks(input, chunk, 2, MAX, (i) => skipSet.has(i) && 'entry');
      expect(ranges).toEqual([]);
      expect(seen.map((s) => s.index)).toEqual([1, 4, 6]);
      expect(seen.map((s) => s.line)).toEqual([3, 6, 8]);
      expect(skipped.map((e) => [e.index, e.line, e.raw])).toEqual([
        [0, 1, '{"n":0}'],
        [2, 4, '{"n":2}'],
        [3, 5, 'bad'],
        [5, 7, ''],
      ]);
      expect(skipped[0]!.parsed).toEqual({ ok: true, value: { n: 0 } });
      expect(skipped[2]!.parsed.ok).toBe(false);
      expect(skipped[3]!.parsed).toEqual({ ok: false, message: `the line is longer than ${MAX} bytes` });
    }
  });

  it('keeps memory bounded: blocks never exceed the line count, and a long run of skipped lines is not held', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ n: i }));
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const { seen, skipped } = await byBlocks(input, 512, 64, 1 << 20, (i) => i < 4990 && 'entry');
    expect(skipped).toHaveLength(4990);
    expect(seen.map((s) => s.text)).toEqual(lines.slice(4990));
    const quiet = await byBlocks(input, 512, 64, 1 << 20, (i) => i < 4990);
    expect(quiet.ranges).toEqual([[0, 4990]]);
    expect(quiet.seen.map((s) => s.text)).toEqual(lines.slice(4990));
  });

  it('agrees with the line reader on long mixed inputs, in blocks of thousands of items', async () => {
    // Ordinary lines (the splitter's inline path) mixed with every line the general path handles, thousands to a
    // block (its item arrays grow), read in pieces of several sizes.
    const kinds = ['{"a":1}', '{"b":"x"}\r', '', '   ', '\t{"c":2}', '\u00a0', '\u00e9', 'x'.repeat(MAX + 3), '[1]', '\r', '7'];
    const rnd = seeded(7);
    const lines = Array.from({ length: 6000 }, (_, i) => (rnd() < 0.8 ? `{"n":${i}}` : kinds[Math.floor(rnd() * kinds.length)]!));
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const expected = (await byLines(input, MAX)).map((s) => {
      const { problem, ...rest } = s;
      return problem === undefined ? rest : { ...rest, text: '', problem };
    });
    expect(expected.length).toBeGreaterThan(5000);
    for (const chunk of [333, 4096, input.length]) {
      for (const slab of [undefined, 256, 4096]) {
        const { seen } = await byBlocks(input, chunk, 4096, MAX, undefined, slab);
        expect(seen, `chunk ${chunk}, slab ${slab}`).toEqual(expected);
      }
    }
  });

  it('sizes blocks by their own bytes, wherever they start in what was read', async () => {
    // 40,000 lines of 50 bytes (2 MB) read as one piece, blocks of at most 64 KiB: each block but the last holds
    // ~1,300 lines, however far into the piece it starts.
    const lines = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(32 - String(i).length) }));
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const counts: number[] = [];
    for await (const piece of lineBlocks(chunks(input, input.length), { lines: 1 << 20, bytes: 1 << 16 }, undefined, parseLine)) {
      if ('block' in piece) counts.push(piece.block.count);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40_000);
    expect(Math.min(...counts.slice(0, -1))).toBeGreaterThan(1200);
  });

  it('hands out consecutive skipped items as ranges, and those asked for as entries, in input order', async () => {
    const input = Buffer.from(['0', '', '1', '2', 'bad', '4', `${'z'.repeat(MAX + 5)}`, '6', '7', '8'].join('\n'));
    const verdict = (i: number): boolean | 'entry' => (i === 4 ? 'entry' : [0, 2, 3, 5, 6, 8].includes(i));
    for (const chunk of [1, 3, 1000]) {
      for (const lines of [1, 2, 100]) {
        const { seen, skipped, ranges } = await byBlocks(input, chunk, lines, MAX, verdict);
        expect(ranges, `chunk ${chunk}, lines ${lines}`).toEqual([
          [0, 1],
          [2, 2],
          [5, 2],
          [8, 1],
        ]);
        expect(skipped.map((e) => [e.index, e.line, e.raw])).toEqual([[4, 6, '4']]);
        expect(seen.map((s) => [s.index, s.line, s.text])).toEqual([
          [1, 3, '1'],
          [7, 9, '7'],
        ]);
      }
    }
  });

  it('hands out regular lines as dense blocks (no per-item bookkeeping), and a block a blank line falls in item by item', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `{"n":${i}}${i % 7 === 0 ? '\r' : ''}`);
    const regular = Buffer.from(`${lines.join('\n')}\n`);
    const all = await byBlocks(regular, 100, 50, MAX);
    expect(all.seen.map((x) => x.text)).toEqual(lines.map((l) => l.replace('\r', '')));
    expect(all.seen.map((x) => x.line)).toEqual(lines.map((_, i) => i + 2 - 1));
    expect(all.dense).toBe(6);
    // A blank line 120: the block it falls in (items 100-149) carries its items' ranges; the others stay dense.
    const gap = Buffer.from(`${[...lines.slice(0, 120), '  ', ...lines.slice(120)].join('\n')}`);
    const some = await byBlocks(gap, 100, 50, MAX);
    expect(some.seen.map((x) => x.line)).toEqual(lines.map((_, i) => (i < 120 ? i + 1 : i + 2)));
    expect(some.dense).toBe(5);
  });

  it('writes out every item of a dense block that grew past its item arrays before a blank line came into it', async () => {
    // 2,000 regular lines counted as a dense block (no item written), then a blank line: all 2,000 get their ranges.
    const lines = Array.from({ length: 2000 }, (_, i) => `{"n":${i}}`);
    const input = Buffer.from(`${lines.join('\n')}\n\n{"n":2000}\n`);
    const { seen, dense } = await byBlocks(input, input.length, 4096, MAX);
    expect(dense).toBe(0);
    expect(seen.map((x) => [x.line, x.text])).toEqual([...lines.map((l, i) => [i + 1, l]), [2002, '{"n":2000}']]);
  });

  it('reads an input file straight into its slabs, up to the size given, with the same items as from a stream', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openInput } = await import('../src/cli/input.ts');
    const dir = mkdtempSync(join(tmpdir(), 'bt-blocks-'));
    try {
      const kinds = ['{"a":1}', '', '\t{"c":2}', 'x'.repeat(MAX + 3), '[1]\r', '7'];
      const rnd = seeded(11);
      const lines = Array.from({ length: 3000 }, (_, i) => (rnd() < 0.9 ? `{"n":${i}}` : kinds[Math.floor(rnd() * kinds.length)]!));
      const bytes = Buffer.from(`${lines.join('\n')}\n`);
      const file = join(dir, 'in.jsonl');
      writeFileSync(file, bytes);
      const fromStream = await byBlocks(bytes, 4096, 64, MAX, undefined, 512);
      const seen: Seen[] = [];
      for await (const p of lineBlocks(openInput(file, 'in.jsonl'), { lines: 64, bytes: 1 << 20 }, undefined, parseLine, MAX, 512)) {
        if (!('block' in p)) continue;
        const b = p.block;
        const bounds = boundsOf(b);
        for (let k = 0; k < b.count; k++) {
          const problem = b.problems?.find((x) => x[0] === k)?.[1];
          seen.push({ index: b.first + k, line: lineOf(b, k), text: problem === undefined ? utf8.decode(b.bytes.subarray(bounds[2 * k], bounds[2 * k + 1])) : '', ...(problem === undefined ? {} : { problem }) });
        }
      }
      expect(seen).toEqual(fromStream.seen);
      // Only the first `size` bytes: the first 100 lines.
      const size = Buffer.byteLength(`${lines.slice(0, 100).join('\n')}\n`);
      let items = 0;
      for await (const p of lineBlocks(openInput(file, 'in.jsonl', size), { lines: 64, bytes: 1 << 20 }, undefined, parseLine, MAX)) if ('block' in p) items += p.block.count;
      expect(items).toBe(fromStream.seen.filter((x) => x.line <= 100).length);
      // A missing file: the usage error that names it.
      const missing = lineBlocks(openInput(join(dir, 'nope.jsonl'), 'nope.jsonl'), { lines: 64, bytes: 1 << 20 }, undefined, parseLine);
      await expect(missing.next()).rejects.toThrow('input file not found: nope.jsonl');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
