// The byte path's splitter (src/cli/line-blocks.ts) finds exactly the items the line reader finds (readLines +
// entries): same indices, line numbers, texts and problems, whatever the chunk boundaries and block sizes.
import { describe, expect, it } from 'vitest';
import { entries, parseLine, readLines, type Entry } from '../src/cli/input.ts';
import { lineBlocks, type BlockPiece, type SkipVerdict } from '../src/cli/line-blocks.ts';
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
): Promise<{ seen: Seen[]; skipped: Entry[]; ranges: Array<[number, number]> }> {
  const seen: Seen[] = [];
  const skipped: Entry[] = [];
  const ranges: Array<[number, number]> = [];
  let next = 0;
  const spans = new Map<ArrayBufferLike, Array<[number, number]>>();
  const pieces: BlockPiece[] = [];
  for await (const p of lineBlocks(chunks(bytes, chunk), { lines, bytes: 1 << 20 }, skip, parseLine, max)) pieces.push(p);
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
    // One span of shared memory per block (sent to a worker without a copy), carved from a slab shared with the
    // blocks before and after it: bounds, numbers and bytes one after another, overlapping no other block.
    expect(b.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(b.bounds.buffer).toBe(b.bytes.buffer);
    expect(b.numbers.buffer).toBe(b.bytes.buffer);
    expect(b.numbers.byteOffset).toBe(b.bounds.byteOffset + b.bounds.byteLength);
    expect(b.bytes.byteOffset).toBe(b.numbers.byteOffset + b.numbers.byteLength);
    const span: [number, number] = [b.bounds.byteOffset, b.bytes.byteOffset + b.bytes.length];
    const others = spans.get(b.bytes.buffer) ?? [];
    for (const [s, e] of others) expect(span[1] <= s || span[0] >= e).toBe(true);
    spans.set(b.bytes.buffer, [...others, span]);
    for (let k = 0; k < b.count; k++) {
      const raw = b.bytes.subarray(b.bounds[2 * k], b.bounds[2 * k + 1]);
      const problem = b.problems?.find((x) => x[0] === k)?.[1];
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        text = '<invalid UTF-8>';
      }
      seen.push({ index: b.first + k, line: b.numbers[k]!, text: problem === undefined ? text : '', ...(problem === undefined ? {} : { problem }) });
    }
    next += b.count;
  }
  return { seen, skipped, ranges };
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
        const { seen, skipped } = await byBlocks(tricky, chunk, lines, MAX);
        expect(skipped).toEqual([]);
        expect(seen, `chunk ${chunk}, lines ${lines}`).toEqual(normalized);
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
      const { seen } = await byBlocks(input, chunk, 4096, MAX);
      expect(seen, `chunk ${chunk}`).toEqual(expected);
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
});
