import { describe, expectTypeOf, it } from 'vitest';
import {
  createRuntime,
  defineTask,
  mapSettled,
  parallelMap,
  type ItemError,
  type Settled,
  type StreamResult,
  type Task,
  type TaskContext,
} from '../src/index.ts';

interface Input {
  id: number;
}
interface Output {
  score: number;
}
const score = defineTask<Input, Output>(new URL('./fixtures/math.mjs', import.meta.url), 'score');

describe('parallelMap inference', () => {
  it('infers results from a task handle', () => {
    expectTypeOf(score).toEqualTypeOf<Task<Input, Output>>();
    expectTypeOf(parallelMap([{ id: 1 }], score)).resolves.toEqualTypeOf<Output[]>();
    expectTypeOf(mapSettled([{ id: 1 }], score)).resolves.toEqualTypeOf<Settled<Output>[]>();
  });

  it('infers results from inline functions, unwrapping promises', () => {
    expectTypeOf(parallelMap([1, 2], (x: number) => String(x))).resolves.toEqualTypeOf<string[]>();
    expectTypeOf(parallelMap([1, 2], async (x: number) => x > 1)).resolves.toEqualTypeOf<boolean[]>();
    expectTypeOf(parallelMap(new Set(['a']), (s: string, ctx: TaskContext) => ctx.index + s.length)).resolves.toEqualTypeOf<number[]>();
  });

  it('rejects items of the wrong type', () => {
    // @ts-expect-error strings are not Input
    void parallelMap(['x'], score);
    // @ts-expect-error a number is not iterable
    void parallelMap(5, score);
  });

  it('types settled outcomes and stream results', async () => {
    const rt = createRuntime();
    const settled = await rt.mapSettled([{ id: 1 }], score);
    const first = settled[0]!;
    if (first.status === 'rejected') expectTypeOf(first.reason).toEqualTypeOf<ItemError>();
    else expectTypeOf(first.value).toEqualTypeOf<Output>();
    for await (const r of rt.stream([{ id: 1 }], score, { ordered: false })) {
      expectTypeOf(r).toEqualTypeOf<StreamResult<Output>>();
      expectTypeOf(r.index).toEqualTypeOf<number>();
    }
    // @ts-expect-error unknown option
    void rt.map([{ id: 1 }], score, { chunksize: 3 });
  });
});
