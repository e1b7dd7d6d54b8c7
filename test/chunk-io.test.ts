/** What a chunk's message carries besides its items: the hint a worker judges a give-way by (work stealing). */
import { describe, expect, it } from 'vitest';
import { chunkMessage, noteWorkerDeath, type ChunkContext } from '../src/schedule/chunk-io.ts';
import type { Work } from '../src/schedule/outcomes.ts';
import type { RunState } from '../src/schedule/slots.ts';
import { createAdaptivePolicy } from '../src/schedule/adaptive.ts';

const work = { batch: { start: 40, items: [1, 2, 3] }, isolating: false } as unknown as Work;

function context(local: boolean, costMs: () => number | null): ChunkContext {
  const slots = { buffer: new SharedArrayBuffer(64), size: 1 } as unknown as RunState;
  return { task: { kind: 'module', url: 'file:///t.mjs', name: 'f' } as unknown as ChunkContext['task'], local, slots, host: false, timed: false, runId: 1, out: undefined, costMs, verify: false };
}

describe('chunk messages', () => {
  it("carry the policy's mean cost per item to local workers, once there is one", () => {
    const policy = createAdaptivePolicy();
    const ctx = context(true, () => policy.warmCostMs());
    expect(chunkMessage(work, 0, ctx).message.itemMs).toBeUndefined(); // nothing measured yet
    policy.observe({ items: 1000, runMs: 20, roundTripMs: 21, heapRatio: 0.1, workerId: 0, cold: false, outcome: 'ok' });
    const { message } = chunkMessage(work, 0, ctx);
    expect(message.yieldable).toBe(true);
    expect(message.itemMs).toBeCloseTo(0.02, 9);
  });

  it('carry neither the hint nor stealing to another engine', () => {
    const { message } = chunkMessage(work, 0, context(false, () => 0.5));
    expect(message.yieldable).toBeUndefined();
    expect(message.itemMs).toBeUndefined();
  });

  it("ask local workers to tag every chunk's code once a worker of this process died (see src/worker/crash-owner.ts)", () => {
    expect(chunkMessage(work, 0, context(true, () => null)).message.own).toBeUndefined();
    noteWorkerDeath();
    expect(chunkMessage(work, 0, context(true, () => null)).message.own).toBe(true);
    // Another engine's runners have no such tags.
    expect(chunkMessage(work, 0, context(false, () => null)).message.own).toBeUndefined();
  });
});
