/**
 * Numeric input through shared memory: typed arrays of every element type and arrays of numbers are placed once
 * in a SharedArrayBuffer (a snapshot taken when the map starts) and come back right; an array with one non-number
 * falls back to the ordinary path; a caller that keeps writing to its own SharedArrayBuffer after the call cannot
 * change the results.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../src/index.ts';
import { isSharedView, sharedSnapshot } from '../src/transport/shared-input.ts';
import { TYPED_ARRAYS } from '../src/transport/typed-arrays.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
const twice = defineTask<unknown, unknown>(fixture('numbers-task.mjs'), 'twice');
const describeItem = defineTask<unknown, unknown>(fixture('numbers-task.mjs'), 'describe');

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
