import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, ItemError, type RunTrace } from '../../src/index.ts';
import { ChunkRecorder } from '../../src/schedule/recorder.ts';

const fixture = (name: string): URL => new URL(`../fixtures/${name}`, import.meta.url);
const failOnOdd = defineTask<number, number>(fixture('math.mjs'), 'failOnOdd');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

describe('trace detail for reports', () => {
  it('records dispatch and start times, first index, attempt, heap and failures of a traced run', async () => {
    let trace: RunTrace | undefined;
    const results = await rt.mapSettled(Array.from({ length: 200 }, (_, i) => i), failOnOdd, { chunkSize: 25, onTrace: (t) => (trace = t) });
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(100);
    const t = trace!;
    expect(t.threads).toBe(2);
    expect(t.elapsedMs).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(t.startedAt!))).toBe(false);
    expect(t.main!.utilization).toBeGreaterThan(0);
    expect(t.main!.utilization).toBeLessThanOrEqual(1);
    expect(t.failures!.byCode).toEqual({ BT_TASK_FAILED: 100 });
    expect(t.failures!.first).toHaveLength(20);
    // the 20 lowest-indexed failures in item order, whatever order the chunks finished in, each with its own message
    expect(t.failures!.first.map((f) => f.index)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 1));
    for (const f of t.failures!.first) {
      expect(f).toMatchObject({ code: 'BT_TASK_FAILED', attempts: 1 });
      expect(f.message).toContain(`odd item ${f.index}`);
    }
    // Chunks as dispatched: not the pieces of isolation, nor the rest of a chunk that gave way to an idle worker.
    const firsts = t.chunks.filter((c) => !c.isolated && !c.stolen).map((c) => c.first).sort((a, b) => a! - b!);
    expect(firsts).toEqual([0, 25, 50, 75, 100, 125, 150, 175]);
    for (const c of t.chunks) {
      expect(c.sentMs).toBeGreaterThanOrEqual(0);
      expect(c.startMs).toBeGreaterThanOrEqual(c.sentMs!);
      expect(c.startMs).toBeLessThanOrEqual(c.t);
      // the worker's own start: its busy span ends before its reply reached the main thread (1 ms for clocks)
      expect(c.startMs! + c.runMs).toBeLessThanOrEqual(c.t + 1);
      expect(c.attempt).toBe(1);
      expect(c.heapLimitMb).toBeGreaterThan(64);
      expect(c.heapUsedMb).toBeLessThan(c.heapLimitMb!);
    }
    // The first chunk's odd items failed: 12 of 25, or half of the prefix it ran when it gave way to an idle worker.
    const first = t.chunks.find((c) => c.first === 0 && !c.isolated)!;
    expect(first.failedItems ?? 0).toBe(Math.floor(first.items / 2)); // absent when none failed
  });

  it('keeps the 20 lowest-indexed failures in item order when chunks land out of order', () => {
    const policy = { next: () => 1, observe: () => undefined, maxInFlight: () => 2 };
    const recorder = new ChunkRecorder(policy, true, performance.now());
    // A late first chunk: its failures arrive after those of 40 later items; indices 0–9 come last.
    const order = [...Array.from({ length: 40 }, (_, i) => 100 + i), 7, 3, 9, 0, 8, 1, 6, 2, 5, 4, 200];
    for (const index of order) recorder.failure(new ItemError(ErrorCodes.TASK_FAILED, `item ${index} failed`, { index, attempts: 1 }));
    const failures = recorder.trace(2, 1)!.failures!;
    expect(failures.byCode).toEqual({ BT_TASK_FAILED: order.length });
    expect(failures.first.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(failures.first.map((f) => f.message)).toEqual(failures.first.map((f) => `item ${f.index} failed`));
  });

});
