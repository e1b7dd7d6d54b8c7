/**
 * What a run learns from every landed chunk: the measurements go to the chunk policy (with the main thread's heap
 * pressure, sampled at most every 50 ms), and, when a trace is kept, to the run's trace: one entry per chunk with
 * its timing and detail for reports and timelines, the failed items (counted by code, the lowest-indexed few
 * kept), the main thread's load, and the policy's decisions. Without a trace nothing is recorded.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { ItemError } from '../errors.ts';
import type { ChunkReply } from '../transport/protocol.ts';
import type { Work } from './outcomes.ts';
import type { ChunkPolicy } from './policy.ts';
import type { ChunkTrace, RunTrace } from './run-types.ts';

/** How often the main thread's heap is sampled for backpressure, ms. */
const PRESSURE_SAMPLE_MS = 50;
/** Failed items a trace keeps with their messages (all are counted by code). */
const TRACED_FAILURES = 20;
const MiB = 1024 * 1024;

/** A landed chunk as the recorder sees it: its work and when it was sent (performance.now()). */
export interface Landed extends Work {
  sentAt: number;
}

interface RunDetail {
  startedAt: string;
  elu: EventLoopUtilization;
  failures: NonNullable<RunTrace['failures']>;
  chunks: ChunkTrace[];
}

/** Feeds a run's policy and keeps its trace. */
export class ChunkRecorder {
  readonly #policy: ChunkPolicy;
  readonly #t0: number;
  readonly #detail: RunDetail | undefined;
  /** piscina thread ids → small worker numbers, in order of first reply. */
  readonly #workerIds = new Map<number, number>();
  #lastPressureSample = Number.NEGATIVE_INFINITY;

  constructor(policy: ChunkPolicy, trace: boolean, t0: number) {
    this.#policy = policy;
    this.#t0 = t0;
    this.#detail = trace
      ? { startedAt: new Date().toISOString(), elu: performance.eventLoopUtilization(), failures: { byCode: {}, first: [] }, chunks: [] }
      : undefined;
  }

  /** A chunk landed: with a reply, or failed as a whole as `outcome`. */
  observe(flight: Landed, outcome: ChunkTrace['outcome'], reply: ChunkReply | undefined): void {
    const now = performance.now();
    const worker = reply ? this.#workerNumber(reply.threadId) : -1;
    const heapRatio = reply && reply.heapLimit > 0 ? reply.heapUsed / reply.heapLimit : 0;
    const runMs = reply?.runMs ?? 0;
    const roundTripMs = now - flight.sentAt;
    // A chunk that gave way ran only its prefix.
    const items = reply?.yielded ? reply.ran : flight.batch.items.length;
    const cold = reply?.cold ?? false;
    const policyOutcome = outcome === 'clone' ? 'crash' : outcome;
    this.#policy.observe({ items, runMs, roundTripMs, heapRatio, workerId: worker, cold, outcome: policyOutcome });
    if (!this.#detail) return;
    const t = now - this.#t0;
    const sentMs = flight.sentAt - this.#t0;
    const entry: ChunkTrace = { t, items, runMs, roundTripMs, heapRatio, worker, outcome, sentMs };
    // The worker's own start time when it sent one (a reply can wait in the main thread's queue), else estimated;
    // a chunk that failed as a whole counts from its dispatch.
    const started =
      reply === undefined ? sentMs : reply.startedAt === undefined ? t - runMs : reply.startedAt - performance.timeOrigin - this.#t0;
    entry.startMs = Math.min(t, Math.max(sentMs, started));
    entry.first = flight.batch.start;
    entry.attempt = flight.attempts;
    if (reply && reply.errors.length > 0) entry.failedItems = reply.errors.length;
    if (flight.isolating) entry.isolated = true;
    if (flight.stolen) entry.stolen = true;
    if (reply?.yielded && reply.ran < flight.batch.items.length) entry.gaveWay = flight.batch.items.length - reply.ran;
    if (reply && reply.heapLimit > 0) {
      entry.heapUsedMb = reply.heapUsed / MiB;
      entry.heapLimitMb = reply.heapLimit / MiB;
    }
    this.#detail.chunks.push(entry);
  }

  /** An item failed for good. */
  failure(error: ItemError): void {
    if (!this.#detail) return;
    const { byCode, first } = this.#detail.failures;
    byCode[error.code] = (byCode[error.code] ?? 0) + 1;
    // Keep the lowest-indexed few, in item order, whatever order the chunks finished in.
    if (first.length === TRACED_FAILURES && first[TRACED_FAILURES - 1]!.index < error.index) return;
    let at = first.length;
    while (at > 0 && first[at - 1]!.index > error.index) at--;
    first.splice(at, 0, { index: error.index, code: error.code, message: error.message, attempts: error.attempts });
    if (first.length > TRACED_FAILURES) first.pop();
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

  /** The run's trace, or undefined when none was asked for. */
  trace(threads: number, elapsedMs: number): RunTrace | undefined {
    const detail = this.#detail;
    if (!detail) return undefined;
    const elu = performance.eventLoopUtilization(detail.elu);
    return {
      chunks: detail.chunks,
      decisions: this.#policy.trace?.() ?? [],
      threads,
      elapsedMs,
      startedAt: detail.startedAt,
      main: { activeMs: elu.active, utilization: elu.utilization },
      failures: detail.failures,
    };
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
