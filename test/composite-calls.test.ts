// Fused stages (src/worker/composite.ts), in process: what the composite computes (map, filter, flatMap, in order),
// and the warm-up that keeps V8 from inlining a stage into it (a stage with a hot loop ran 2x slower inlined).
import { describe, expect, it } from 'vitest';
import { DROPPED, loadComposite, warmedStageCalls } from '../src/worker/composite.ts';
import type { LoadedTask } from '../src/worker/load-task.ts';
import type { CompositeTaskSpec, TaskContext, TaskSpec } from '../src/task.ts';

const fns: Record<string, LoadedTask> = {
  double: (x) => (x as number) * 2,
  even: (x) => (x as number) % 4 === 0,
  pair: (x) => [x, -(x as number)],
};
const spec = (ops: Array<['map' | 'filter' | 'flatMap', string]>): CompositeTaskSpec => ({
  kind: 'composite',
  stages: ops.map(([op, name], stage) => ({ op, stage, name, task: { kind: 'module', url: 'file:///stages.mjs', exportName: name } })),
});
const load = async (task: TaskSpec): Promise<LoadedTask> => fns[(task as { exportName: string }).exportName]!;
const context = {} as TaskContext;

describe('composite stages', () => {
  it('ran every warm-up call at load (a warm-up that ran none would let V8 inline the first stage into the composite)', () => {
    // 4 rounds of 6 distinct functions.
    expect(warmedStageCalls).toBe(24);
  });

  it('runs the stages in order on each item: a map, a filter that drops, a flatMap at the end', async () => {
    const composite = await loadComposite(spec([['map', 'double'], ['filter', 'even'], ['flatMap', 'pair']]), load);
    expect([1, 2, 3, 4].map((x) => composite(x, context))).toEqual([[], [4, -4], [], [8, -8]]);
    const mapped = await loadComposite(spec([['map', 'double'], ['filter', 'even']]), load);
    expect(mapped(2, context)).toBe(4);
    expect(mapped(1, context)).toBe(DROPPED);
  });
});
