/**
 * Numeric input through shared memory: typed arrays of every element type and arrays of numbers are placed once
 * in a SharedArrayBuffer (a snapshot taken when the map starts) and come back right; an array with one non-number
 * falls back to the ordinary path; a caller that keeps writing to its own SharedArrayBuffer after the call cannot
 * change the results.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../src/index.ts';
import { BufferLease, BufferShelf } from '../src/transport/buffer-shelf.ts';
import { isSharedView, sharedSnapshot } from '../src/transport/shared-input.ts';
import { shelfBytes } from '../src/testing.ts';
import { recordHash as hash } from './fixtures/numbers-task.mjs';
import { TYPED_ARRAYS } from '../src/transport/typed-arrays.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const twice = defineTask<unknown, unknown>(fixture('numbers-task.mjs'), 'twice');
const describeItem = defineTask<unknown, unknown>(fixture('numbers-task.mjs'), 'describe');
const failOdd = defineTask<number, number>(fixture('numbers-task.mjs'), 'failOdd');
const recordHash = defineTask<unknown, number>(fixture('numbers-task.mjs'), 'recordHash');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

const N = 5000;
const CONSTRUCTORS = Object.values(TYPED_ARRAYS);

/** Values that exercise each type's range (wrapping as the type does), plus NaN / -0 / infinities for floats. */
function fill(Ctor: (typeof CONSTRUCTORS)[number]): ArrayLike<unknown> & { length: number } {
  const a = new Ctor(N);
  for (let i = 0; i < N; i++) {
    if (a instanceof BigInt64Array || a instanceof BigUint64Array) a[i] = BigInt(i * 7919 - 2500) * 1_000_000_007n;
    else (a as unknown as number[])[i] = (i * 7919 - 2500) * 0.37;
  }
  if (a instanceof Float32Array || a instanceof Float64Array) {
    a[1] = Number.NaN;
    a[2] = -0;
    a[3] = Number.POSITIVE_INFINITY;
    a[4] = Number.NEGATIVE_INFINITY;
  }
  return a as ArrayLike<unknown> & { length: number };
}

const expected = (items: ArrayLike<unknown>): unknown[] =>
  Array.from(items, (x) => (typeof x === 'bigint' ? x * 2n : (x as number) * 2));

describe('shared-memory input', () => {
  for (const Ctor of CONSTRUCTORS) {
    it(`maps a ${Ctor.name} (copied once into shared memory) with every result right`, async () => {
      const items = fill(Ctor);
      const snapshot = sharedSnapshot(items)!;
      expect(isSharedView(snapshot)).toBe(true);
      expect(snapshot.constructor).toBe(Ctor);
      const out = await rt.map(items, twice);
      expect(out).toEqual(expected(items));
      expect(Object.is(out[2], Ctor === Float32Array || Ctor === Float64Array ? -0 : out[2])).toBe(true);
    });
  }

  it('maps an array of numbers, and a typed array already backed by a SharedArrayBuffer', async () => {
    const numbers = Array.from({ length: N }, (_, i) => i / 3 - 100);
    expect(await rt.map(numbers, twice)).toEqual(expected(numbers));
    const shared = new Int32Array(new SharedArrayBuffer(N * 4)).map((_, i) => i - 7);
    expect(await rt.map(shared, twice)).toEqual(expected(shared));
  });

  it('falls back for an array with one non-number (or a hole), and every item arrives as it was', async () => {
    const mixed: unknown[] = Array.from({ length: N }, (_, i) => i);
    mixed[3777] = '3777';
    expect(sharedSnapshot(mixed)).toBeNull();
    const out = await rt.map(mixed, describeItem);
    expect(out).toEqual(mixed.map((x) => (typeof x === 'number' ? x + 1 : `string:${String(x)}!`)));
    // biome-ignore lint/suspicious/noSparseArray: a hole on purpose
    const holey = [1, 2, , 4, 5, 6, 7, 8, 9, 10];
    expect(sharedSnapshot(holey)).toBeNull();
    expect(await rt.map(holey, describeItem)).toEqual([2, 3, 'undefined:undefined!', 5, 6, 7, 8, 9, 10, 11]);
  });

  it('takes a snapshot: a caller that keeps writing to its SharedArrayBuffer after the call changes nothing', async () => {
    const input = new Float64Array(new SharedArrayBuffer(N * 8)).map((_, i) => i);
    const original = Array.from(input);
    const pending = rt.map(input, twice);
    // The call has returned; the caller goes on writing, now and on later turns, while the run is under way.
    input.fill(-1);
    await Promise.resolve();
    input.fill(-2);
    setImmediate(() => input.fill(-3));
    expect(await pending).toEqual(original.map((x) => x * 2));
  });

  it('answers null for what is not numbers', () => {
    expect(sharedSnapshot([])).toBeNull();
    expect(sharedSnapshot(['a'])).toBeNull();
    expect(sharedSnapshot([1n, 2n])).toBeNull();
    expect(sharedSnapshot(new DataView(new ArrayBuffer(8)))).toBeNull();
    expect(sharedSnapshot({ length: 2, 0: 1, 1: 2 })).toBeNull();
  });
});

