/**
 * The item loop gives way to a hungry worker only when what its chunk has left is worth a round trip
 * (MIN_YIELD_MS at the pace the chunk ran so far). Time is a fake clock that each item advances, so the pace is
 * exact and nothing depends on the machine.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskContext } from '../src/task.ts';
import { ABORTED_BIT, claimHunger, MIN_YIELD_MS, setAborted, STATE_SIGNALS } from '../src/transport/protocol.ts';
import { ABORTED, RAN_ALL, results, runItems, warmedItems, YIELDED, type ItemLoop } from '../src/worker/item-loop.ts';

let clock = 0;
afterEach(() => vi.restoreAllMocks());

/** A yieldable loop over `n` items whose item k advances the clock by `msPerItem` (and may raise the hunger). */
function loopOf(n: number, msPerItem: number, hungerAt: number | null, async = false, itemMs = 0): ItemLoop {
  const control = new Int32Array(new SharedArrayBuffer(64));
  if (hungerAt === null) Atomics.store(control, STATE_SIGNALS, 1);
  const fn = (item: unknown): unknown => {
    clock += msPerItem;
    if (item === hungerAt) Atomics.store(control, STATE_SIGNALS, 1);
    return async ? Promise.resolve(item) : item;
  };
  return {
    fn, item: null, list: Array.from({ length: n }, (_, k) => k), n, start: 0,
    context: { index: 0 } as TaskContext & { index: number }, control, startedAt: new Float64Array(1), slot: 0,
    itemAt: 8, timed: false, yieldable: true, itemMs, out: null, inline: null, values: null, errors: [], k: 0, end: RAN_ALL,
  };
}

async function run(loop: ItemLoop): Promise<ItemLoop> {
  vi.spyOn(performance, 'now').mockImplementation(() => clock);
  await runItems(loop, () => {});
  return loop;
}

describe('item loop: giving way to a hungry worker', () => {
  it('gives way after its first item when the rest is worth more than MIN_YIELD_MS', async () => {
    const loop = await run(loopOf(50, (2 * MIN_YIELD_MS) / 49, null));
    expect([loop.end, loop.k]).toEqual([YIELDED, 1]);
    expect(Atomics.load(loop.control, STATE_SIGNALS)).toBe(0); // it claimed the hunger
  });

  it('keeps a rest worth less than MIN_YIELD_MS and leaves the hunger to another chunk', async () => {
    const loop = await run(loopOf(50, MIN_YIELD_MS / 100, null));
    expect([loop.end, loop.k]).toEqual([RAN_ALL, 50]);
    expect(loop.values).toEqual(Array.from({ length: 50 }, (_, k) => k));
    expect(Atomics.load(loop.control, STATE_SIGNALS)).toBe(1);
  });

  it("judges the rest at the run's mean cost when its own items were cheaper (the expensive ones may lie ahead)", async () => {
    // 49 items left after the first, at 1/100 of MIN_YIELD_MS each by its own pace: kept, unless the run's mean
    // says each costs more.
    const cheap = await run(loopOf(50, MIN_YIELD_MS / 100, null, false, MIN_YIELD_MS / 40));
    expect([cheap.end, cheap.k]).toEqual([YIELDED, 1]);
    const both = await run(loopOf(50, MIN_YIELD_MS / 100, null, false, MIN_YIELD_MS / 100));
    expect([both.end, both.k]).toEqual([RAN_ALL, 50]);
    // Its own pace still counts when higher than the mean.
    const slow = await run(loopOf(50, MIN_YIELD_MS / 40, null, false, MIN_YIELD_MS / 1000));
    expect([slow.end, slow.k]).toEqual([YIELDED, 1]);
  });

  it('an async task (every item awaited) gives way the same: the pace counts from the chunk start', async () => {
    const per = MIN_YIELD_MS / 20;
    const early = await run(loopOf(50, per, 10, true));
    expect([early.end, early.k]).toEqual([YIELDED, 11]);
    expect(results(early)).toEqual(Array.from({ length: 11 }, (_, k) => k));
    const late = await run(loopOf(50, per, 35, true));
    expect([late.end, late.k]).toEqual([RAN_ALL, 50]);
  });

  it('judges the rest when the hunger comes: worth it early in the chunk, not near its end', async () => {
    const per = MIN_YIELD_MS / 20; // 20 items are worth MIN_YIELD_MS
    const early = await run(loopOf(50, per, 10)); // hunger during item 10: 39 items left at item 11
    expect([early.end, early.k]).toEqual([YIELDED, 11]);
    const late = await run(loopOf(50, per, 35)); // 14 items left at item 36
    expect([late.end, late.k]).toEqual([RAN_ALL, 50]);
  });

  it('stops at an abort, which shares the word with the hunger: the abort wins, the hunger is left unclaimed', async () => {
    const loop = loopOf(50, (2 * MIN_YIELD_MS) / 49, null); // hunger 1 from the start
    setAborted(loop.control);
    let aborts = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    await runItems(loop, () => aborts++);
    expect([loop.end, loop.k, aborts]).toEqual([ABORTED, 0, 1]);
    expect(Atomics.load(loop.control, STATE_SIGNALS)).toBe(ABORTED_BIT | 1);
    expect(claimHunger(loop.control)).toBe(false);
  });
});

describe('item loop: warm-up', () => {
  it('ran every warm-up item at load (a warm-up that ran none would let V8 inline the first task into the loop)', () => {
    // 4 rounds of 6 distinct tasks.
    expect(warmedItems).toBe(24);
  });
});
