// A worker that dies inside fused stages (exit, out of memory, a timeout) names the stage that was running: the
// worker records the stage's number in the chunk's progress slot before running it on an item.
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, StageError, type PipelineResult } from '../src/index.ts';

const fixture = new URL('./fixtures/pipeline-stages.mjs', import.meta.url);
const stage = (name: string) => defineTask<number, number>(fixture, name);

const rt = createRuntime({ threads: 2, maxHeapMb: 64 });
afterAll(() => rt.close());

async function collect(it: AsyncIterable<PipelineResult<number>>): Promise<PipelineResult<number>[]> {
  const out: PipelineResult<number>[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** Runs items 0..19 through `stages`; every item but 7 comes out with `expected(i)`, item 7's reason is returned. */
async function onlySevenFails(stages: Parameters<typeof rt.pipeline>[1], expected: (i: number) => number, options = {}): Promise<StageError> {
  const items = Array.from({ length: 20 }, (_, i) => i);
  const out = await collect(rt.pipeline<number>(items, stages, { chunkSize: 5, ...options }));
  expect(out.map((r) => r.index)).toEqual(items);
  for (const r of out) if (r.index !== 7) expect(r).toEqual({ index: r.index, status: 'fulfilled', value: expected(r.index) });
  const seven = out[7]!;
  expect(seven.status).toBe('rejected');
  const reason = (seven as { reason: StageError }).reason;
  expect(reason).toBeInstanceOf(StageError);
  expect(reason.index).toBe(7);
  return reason;
}

describe('a worker dying inside fused stages', () => {
  it('names the middle stage an item crashed its worker in, not the fused group', async () => {
    const reason = await onlySevenFails([stage('double'), stage('exitOn14'), stage('plusOne')], (i) => i * 2 + 1);
    expect(reason.code).toBe(ErrorCodes.WORKER_CRASHED);
    expect(reason.exitCode).toBe(3);
    expect(reason.stage).toBe(1);
    expect(reason.stageName).toBe('exitOn14');
    expect(reason.message).toMatch(/^item 7 failed in stage 1 \(exitOn14\): crashed its worker \(exit code 3\)/);
  });

  it('names the last stage when that is the one running', async () => {
    const reason = await onlySevenFails([stage('double'), stage('plusOne'), { map: stage('exitOn15'), name: 'check' }], (i) => i * 2 + 1);
    expect(reason.code).toBe(ErrorCodes.WORKER_CRASHED);
    expect(reason.stage).toBe(2);
    expect(reason.stageName).toBe('check');
  });

  it('names the stage an item ran its worker out of memory in (after isolating it)', async () => {
    const reason = await onlySevenFails([stage('double'), stage('hogOn14'), stage('plusOne')], (i) => i * 2 + 1);
    expect(reason.code).toBe(ErrorCodes.WORKER_OOM);
    expect(reason.stage).toBe(1);
    expect(reason.stageName).toBe('hogOn14');
  });

  it('names the stage an item timed out in', async () => {
    const reason = await onlySevenFails([stage('double'), stage('spinOn14'), stage('plusOne')], (i) => i * 2 + 1, { timeout: 300 });
    expect(reason.code).toBe(ErrorCodes.TIMEOUT);
    expect(reason.stage).toBe(1);
    expect(reason.stageName).toBe('spinOn14');
  });
});