describe('shared buffers from one map to the next', () => {
  it('a shelf lends the smallest spare that fits (at most twice the size), keeps eight, and lets go on clear', () => {
    const shelf = new BufferShelf();
    shelf.give(Array.from({ length: 10 }, () => new SharedArrayBuffer(100)));
    expect(shelf.bytes).toBe(800); // eight at most
    shelf.clear();
    const [a, b, c] = [new SharedArrayBuffer(800), new SharedArrayBuffer(1600), new SharedArrayBuffer(4000)];
    shelf.give([a, b, c]);
    expect(shelf.bytes).toBe(6400);
    expect(shelf.take(5000)).not.toBe(c); // too small: a fresh one
    expect(shelf.take(700)).toBe(a);
    expect(shelf.take(700)).not.toBe(b); // 1600 is more than twice 700: a fresh one
    expect(shelf.take(900)).toBe(b);
    expect(shelf.take(2001)).toBe(c);
    expect(shelf.bytes).toBe(0);
    shelf.give([new SharedArrayBuffer(512 * 1024 * 1024)]); // above the shelf's bound
    expect(shelf.bytes).toBe(0);
    shelf.give([a]);
    shelf.clear();
    expect(shelf.bytes).toBe(0);
    expect(shelf.take(800)).not.toBe(a);
  });

  it('a lease gives back what it took, once', () => {
    const shelf = new BufferShelf();
    const lease = new BufferLease(shelf);
    const x = lease.take(1024);
    lease.take(2048);
    expect(shelf.bytes).toBe(0);
    lease.giveBack();
    expect(shelf.bytes).toBe(3072);
    lease.giveBack();
    expect(shelf.bytes).toBe(3072);
    expect(new BufferLease(shelf).take(1024)).toBe(x);
  });

  it('maps of several sizes and element types reuse the buffers of the map before, every result right', async () => {
    const local = createRuntime({ threads: 2, maxHeapMb: 128 });
    try {
      const inputs: Array<ArrayLike<unknown> & { length: number }> = [
        Float64Array.from({ length: 4000 }, (_, i) => i * 1.5 - 7),
        Float32Array.from({ length: 4000 }, (_, i) => -i / 4), // 16,000 bytes in, 32,000 out: the map before's fit
        Array.from({ length: 3500 }, (_, i) => i * 3 + 0.5),
        Int8Array.from({ length: 25000 }, (_, i) => (i % 200) - 100),
        Array.from({ length: 3000 }, (_, i) => -i),
      ];
      let before = 0;
      for (const [k, items] of inputs.entries()) {
        expect(await local.map(items, twice), `map ${k}`).toEqual(expected(items));
        const after = shelfBytes(local);
        expect(after, `map ${k}: its input and output are kept`).toBeGreaterThan(0);
        if (k === 1) expect(after).toBe(before); // reused the map before's buffers: nothing new kept
        before = after;
      }
    } finally {
      await local.close();
    }
    expect(shelfBytes(local)).toBe(0);
  });

  it('record maps (shared columns) reuse the buffers of the maps before: narrow and wide text, several shapes', async () => {
    const local = createRuntime({ threads: 2, maxHeapMb: 128 });
    try {
      const inputs: unknown[][] = [
        // 24,000 bytes in and out, no zero in them: the next map's offsets (4 × 6,000 bytes) get one of them.
        Array.from({ length: 3000 }, (_, i) => i + 0.5),
        Array.from({ length: 5999 }, (_, i) => ({ id: i * 1.5, text: `text-${i}-abcdefgh` })),
        Array.from({ length: 6000 }, (_, i) => ({ id: -i, text: i % 3 ? `wide-${i}-🙂é` : `n${i}` })),
        Array.from({ length: 5000 }, (_, i) => (i % 2 ? `s${i}-€` : `s${i}`)),
        Array.from({ length: 6000 }, (_, i) => ({ ok: i % 2 === 0, at: new Date(i * 1000), text: `t${i}` })),
        Array.from({ length: 4000 }, (_, i) => Math.sqrt(i)),
        Array.from({ length: 6000 }, (_, i) => ({ id: i, text: `again-${i}` })),
      ];
      for (const [k, items] of inputs.entries()) {
        expect(await local.map(items, recordHash), `map ${k}`).toEqual(items.map((r) => hash(structuredClone(r))));
        expect(shelfBytes(local), `map ${k}`).toBeGreaterThan(0);
      }
    } finally {
      await local.close();
    }
  });

  it('a map that fails keeps its buffers (a stopped chunk may still write); one that settles gives them back', async () => {
    const local = createRuntime({ threads: 2, maxHeapMb: 128 });
    try {
      const items = Array.from({ length: 3000 }, (_, i) => (i === 2500 ? 7 : i * 2));
      await expect(local.map(items, failOdd)).rejects.toThrow(/odd 7/);
      expect(shelfBytes(local)).toBe(0);
      const settled = await local.mapSettled(items, failOdd);
      expect(settled.filter((s) => s.status === 'rejected').length).toBe(1);
      expect(settled[2500]!.status).toBe('rejected');
      expect(settled[2499]).toEqual({ status: 'fulfilled', value: 2499 * 4 });
      expect(shelfBytes(local)).toBeGreaterThan(0);
      // With a per-item timeout a worker being terminated may write late: nothing is kept.
      const kept = shelfBytes(local);
      expect(await local.map(items.map((x) => (x === 7 ? 8 : x)), failOdd, { timeout: 10_000 })).toHaveLength(3000);
      expect(shelfBytes(local)).toBe(kept);
      // The next map of the same size reads its own items, not the buffers' stale contents.
      const next = Array.from({ length: 3000 }, (_, i) => 4 * i);
      expect(await local.map(next, twice)).toEqual(next.map((x) => x * 2));
    } finally {
      await local.close();
    }
  });
});
