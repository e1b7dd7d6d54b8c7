/**
 * What a run learns from every landed chunk: the measurements go to the chunk policy (with the main thread's heap
 * pressure, sampled at most every 50 ms), and, when asked, to the run's per-chunk trace.
 */
import { getHeapStatistics } from 'node:v8';
import type { ChunkReply } from '../transport/protocol.ts';
import type { ChunkPolicy } from './policy.ts';
import type { ChunkTrace, RunTrace } from './run-types.ts';

/** How often the main thread's heap is sampled for backpressure, ms. */
const PRESSURE_SAMPLE_MS = 50;

/** Feeds a run's policy and keeps its trace. */
export class ChunkRecorder {
  readonly #policy: ChunkPolicy;
  readonly #t0: number;
  readonly #trace: ChunkTrace[] | undefined;
  /** piscina thread ids → small worker numbers, in order of first reply. */
  readonly #workerIds = new Map<number, number>();
  #lastPressureSample = Number.NEGATIVE_INFINITY;

  constructor(policy: ChunkPolicy, trace: boolean, t0: number) {
    this.#policy = policy;
    this.#trace = trace ? [] : undefined;
    this.#t0 = t0;
  }

  /** A chunk of `items` items sent at `sentAt` (performance.now()) landed: with a reply, or failed as `outcome`. */
  observe(items: number, sentAt: number, outcome: ChunkTrace['outcome'], reply: ChunkReply | undefined): void {
    const now = performance.now();
    const worker = reply ? this.#workerNumber(reply.threadId) : -1;
    const heapRatio = reply && reply.heapLimit > 0 ? reply.heapUsed / reply.heapLimit : 0;
    const runMs = reply?.runMs ?? 0;
    const roundTripMs = now - sentAt;
    const cold = reply?.cold ?? false;
    const policyOutcome = outcome === 'clone' ? 'crash' : outcome;
    this.#policy.observe({ items, runMs, roundTripMs, heapRatio, workerId: worker, cold, outcome: policyOutcome });
    this.#trace?.push({ t: now - this.#t0, items, runMs, roundTripMs, heapRatio, worker, outcome });
  }

  /** Tell the policy how full the main thread's heap is (results and clones live there), at most every 50 ms. */
  sampleMainPressure(): void {
    const policy = this.#policy;
    if (!policy.setMainPressure) return;
    const now = performance.now();
    if (now - this.#lastPressureSample < PRESSURE_SAMPLE_MS) return;
    this.#lastPressureSample = now;
    const heap = getHeapStatistics();
    policy.setMainPressure(heap.used_heap_size / heap.heap_size_limit);
  }

  /** The run's trace (chunks and the policy's decisions), or undefined when none was asked for. */
  trace(): RunTrace | undefined {
    return this.#trace && { chunks: this.#trace, decisions: this.#policy.trace?.() ?? [] };
  }

  #workerNumber(threadId: number): number {
    let id = this.#workerIds.get(threadId);
    if (id === undefined) {
      id = this.#workerIds.size;
      this.#workerIds.set(threadId, id);
    }
    return id;
  }
}
