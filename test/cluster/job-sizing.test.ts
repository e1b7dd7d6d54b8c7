// Job sizing without Redis: what a worker keeps between jobs of a task (no probe from one item per job, no
// shrinking tail inside a job), how it collects a job's outcomes, and what the producer keeps between runs of a
// task (the next run starts at the learned size; the tail stops at a job worth a few round trips). Pure arithmetic.
import { describe, expect, it } from 'vitest';
import { ItemError } from '../../src/errors.ts';
import { FleetPolicies } from '../../src/cluster/fleet-policy.ts';
import { JobResults, TaskPolicies } from '../../src/cluster/job-run.ts';
import { decodeItems, decodeReply, encodeItems, encodeReply } from '../../src/cluster/protocol.ts';
import type { ChunkPolicy } from '../../src/schedule/policy.ts';
import type { TaskSpec } from '../../src/task.ts';

/** Run a job of `items` through `policy` on `threads` threads: every chunk lands at `costMs` per item. */
function runJob(policy: ChunkPolicy, items: number, threads: number, costMs: number, overheadMs = 0.1): number[] {
  const sizes: number[] = [];
  let remaining = items;
  while (remaining > 0) {
    const size = Math.min(remaining, policy.next({ remaining, inFlight: 0, threads, elapsedMs: 0 }));
    sizes.push(size);
    remaining -= size;
    const runMs = size * costMs;
    policy.observe({ items: size, runMs, roundTripMs: runMs + overheadMs, heapRatio: 0, workerId: 0, cold: false, outcome: 'ok' });
  }
  return sizes;
}

describe('a worker keeps what it learned between jobs of a task', () => {
  it('probes once: later jobs start at the learned size, with no tail of small chunks', () => {
    const policies = new TaskPolicies();
    const first = runJob(policies.forJob('task'), 16_384, 1, 0.01);
    expect(first[0]).toBe(1); // the first job probes
    for (let job = 0; job < 5; job++) {
      const sizes = runJob(policies.forJob('task'), 16_384, 1, 0.01);
      // 10 µs items: chunks of the local target (5-50 ms = 500-5000 items), the last one whatever is left.
      expect(sizes.slice(0, -1).every((s) => s >= 500)).toBe(true);
      expect(sizes.length).toBeLessThanOrEqual(40);
    }
    // Another task probes on its own.
    expect(runJob(policies.forJob('other'), 1000, 1, 0.01)[0]).toBe(1);
  });

  it('splits a small job evenly over the threads', () => {
    const policies = new TaskPolicies();
    runJob(policies.forJob('task'), 50_000, 4, 0.01);
    const sizes = runJob(policies.forJob('task'), 1000, 4, 0.01);
    expect(sizes).toEqual([250, 250, 250, 250]);
  });

  it('collects numbers in one Float64Array, anything else in an array, failures in input order', () => {
    const numbers = new JobResults(6);
    numbers.values(2, new Float64Array([9, 3, 4, 5]), 1, 4); // values[1..4) are items 3, 4, 5
    numbers.value(0, -0);
    numbers.failure(new ItemError('BT_TASK_FAILED', 'b', { index: 2, attempts: 1 }));
    numbers.failure(new ItemError('BT_TASK_FAILED', 'a', { index: 1, attempts: 1 }));
    const got = numbers.result();
    expect(got.values).toBeInstanceOf(Float64Array);
    expect(Object.is(got.values[0], -0)).toBe(true);
    expect([...got.values].slice(3)).toEqual([3, 4, 5]);
    expect(got.failures.map((f) => f.index)).toEqual([1, 2]);

    const mixed = new JobResults(3);
    mixed.values(0, new Float64Array([1, 2]), 0, 2);
    mixed.value(2, 'three');
    expect(mixed.result().values).toEqual([1, 2, 'three']);
  });

  it('encodes numeric items and results as Float64Arrays, anything else as arrays', () => {
    const shared = new Float64Array(new SharedArrayBuffer(80)).fill(1.5);
    const view = shared.subarray(2, 5);
    expect(decodeItems(encodeItems(view))).toEqual(new Float64Array([1.5, 1.5, 1.5]));
    expect(decodeItems(encodeItems([1, 'a', { b: 2 }]))).toEqual([1, 'a', { b: 2 }]);
    const reply = decodeReply(encodeReply({ kind: 'ok', job: 'j', values: new Float64Array([NaN, 2]), errors: [], ran: 2, runMs: 1, heapRatio: 0, worker: 1, cold: false }));
    expect(reply?.kind === 'ok' && reply.values).toEqual(new Float64Array([NaN, 2]));
  });
});

describe('a producer keeps what runs of a task learned', () => {
  const task: TaskSpec = { kind: 'module', url: 'file:///t.mjs', exportName: 'run' } as unknown as TaskSpec;
  const fleet = () => 2;

  it('starts the next run of the task at the learned job size, not at one item', () => {
    const policies = new FleetPolicies();
    const first = runJob(policies.forRun(task, fleet), 300_000, 2, 0.01, 5);
    expect(first[0]).toBe(1);
    const second = runJob(policies.forRun(task, fleet), 300_000, 2, 0.01, 5);
    expect(second[0]).toBeGreaterThanOrEqual(8000);
    expect(second.length).toBeLessThan(first.length);
  });

  it('keeps the encoded items of a job under 1 MiB, whatever the items are', () => {
    const policies = new FleetPolicies();
    runJob(policies.forRun(task, fleet), 300_000, 2, 0.01, 5);
    // Items of ~20 KB each (as the jobs sent so far were encoded): at most 52 per job, though time would allow more.
    policies.noteBytes(task, 10, 200_000);
    const sizes = runJob(policies.forRun(task, fleet), 10_000, 2, 0.01, 5);
    expect(Math.max(...sizes)).toBe(Math.floor((1024 * 1024) / 20_000));
    // Tiny numbers: time sets the size, up to 65,536 items (512 KiB of numbers).
    const small = new FleetPolicies();
    small.noteBytes(task, 1000, 8000);
    runJob(small.forRun(task, fleet), 2_000_000, 2, 0.001, 5);
    expect(Math.max(...runJob(small.forRun(task, fleet), 2_000_000, 2, 0.001, 5))).toBe(65_536);
  });

  it('stops the tail at a job worth a few round trips', () => {
    const policies = new FleetPolicies();
    runJob(policies.forRun(task, fleet), 300_000, 2, 0.01, 5);
    const sizes = runJob(policies.forRun(task, fleet), 300_000, 2, 0.01, 5);
    // 10 µs items, 5 ms per job: no job below 4 round trips (20 ms = 2000 items) but the very last remainder.
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThanOrEqual(2000);
  });
});
