// map's result sink: pieces land in any order and of any kind; the array it builds at the end is in input order,
// and keeps every value as it came (numbers from Float64Array pieces and from plain arrays alike).
import { describe, expect, it } from 'vitest';
import { ResultRuns } from '../src/schedule/sinks.ts';

describe('ResultRuns', () => {
  it('orders pieces of numbers of both kinds (Float64Array, array) landed out of order, from their ranges', () => {
    const sink = new ResultRuns();
    sink.values(10, new Float64Array([0, 0, 12.5, 13, 14, 0]), 2, 5); // 12..14
    sink.values(0, [0, 1, 2, 3], 0, 4); // 0..3
    sink.value(11, -0);
    sink.values(4, new Float64Array([4, 5, 6, 7, 8, 9, 10, Number.NaN]), 0, 7); // 4..10
    const out = sink.toArray();
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -0, 12.5, 13, 14]);
    expect(Object.is(out[11], -0)).toBe(true);
  });

  it('keeps values that are not numbers, beside numeric pieces', () => {
    const sink = new ResultRuns();
    const record = { id: 1 };
    sink.values(3, new Float64Array([3, 4]), 0, 2);
    sink.values(0, ['a', record, null], 0, 3);
    sink.value(5, undefined);
    const out = sink.toArray();
    expect(out).toEqual(['a', record, null, 3, 4, undefined]);
    expect(out[1]).toBe(record);
    expect(out).toHaveLength(6);
  });

  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('with the length known, copies numeric pieces while the run goes on, and the rest at the end', async () => {
    const sink = new ResultRuns();
    sink.total(15);
    const late = new Float64Array([0, 0, 12.5, 13, 14, 0]);
    sink.values(10, late, 2, 5); // 12..14
    await turn(); // copied now: a later change of the shared output is not seen
    late[3] = 99;
    sink.values(0, [0, 1, 2, 3], 0, 4); // 0..3, an array: copied at the end
    sink.value(11, -0);
    sink.values(4, new Float64Array([4, 5, 6, 7, 8, 9, 10, Number.NaN]), 0, 7); // 4..10: still pending at the end
    const out = sink.toArray();
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -0, 12.5, 13, 14]);
    expect(Object.is(out[11], -0)).toBe(true);
  });

  it('with the length known, drops the numbers copied early when a later piece holds something else', async () => {
    const sink = new ResultRuns();
    sink.total(6);
    sink.values(3, new Float64Array([3, 4, 5]), 0, 3);
    await turn();
    const record = { id: 1 };
    sink.values(0, ['a', record, 2], 0, 3);
    await turn();
    const out = sink.toArray();
    expect(out).toEqual(['a', record, 2, 3, 4, 5]);
    expect(out[1]).toBe(record);
  });

  it('with a length that the pieces do not add up to (the input changed), builds the array from the pieces', async () => {
    const sink = new ResultRuns();
    sink.total(4);
    sink.values(0, new Float64Array([7, 8, 9]), 0, 3);
    await turn();
    expect(sink.toArray()).toEqual([7, 8, 9]);
  });

  it('gives an empty array for a run without results', () => {
    expect(new ResultRuns().toArray()).toEqual([]);
  });
});
