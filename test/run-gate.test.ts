/**
 * The Run's one gate, driven deterministically: a fake pool whose chunks land when the test says, an async source
 * the test releases, and fake timers for the breaker's cool-down. No worker threads, no sleeps.
 */
import type { ChunkRunner } from '../src/schedule/chunk-runner.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ItemError } from '../src/errors.ts';
import { Run, type RunSettings } from '../src/schedule/dispatcher.ts';
import { FixedPolicy } from '../src/schedule/fixed.ts';
import { toSource } from '../src/schedule/source.ts';
import { toEnvelope } from '../src/transport/envelope.ts';
import type { ChunkMessage, ChunkReply } from '../src/transport/protocol.ts';

interface Sent {
  start: number;
  items: unknown[];
  ok(): void;
  fail(): void;
}

/** A pool that records every chunk and lets the test decide when and how it lands. */
function fakePool(): { pool: ChunkRunner; sent: Sent[] } {
  const sent: Sent[] = [];
  const pool = {
    threads: [],
    run(message: ChunkMessage): Promise<ChunkReply> {
      return new Promise<ChunkReply>((resolve) => {
        const items = Array.from(message.items as ArrayLike<unknown>);
        const reply = (errors: ChunkReply['errors']): void =>
          resolve({ threadId: 1, values: items, errors, ran: items.length, runMs: 0, heapUsed: 0, heapLimit: 1, cold: false });
        sent.push({
          start: message.start,
          items,
          ok: () => reply([]),
          fail: () => reply(items.map((_, k) => [k, toEnvelope(new Error(`item ${message.start + k} is bad`))])),
        });
      });
    },
  };
  return { pool, sent };
}

/** Let promise handlers run (setImmediate is not faked). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function start(items: unknown, pool: ChunkRunner, chunkSize = 1) {
  const values: number[] = [];
  const failures: number[] = [];
  const settings: RunSettings = {
    pool,
    threads: 1,
    task: { kind: 'module', url: 'file:///never-loaded.mjs', exportName: 'default' },
    source: toSource(items),
    policy: new FixedPolicy(chunkSize), // two chunks in flight
    sink: { value: (index) => values.push(index), failure: (e: ItemError) => failures.push(e.index) },
    stopOnFailure: false,
    abortGraceMs: 0,
    breaker: { threshold: 0.5, window: 4, minSamples: 1, halfOpenAfterMs: 1000 },
  };
  return { run: new Run(settings), values, failures };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Run: one gate', () => {
  it('does not send a batch pulled before the breaker tripped while the gate is closed; it becomes the probe', async () => {
    const { pool, sent } = fakePool();
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    async function* source(): AsyncGenerator<string> {
      yield 'a';
      await stalled; // the pull of the second item is under way while the first chunk fails
      yield 'b';
      yield 'c';
    }
    const { run, values, failures } = start(source(), pool);
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0]);

    sent[0]!.fail(); // trips the breaker (1 failure, minSamples 1): the gate closes for the 1000 ms cool-down
    await settle();
    release(); // the pull answers after the trip
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0]); // item 1 waits; nothing was sent through a closed gate

    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    // Half-open: exactly one probe, and it is the batch that was pulled before the trip.
    expect(sent.map((s) => [s.start, s.items.length])).toEqual([[0, 1], [1, 1]]);

    sent[1]!.ok(); // the probe succeeds: the breaker closes and the rest flows
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0, 1, 2]);
    sent[2]!.ok();
    const summary = await run.done;
    expect(summary).toMatchObject({ items: 3, failed: 1 });
    expect(failures).toEqual([0]);
    expect(values).toEqual([1, 2]);
  });

  it('only the probe chunk ends the half-open state: a chunk sent before the trip landing well does not close it', async () => {
    const { pool, sent } = fakePool();
    const { run, values, failures } = start(['a', 'b', 'c', 'd', 'e'], pool);
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0, 1]); // two in flight

    sent[0]!.fail(); // trip
    await settle();
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0, 1, 2]); // the probe: item 2, alone

    sent[1]!.ok(); // sent before the trip: its success is not the probe's
    await settle();
    expect(sent).toHaveLength(3); // still half-open with the probe out: nothing more goes

    sent[2]!.fail(); // the probe fails: open again, another cool-down
    await settle();
    expect(sent).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0, 1, 2, 3]); // the next probe

    sent[3]!.ok(); // closes the breaker
    await settle();
    expect(sent.map((s) => s.start)).toEqual([0, 1, 2, 3, 4]);
    sent[4]!.ok();
    expect(await run.done).toMatchObject({ items: 5, failed: 2 });
    expect(failures).toEqual([0, 2]);
    expect(values.sort()).toEqual([1, 3, 4]);
  });

  it('the probe is the first item of a larger waiting batch; the rest keeps its place at the front', async () => {
    const { pool, sent } = fakePool();
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    async function* source(): AsyncGenerator<string> {
      yield* ['a', 'b', 'c'];
      await stalled;
      yield* ['d', 'e', 'f'];
    }
    const { run, values, failures } = start(source(), pool, 3);
    await settle();
    expect(sent.map((s) => [s.start, s.items.length])).toEqual([[0, 3]]);
    sent[0]!.fail(); // three failures: trip
    release();
    await settle();
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(sent.map((s) => [s.start, s.items.length])).toEqual([[0, 3], [3, 1]]);
    sent[1]!.ok();
    await settle();
    expect(sent.map((s) => [s.start, s.items.length])).toEqual([[0, 3], [3, 1], [4, 2]]);
    sent[2]!.ok();
    expect(await run.done).toMatchObject({ items: 6, failed: 3 });
    expect(failures).toEqual([0, 1, 2]);
    expect(values).toEqual([3, 4, 5]);
  });
});
