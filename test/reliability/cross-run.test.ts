// A timer left by one run's task that kills a worker is never charged to another run's items (break 15 of the
// adversarial review): the worker says whose code ended it, and a chunk killed by another chunk's code runs again
// as it was (same attempt, not isolated, not counted as a start-up crash).
//
// Deterministic: every step waits on an Atomics gate (see `leaveKiller` and `innocent` in fixtures/tasks.mjs).
// One thread. Run A leaves a killer timer in worker 1; run B's item awaits there and sets the kill flag: worker 1
// dies from A's timer. A second map of A is queued meanwhile, so the next worker runs A first (a second killer),
// then B's item again, which sets the flag again: worker 2 dies from A's timer too. Before the fix B's item was
// isolated after the first death and charged with BT_WORKER_CRASHED after the second.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../../src/index.ts';
import { decideChunkFailure, type Work } from '../../src/schedule/outcomes.ts';
import { poolOf } from '../../src/testing.ts';

const tasks = join(import.meta.dirname, 'fixtures/tasks.mjs');

// Gate words (see the fixtures): KILL, killers left, B's attempts, B's attempt running now, go for attempt n.
const [KILLERS, ATTEMPTS, RUNNING, GO] = [1, 2, 3, 4];

/** Resolve once `gate[at]` holds `value` (Atomics.waitAsync: no polling of the clock). */
async function until(gate: Int32Array, at: number, value: number): Promise<void> {
  for (;;) {
    const now = Atomics.load(gate, at);
    if (now === value) return;
    const waited = Atomics.waitAsync(gate, at, now);
    if (waited.async) await waited.value;
  }
}

/** Yield to the event loop until `check()` holds (the pool's queue is filled by a dispatch on a later turn). */
async function turnsUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('a timer of run A that kills a worker', () => {
  it.each([
    ['exit', 'leaveKiller'],
    ['throw', 'leaveKiller'],
    ['exit', 'leaveKillerAsync'],
  ])("(%s, %s) is not charged to run B's item running on that worker: it runs again and succeeds", async (how, killerName) => {
    await using rt = createRuntime({ threads: 1 });
    const gate = new Int32Array(new SharedArrayBuffer(8 * 4));
    const killer = defineTask<{ id: number; gate: Int32Array; how: string }, number>(tasks, killerName);
    const innocent = defineTask<{ id: number; gate: Int32Array }, number>(tasks, 'innocent');

    expect(await rt.map([{ id: 0, gate, how }], killer)).toEqual([0]);
    expect(Atomics.load(gate, KILLERS)).toBe(1);

    const b = rt.mapSettled([{ id: 7, gate }], innocent, { retries: 0 });
    await until(gate, RUNNING, 1);
    // A second map of A waits in the pool's queue while B's item holds the only worker.
    const a2 = rt.map([{ id: 1, gate, how }], killer);
    await turnsUntil(() => (poolOf(rt)?.queueSize ?? 0) >= 1);
    Atomics.store(gate, GO, 1);

    // Worker 1 died from A's first timer; worker 2 ran A's second map (a second timer), then B's item again.
    expect(await a2).toEqual([1]);
    await until(gate, RUNNING, 2);
    expect(Atomics.load(gate, KILLERS)).toBe(2);
    Atomics.store(gate, GO, 2);

    const [outcome] = await b;
    expect(outcome).toEqual({ status: 'fulfilled', value: 7 });
    expect(Atomics.load(gate, ATTEMPTS)).toBe(3);
  });
});

describe('a chunk killed by foreign code', () => {
  const work: Work = { batch: { start: 10, items: [1, 2, 3] }, attempts: 2, isolating: true, unstarted: 2 };
  const crash = { kind: 'crash' as const, exitCode: 3, error: new Error('worker exited with code: 3') };

  it('runs again as it was: same attempt, same mode, nothing failed', () => {
    expect(decideChunkFailure(work, crash, { item: null, awaiting: false, foreign: true })).toEqual({ requeue: [work], failed: [] });
  });

  it('(control) the same death without the mark is judged: a lone awaiting item in isolation fails', () => {
    const lone: Work = { batch: { start: 10, items: [1] }, attempts: 1, isolating: true };
    expect(decideChunkFailure(lone, crash, { item: 0, awaiting: true }).failed).toHaveLength(1);
  });
});
