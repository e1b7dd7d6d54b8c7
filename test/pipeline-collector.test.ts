// The pipeline's collector: outcomes in input order from runs that land out of order, and the window the entry
// keeps (widened for big chunks unless the user fixed it).
import { describe, expect, it } from 'vitest';
import { Collector } from '../src/pipeline/collector.ts';
import { DROPPED } from '../src/worker/composite.ts';

const drain = (c: Collector): unknown[] => {
  const out: unknown[] = [];
  for (let r = c.out.shift(); r; r = c.out.shift()) out.push(r.status === 'fulfilled' ? [r.index, r.value] : [r.index, 'rejected']);
  return out;
};

describe('pipeline collector', () => {
  it('releases runs in input order, whatever order they land in, skipping dropped inputs', () => {
    const c = new Collector(true, 100, () => {});
    c.putRun(0, [10, 11, DROPPED, 13], 2, 4); // inputs 2..3 land first: held back
    expect(drain(c)).toEqual([]);
    c.putRun(4, new Float64Array([14, DROPPED]), 0, 2); // inputs 4..5: still held
    expect(c.held).toBe(6); // inputs 0..5: the gap before the runs counts too
    c.putRun(0, [10, 11, DROPPED, 13], 0, 2); // inputs 0..1: everything goes out
    expect(drain(c)).toEqual([
      [0, 10],
      [1, 11],
      [3, 13],
      [4, 14],
    ]);
    expect(c.held).toBe(0);
  });

  it('widens a default window for big chunks, never a window the user gave', () => {
    const c = new Collector(true, 4, () => {});
    c.putRun(2, [1, 2, 3, 4], 0, 4); // a run waiting for inputs 0..1: 6 held with the gap
    expect(c.admits()).toBe(false);
    c.widen(20);
    expect(c.admits()).toBe(true);
    c.widen(5);
    expect(c.admits()).toBe(true);
    const fixed = new Collector(true, 4, () => {}, true);
    fixed.putRun(2, [1, 2, 3, 4], 0, 4);
    fixed.widen(20);
    expect(fixed.admits()).toBe(false);
  });
});
