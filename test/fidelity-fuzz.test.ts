/**
 * Whatever the transport does with a batch (columns, lists, tuples, shared memory, views, or structured clone), a
 * task receives what structured clone would have delivered, and its results come back the same way. Seeded
 * batches (test/fixtures/value-fuzz.ts) of one kind each with deviations now and then, through real workers, both
 * ways: the items as they arrive (`echo`), and the items inside a record (`wrap`), compared strictly
 * (test/fixtures/clone-diff.ts) with `structuredClone` of the input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../src/index.ts';
import { cloneDiff } from './fixtures/clone-diff.ts';
import { BATCH_KINDS, seeded, valueFuzz } from './fixtures/value-fuzz.ts';

const fixture = new URL('./fixtures/shapes-task.mjs', import.meta.url);
const echo = defineTask<unknown, unknown>(fixture, 'echo');
const wrap = defineTask<unknown, { v: unknown }>(fixture, 'wrap');
const rt = createRuntime({ threads: 2, maxHeapMb: 256 });
afterAll(() => rt.close());

/** Batch sizes: below the packers' minimum, one chunk, several chunks, and shared memory with self-scheduling. */
const SIZES = [10, 100, 2000, 6000];
/** Every kind of batch in every size, two rounds with any text and two with Latin-1 text only (see valueFuzz). */
const SEEDS = 4 * BATCH_KINDS;

describe('fidelity under seeded fuzzing', () => {
  it('the comparison finds the differences structured clone makes (it can fail)', () => {
    // biome-ignore lint/suspicious/noSparseArray: a hole on purpose, against an undefined
    const holey = [1, , 3];
    expect(cloneDiff(holey, [1, undefined, 3])).toMatch(/keys/);
    expect(cloneDiff({ a: -0 }, { a: 0 })).toMatch(/\$\.a/);
    expect(cloneDiff(Object.assign([1], { x: 1 }), [1])).toMatch(/keys/);
    expect(cloneDiff(new Uint8Array(new ArrayBuffer(8), 4, 2), new Uint8Array(2))).toMatch(/at 4 of 8/);
    expect(cloneDiff(new Map([[1, 2]]), new Map([[1, 3]]))).toMatch(/<0>/);
    expect(cloneDiff({ b: 1, a: 2 }, { a: 2, b: 1 })).toMatch(/keys/);
    expect(cloneDiff(new Date(Number.NaN), new Date(0))).toMatch(/time/);
    expect(cloneDiff(structuredClone({ x: [1, 'é', new Set([2])] }), { x: [1, 'é', new Set([2])] })).toBeNull();
  });

  it(`delivers items and results as structured clone would, over ${SEEDS} seeded batches`, async () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const items = valueFuzz(seeded(seed * 7919 + 1), seed).batch(SIZES[(seed + Math.floor(seed / BATCH_KINDS)) % SIZES.length]!);
      const cloned = structuredClone(items);
      expect(cloneDiff(cloned, await rt.map(items, echo)), `seed ${seed}, echo`).toBeNull();
      expect(
        cloneDiff(
          cloned.map((v) => ({ v })),
          await rt.map(items, wrap),
        ),
        `seed ${seed}, wrap`,
      ).toBeNull();
    }
  });
});
