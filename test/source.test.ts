/** toSource on its own: every accepted input kind, the refusals, batching, and closing. */
import { describe, expect, it } from 'vitest';
import { ErrorCodes, InvalidInputError } from '../src/errors.ts';
import { toSource } from '../src/schedule/source.ts';

describe('toSource', () => {
  it('an array: known total, consecutive batches, done at the end', () => {
    const s = toSource(['a', 'b', 'c', 'd', 'e']);
    expect(s.total).toBe(5);
    expect(s.take(2)).toEqual({ start: 0, items: ['a', 'b'] });
    expect(s.take(2)).toEqual({ start: 2, items: ['c', 'd'] });
    expect(s.done).toBe(false);
    expect(s.take(10)).toEqual({ start: 4, items: ['e'] });
    expect(s.done).toBe(true);
    expect(s.taken).toBe(5);
    expect(s.take(3)).toEqual({ start: 5, items: [] });
  });

  it('a typed array is read like an array; a DataView is not a list of items', () => {
    const s = toSource(new Float64Array([1.5, 2.5, 3.5]));
    expect(s.total).toBe(3);
    const first = s.take(2) as { start: number; items: ArrayLike<unknown> };
    // Numbers may be handed out as a view of shared memory rather than a copy: compare the values.
    expect([first.start, Array.from(first.items)]).toEqual([0, [1.5, 2.5]]);
    const rest = s.take(5) as { start: number; items: ArrayLike<unknown> };
    expect([rest.start, Array.from(rest.items)]).toEqual([2, [3.5]]);
    expect(s.done).toBe(true);
    const ints = toSource(new Int16Array([-1, 7])).take(5) as { items: ArrayLike<unknown> };
    expect(Array.from(ints.items)).toEqual([-1, 7]);
    expect(() => toSource(new DataView(new ArrayBuffer(8)))).toThrow(InvalidInputError);
  });

  it('with shareNumbers, numbers are a snapshot in shared memory and batches are views of it', () => {
    const input = [1, 2, 3, 4];
    const s = toSource(input, { shareNumbers: true });
    input[1] = 99; // later writes by the caller change nothing
    const batch = s.take(3) as { start: number; items: ArrayLike<unknown> };
    expect(batch.items).toBeInstanceOf(Float64Array);
    expect((batch.items as Float64Array).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(batch.items)).toEqual([1, 2, 3]);
    expect(toSource(['a', 1], { shareNumbers: true }).take(2)).toEqual({ start: 0, items: ['a', 1] }); // not all numbers
  });

  it('a sync iterable: unknown total, pulled lazily, closed early through return()', async () => {
    let pulled = 0;
    let returned = false;
    function* gen(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        returned = true;
      }
    }
    const s = toSource(gen());
    expect(s.total).toBeNull();
    expect(s.take(3)).toEqual({ start: 0, items: [0, 1, 2] });
    expect(pulled).toBe(3);
    expect(s.take(2)).toEqual({ start: 3, items: [3, 4] });
    await s.close();
    expect(returned).toBe(true);
    expect(s.done).toBe(true);
    expect(toSource(new Set(['x', 'y'])).take(5)).toEqual({ start: 0, items: ['x', 'y'] });
  });

  it('an async iterable: batches of up to n, done when it ends', async () => {
    async function* gen(): AsyncGenerator<number> {
      for (let i = 0; i < 5; i++) yield i;
    }
    const s = toSource(gen());
    expect(s.total).toBeNull();
    expect(await s.take(3)).toEqual({ start: 0, items: [0, 1, 2] });
    expect(await s.take(3)).toEqual({ start: 3, items: [3, 4] });
    expect(s.done).toBe(true);
  });

  it('an async iterable that stalls hands out the items it has, and keeps the pending pull for the next batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* gen(): AsyncGenerator<number> {
      yield 0;
      yield 1;
      await gate; // a producer waiting on I/O
      yield 2;
    }
    const s = toSource(gen());
    expect(await s.take(10)).toEqual({ start: 0, items: [0, 1] });
    expect(s.done).toBe(false);
    const next = s.take(10);
    release();
    expect(await next).toEqual({ start: 2, items: [2] });
    expect(await s.take(10)).toEqual({ start: 3, items: [] });
    expect(s.done).toBe(true);
  });

  it('closing an async iterable calls its return()', async () => {
    let returned = false;
    const iterable = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: 1 }),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const s = toSource(iterable);
    await s.take(2);
    await s.close();
    expect(returned).toBe(true);
  });

  it.each([
    ['a string', 'abc', /got "abc"|got 'abc'|string/],
    ['a number', 42, /got 42/],
    ['null', null, /got null/],
    ['undefined', undefined, /got undefined/],
    ['a plain object', { length: 2 }, /got/],
  ])('refuses %s with a clear InvalidInputError', (_name, value, pattern) => {
    let error: unknown;
    try {
      toSource(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe(ErrorCodes.INVALID_INPUT);
    expect((error as Error).message).toMatch(/^`items` must be an array, an iterable or an async iterable, got /);
    expect((error as Error).message).toMatch(pattern);
  });
});
