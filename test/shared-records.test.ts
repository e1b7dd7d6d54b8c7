/**
 * Records in shared memory, written range by range (transport/shared-records.ts, schedule/record-writing.ts):
 * every record comes back as it went in, text of any width included; a range that does not fit closes the board,
 * and that range and the rest are taken from it and handed back as ordinary work; a worker waiting for a range
 * learns it will never be ready. Arrays of strings travel the same way, as one text column.
 */
import { describe, expect, it } from 'vitest';
import { RecordWriting } from '../src/schedule/record-writing.ts';
import type { Batch } from '../src/schedule/source.ts';
import { awaitReady, claimBoardBytes, claimRange, claimViews, DELIVERED, owner, readyCount, setRangeStart } from '../src/transport/claims.ts';
import { SharedRecordReader, SharedRecordWriter } from '../src/transport/shared-records.ts';

const TEXTS = ['', 'plain', 'é ü', '日本語', '\u{1F600}', '\ud800', 'x\udfffy', 'latin-1 only: ÿ'];

function records(n: number): Array<{ id: number; text: string; ok: boolean; name: string }> {
  // Wide text only in range 2 (items 200..299), so ranges differ in width.
  return Array.from({ length: n }, (_, i) => ({
    id: i * 1.5 - 7,
    text: i >= 200 && i < 300 ? TEXTS[i % TEXTS.length]! : `t${i}`,
    ok: i % 3 === 0,
    name: i % 7 === 0 ? '' : `n${i % 13}`,
  }));
}

/** A board over `starts` (range r is starts[r]..starts[r + 1]). */
function board(starts: number[]) {
  const ranges = starts.length - 1;
  const views = claimViews(new SharedArrayBuffer(claimBoardBytes(ranges)), ranges);
  for (const [r, s] of starts.entries()) setRangeStart(views, r, s);
  return views;
}

const starts = Array.from({ length: 11 }, (_, r) => 100 * r);

describe('shared records', () => {
  it('round-trips every record, range by range, with the width each range needs', () => {
    const values = records(1000);
    const writer = SharedRecordWriter.open(values, 10)!;
    for (let r = 0; r < 10; r++) expect(writer.write(r, starts[r]!, starts[r + 1]!)).toBe(true);
    const text = writer.records.columns[1]!;
    expect(text.type === 'string' && Array.from(text.wide)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const reader = new SharedRecordReader(structuredClone(writer.records)); // as a worker receives it
    for (let r = 0; r < 10; r++) {
      const at = reader.range(r, starts[r]!, starts[r + 1]!);
      for (let k = 0; k < 100; k++) expect(at(k)).toStrictEqual(values[starts[r]! + k]);
    }
  });

  it('round-trips an array of strings (one text column, no keys), each range in the width it needs', () => {
    const values = records(1000).map((r) => r.text);
    const writer = SharedRecordWriter.open(values, 10)!;
    expect(writer.records.bare).toBe(true);
    for (let r = 0; r < 10; r++) expect(writer.write(r, starts[r]!, starts[r + 1]!)).toBe(true);
    const text = writer.records.columns[0]!;
    expect(text.type === 'string' && Array.from(text.wide)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    const reader = new SharedRecordReader(structuredClone(writer.records));
    for (let r = 0; r < 10; r++) {
      const at = reader.range(r, starts[r]!, starts[r + 1]!);
      for (let k = 0; k < 100; k++) expect(at(k)).toBe(values[starts[r]! + k]);
    }
    // An item that is not a string: its range does not fit (and is not written).
    const mixed: unknown[] = [...values];
    mixed[450] = 450;
    const second = SharedRecordWriter.open(mixed, 10)!;
    for (let r = 0; r < 4; r++) expect(second.write(r, starts[r]!, starts[r + 1]!)).toBe(true);
    expect(second.write(4, 400, 500)).toBe(false);
    expect(SharedRecordWriter.open(values.slice(0, 63), 1)).toBeNull();
  });

  it('shares Date fields as their time values; a range with a value that is not a Date does not fit', () => {
    const values = records(1000).map((r, i) => ({ ...r, at: new Date(i === 5 ? Number.NaN : 1e12 + i) }));
    const writer = SharedRecordWriter.open(values, 10)!;
    expect(writer.records.columns.map((c) => c.type).at(-1)).toBe('date');
    for (let r = 0; r < 10; r++) expect(writer.write(r, starts[r]!, starts[r + 1]!)).toBe(true);
    const reader = new SharedRecordReader(structuredClone(writer.records));
    for (let r = 0; r < 10; r++) {
      const at = reader.range(r, starts[r]!, starts[r + 1]!);
      for (let k = 0; k < 100; k++) expect(at(k)).toStrictEqual(structuredClone(values[starts[r]! + k]));
    }
    const odd: unknown[] = [...values];
    odd[250] = { ...values[250], at: '2001-09-09' };
    const second = SharedRecordWriter.open(odd, 10)!;
    expect(second.write(1, 100, 200)).toBe(true);
    expect(second.write(2, 200, 300)).toBe(false);
  });

  it('is not for too few records, nor for fields that are not numbers, booleans, strings or Dates', () => {
    expect(SharedRecordWriter.open(records(63), 1)).toBeNull();
    expect(SharedRecordWriter.open(records(100).map((r) => ({ ...r, tag: null })), 1)).toBeNull();
    expect(SharedRecordWriter.open(Array.from({ length: 100 }, (_, i) => [i]), 1)).toBeNull();
  });

  it('a range that does not fit closes the board: it and the rest are taken and handed back, in order', async () => {
    const values: Array<Record<string, unknown>> = records(1000);
    values[730] = { ...values[730], id: 'not a number' };
    const views = board(starts);
    const handed = new Promise<Batch[]>((resolve) => {
      // Only the first range is written before the board exists (firstMs 0); the rest after turns of the loop.
      const writing = RecordWriting.start(values, starts, resolve, 0)!;
      expect(readyCount(views)).toBe(0);
      writing.attach(views);
      expect(readyCount(views)).toBe(1);
      // A worker claims range 0 (ready) and range 1 (written later).
      expect(claimRange(views, 0)).toBe(0);
      expect(claimRange(views, 1)).toBe(1);
    });
    const batches = await handed;
    expect(batches.map((b) => [b.start, b.items.length])).toEqual([[700, 100], [800, 100], [900, 100]]);
    expect(batches[0]!.items[30]).toBe(values[730]);
    expect(readyCount(views)).toBe(7);
    for (let r = 7; r < 10; r++) expect(owner(views, r)).toBe(DELIVERED);
    // A worker asking for a range past the last ready one learns at once that it never will be; earlier ones are.
    expect(awaitReady(views, 8, () => false)).toBe(false);
    expect(awaitReady(views, 6, () => false)).toBe(true);
  });

  it('stop() ends the writing: nothing more becomes ready and nothing is handed back', async () => {
    const views = board(starts);
    let handed = false;
    const writing = RecordWriting.start(records(1000), starts, () => (handed = true), 0)!;
    writing.attach(views);
    writing.stop();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(readyCount(views)).toBe(1);
    expect(handed).toBe(false);
  });

  it('a waiting worker gives up when the run is aborted', () => {
    const views = board(starts);
    expect(awaitReady(views, 0, () => true)).toBe(false);
  });
});
