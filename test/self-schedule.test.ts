/**
 * Self-scheduled numeric runs: the workers claim ranges of the shared input themselves (schedule/claims.ts). Every
 * item still ends as exactly one outcome, in input order, with a failure, a crash, a result that is not a number,
 * an abort and a steal inside a claimed range. Deterministic: Atomics gates, no sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, type RunTrace } from '../src/index.ts';

const fixture = new URL('./fixtures/claims-task.mjs', import.meta.url);
const gated = defineTask<number, number | string>(fixture, 'gated');
const install = defineTask<{ g: SharedArrayBuffer }, number>(fixture, 'install');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
let g: SharedArrayBuffer;
let gate: Int32Array;
beforeAll(async () => {
  // Each worker keeps the gate: two one-item chunks, the first blocks its worker until the second reached the other.
  g = new SharedArrayBuffer(12);
  gate = new Int32Array(g);
  await rt.map([{ g }, { g }], install, { chunkSize: 1 });
});
afterAll(() => rt.close());

function reset(): void {
  Atomics.store(gate, 0, 0);
  Atomics.store(gate, 1, 0);
}

const numbers = (n: number, special: Record<number, number> = {}): number[] => Array.from({ length: n }, (_, i) => special[i] ?? i);

describe('self-scheduled numeric runs', () => {
  it('a typed array input gives the same results through the claims', async () => {
    const input = new Int32Array(5000).map((_, i) => 3 * i + 5);
    expect(await rt.map(input, gated)).toEqual(Array.from(input, (x) => 2 * x));
  });

  it('an abort while a worker blocks inside a claimed range rejects the run; the runtime goes on', async () => {
    reset();
    const controller = new AbortController();
    const run = rt.map(numbers(4000, { 1500: -1 }), gated, { signal: controller.signal });
    const started = Atomics.waitAsync(gate, 0, 0);
    if (started.async) await started.value;
    controller.abort(new Error('stop now'));
    await expect(run).rejects.toThrow('stop now');
    expect(await rt.map(numbers(100), gated)).toEqual(numbers(100).map((x) => 2 * x));
  });

  it('a blocked range gives way to the idle worker: its rest is stolen; every item once, in order', async () => {
    reset();
    const n = 1600;
    let trace: RunTrace | undefined;
    const out = await rt.map(numbers(n, { 0: -1 }), gated, {
      onTrace: (t) => (trace = t),
      // Range 0 (n / 16 items) blocks at its first item; once everything else came back the other worker is idle
      // with nothing left, the run has said so, and the gate opens.
      onProgress: (p) => {
        if (p.done >= n - n / 16 && Atomics.load(gate, 1) === 0) {
          queueMicrotask(() => {
            Atomics.store(gate, 1, 1);
            Atomics.notify(gate, 1);
          });
        }
      },
    });
    expect(out).toEqual(numbers(n, { 0: -1 }).map((x, i) => (i === 0 ? -1 : 2 * x)));
    const chunks = trace!.chunks;
    expect(chunks.some((c) => (c.gaveWay ?? 0) > 0)).toBe(true);
    expect(chunks.filter((c) => c.stolen).length).toBeGreaterThanOrEqual(2);
  });
  // Last: a worker dies here, and its replacement has no gate.
  it('claims ranges without the policy; a throw, a crash and a string result each end as one outcome, in order', async () => {
    let trace: RunTrace | undefined;
    const n = 20_000;
    const out = await rt.mapSettled(numbers(n, { 3333: -2, 5000: -4, 7777: -3 }), gated, { onTrace: (t) => (trace = t) });
    expect(out).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const o = out[i]!;
      if (i === 3333) expect(o.status === 'rejected' && o.reason.code).toBe(ErrorCodes.WORKER_CRASHED);
      else if (i === 7777) expect(o.status === 'rejected' && o.reason.message).toContain('item at 7777 throws');
      else expect(o).toEqual({ status: 'fulfilled', value: i === 5000 ? 'text' : 2 * i });
    }
    // The ranges were claimed by the workers: the policy decided only the isolation pieces, if anything.
    expect(trace!.decisions.length).toBeLessThan(5);
    expect(trace!.chunks.length).toBeLessThan(60);
  });
});
