/**
 * Work stealing by early return, deterministically: a chunk of 48 items blocks on an Atomics gate at its first item
 * while the other worker finishes the other chunk and goes idle with nothing left to send. The gate opens only
 * after the run has told the workers one is hungry, and a chunk gives way only after finishing an item, so the
 * blocked chunk gives way after exactly one item and its rest is split and sent again. Every item ends as exactly
 * one outcome, in order; also with a crash, a deadline and an abort in the stolen part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, ErrorCodes, type RunTrace, type Settled } from '../src/index.ts';

const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);
interface Item {
  i: number;
  op: string;
  g: SharedArrayBuffer;
}
interface Out {
  i: number;
  worker: number;
}
const step = defineTask<Item, Out>(fixture('steal-task.mjs'), 'step');

const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
beforeAll(async () => {
  // Both workers started, the task loaded: the timing of the tests below depends on nothing but the gate.
  const g = new SharedArrayBuffer(32);
  await rt.map(Array.from({ length: 64 }, (_, i) => ({ i, op: 'none', g })), step, { chunkSize: 32 });
});
afterAll(() => rt.close());

const N = 96;
const CHUNK = 48;
const BLOCKED = 0;

/**
 * The items: item 0 blocks on the gate; the other chunk's first item waits until item 0 has begun (a worker that
 * wakes late must not find the other chunk done and the gate open); `extra` marks other items with other ops.
 */
function items(g: SharedArrayBuffer, extra: Record<number, string> = {}): Item[] {
  return Array.from({ length: N }, (_, i) => ({ i, op: i === BLOCKED ? 'block' : (extra[i] ?? (i === CHUNK ? 'after' : 'none')), g }));
}

/**
 * Options that open the gate once the second chunk has landed (its worker is now idle): from a microtask, so after
 * the run has set the hunger count in the same turn.
 */
function openGateWhenIdle(g: SharedArrayBuffer): { chunkSize: number; onProgress: (p: { done: number }) => void } {
  const gate = new Int32Array(g);
  return {
    chunkSize: CHUNK,
    onProgress: (p) => {
      if (p.done >= CHUNK - 1 && Atomics.load(gate, 0) === 0) {
        queueMicrotask(() => {
          Atomics.store(gate, 0, 1);
          Atomics.notify(gate, 0);
        });
      }
    },
  };
}

/** The chunk rows of a trace in input order. */
const rows = (trace: RunTrace) => [...trace.chunks].sort((a, b) => (a.first ?? 0) - (b.first ?? 0));

describe('work stealing', () => {
  it('splits a blocked chunk for an idle worker; every item ends once, in order', async () => {
    const g = new SharedArrayBuffer(32);
    let trace: RunTrace | undefined;
    const out = await rt.map(items(g), step, { ...openGateWhenIdle(g), onTrace: (t) => (trace = t) });
    expect(out.map((o) => o.i)).toEqual(Array.from({ length: N }, (_, i) => i));
    const chunks = rows(trace!);
    // The blocked chunk ran its item 0 and gave way; its rest came back as pieces marked stolen.
    const first = chunks.find((c) => c.first === 0)!;
    expect(first.items).toBe(BLOCKED + 1);
    const stolen = chunks.filter((c) => c.stolen);
    expect(stolen.length).toBeGreaterThanOrEqual(2);
    expect(stolen.reduce((s, c) => s + c.items, 0)).toBe(CHUNK - BLOCKED - 1);
    expect(stolen[0]!.first).toBe(BLOCKED + 1);
    expect(chunks.reduce((s, c) => s + c.items, 0)).toBe(N);
    // The stolen pieces ran on both workers.
    expect(new Set(out.slice(BLOCKED + 1, CHUNK).map((o) => o.worker)).size).toBe(2);
  });

  it('a crash in the stolen part fails that item alone', async () => {
    const g = new SharedArrayBuffer(32);
    const settled: Settled<Out>[] = await rt.mapSettled(items(g, { 40: 'crash' }), step, openGateWhenIdle(g));
    expect(settled.length).toBe(N);
    settled.forEach((s, i) => {
      if (i === 40) {
        expect(s.status).toBe('rejected');
        if (s.status === 'rejected') expect(s.reason.code).toBe(ErrorCodes.WORKER_CRASHED);
      } else {
        expect(s).toEqual({ status: 'fulfilled', value: { i, worker: expect.any(Number) } });
      }
    });
  });

  it('an item past its deadline in the stolen part fails that item alone', async () => {
    const g = new SharedArrayBuffer(32);
    const settled: Settled<Out>[] = await rt.mapSettled(items(g, { 30: 'hang' }), step, { ...openGateWhenIdle(g), timeout: 3000 });
    expect(settled.map((s) => s.status)).toEqual(Array.from({ length: N }, (_, i) => (i === 30 ? 'rejected' : 'fulfilled')));
    const bad = settled[30]!;
    if (bad.status === 'rejected') expect(bad.reason.code).toBe(ErrorCodes.TIMEOUT);
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') expect(s.value.i).toBe(i);
    });
  });

  it('an abort in the stolen part ends the run; what came out came out once, in order', async () => {
    const g = new SharedArrayBuffer(32);
    const controller = new AbortController();
    const running = Atomics.waitAsync(new Int32Array(g), 2, 0);
    const seen: number[] = [];
    const consume = (async () => {
      for await (const r of rt.stream(items(g, { 35: 'signal' }), step, { ...openGateWhenIdle(g), signal: controller.signal })) {
        seen.push(r.index);
        expect(r.status).toBe('fulfilled');
      }
    })();
    // Item 35 runs only in a stolen piece: abort as soon as it runs.
    expect(running.async).toBe(true);
    await running.value;
    controller.abort(new Error('stop'));
    await expect(consume).rejects.toThrow('stop');
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(new Set(seen).size).toBe(seen.length);
    // The runtime is still usable.
    expect((await rt.map(items(new SharedArrayBuffer(32), { [BLOCKED]: 'none' }).map((x) => ({ ...x, op: 'none' })), step)).length).toBe(N);
  });
});
