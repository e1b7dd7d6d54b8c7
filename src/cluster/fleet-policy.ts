/**
 * Job sizing on the producer: the local adaptive policy (cost per item, overhead, FAC2 tail), told the fleet's live
 * capacity instead of this machine's threads, with three changes for jobs that cross Redis:
 *
 * - Jobs are sized by time: 200 ms to 2 s of work, so a Redis round trip is noise; for a large fleet, long enough
 *   that its jobs take under {@link REDIS_SHARE} of one Redis core (see bench/cluster-estimate.md).
 * - What a task's runs learned is kept: the next run of the same task (same runtime) starts at the learned job size
 *   instead of probing from one item again (each probe step costs a round trip while workers wait).
 * - The FAC2 tail stops at a job worth {@link TAIL_OVERHEADS} round trips (at least {@link TAIL_MIN_MS}): smaller
 *   jobs end no sooner (each pays a round trip and Redis time) and only add jobs.
 * - Jobs hold up to {@link MAX_JOB_ITEMS} items (4x the local cap: each job costs CPU on the producer, a worker and
 *   Redis, so tiny items want more per job), but at most {@link MAX_JOB_BYTES} of encoded items, as measured on the
 *   task's earlier jobs: payloads stay small (KB to 1 MiB) whatever the items are.
 */
import { createAdaptivePolicy, type AdaptivePolicy, type TraceEntry } from '../schedule/adaptive.ts';
import type { ChunkCompletion, ChunkPolicy, ChunkRequest } from '../schedule/policy.ts';
import type { TaskSpec } from '../task.ts';

/** Redis CPU per chunk job, ms: every command of a job, BullMQ's and ours (measured by bench/cluster.mjs). */
const REDIS_MS_PER_JOB = 1;
/** The share of one Redis core a fleet's jobs may take at most. */
const REDIS_SHARE = 0.1;
/** The smallest tail job lasts this many measured per-job overheads... */
const TAIL_OVERHEADS = 4;
/** ...and at least this long, ms. */
const TAIL_MIN_MS = 10;
/** Tasks whose learned policy an engine keeps (the least recently used is dropped past this). */
const KEPT_TASKS = 64;
/** Items per job at most (numbers: 512 KiB). */
const MAX_JOB_ITEMS = 65_536;
/** Encoded items per job at most, bytes. */
const MAX_JOB_BYTES = 1024 * 1024;

/** A task's learned state: its adaptive policy and the encoded size of its items. */
interface Learned {
  policy: AdaptivePolicy;
  /** Encoded bytes per item, from the jobs sent so far (null before the first). */
  bytesPerItem: number | null;
}

/** The learned job-size policies of one cluster engine, per task and fleet size. */
export class FleetPolicies {
  readonly #byTask = new Map<string, Learned>();
  /** Encoded bytes per item, by task (shared by the task's policies of every fleet size). */
  readonly #bytes = new Map<string, number>();

  /** The policy of one run of `task`; `capacity` is the fleet's live thread count. */
  forRun(task: TaskSpec, capacity: () => number): ChunkPolicy {
    const floorMs = (capacity() * REDIS_MS_PER_JOB) / REDIS_SHARE;
    const minTargetMs = Math.max(200, floorMs);
    const maxTargetMs = Math.max(2000, 4 * floorMs);
    const taskKey = JSON.stringify(task);
    const key = `${minTargetMs}:${maxTargetMs}:${taskKey}`;
    let learned = this.#byTask.get(key);
    if (learned) this.#byTask.delete(key);
    else {
      // Probe jobs two per fleet thread: each worker fetches one ahead, so a probe's round trip hides behind the other.
      const policy = createAdaptivePolicy({
        minTargetMs, maxTargetMs, overheadPriorMs: 2, overheadFactor: 100, probeInFlightPerWorker: 2, maxChunk: MAX_JOB_ITEMS,
      });
      learned = { policy, bytesPerItem: null };
    }
    this.#byTask.set(key, learned);
    if (this.#byTask.size > KEPT_TASKS) this.#byTask.delete(this.#byTask.keys().next().value!);
    return new FleetPolicy(learned.policy, capacity, () => this.#bytes.get(taskKey) ?? null);
  }

  /** A job of `task` was encoded: `items` items in `bytes` bytes (the largest per-item size of recent jobs counts). */
  noteBytes(task: TaskSpec, items: number, bytes: number): void {
    if (items <= 0) return;
    const key = JSON.stringify(task);
    const per = bytes / items;
    const before = this.#bytes.get(key);
    // Up at once, down slowly: a job of larger items must not pass the cap before the estimate catches up.
    this.#bytes.delete(key);
    this.#bytes.set(key, before === undefined || per > before ? per : before + 0.2 * (per - before));
    if (this.#bytes.size > KEPT_TASKS) this.#bytes.delete(this.#bytes.keys().next().value!);
  }
}

/** A task's shared adaptive policy as one run sees it: the fleet's capacity, and a floor under the tail. */
export class FleetPolicy implements ChunkPolicy {
  readonly #inner: AdaptivePolicy;
  readonly #capacity: () => number;
  readonly #bytesPerItem: () => number | null;
  #decisions = 0;
  constructor(inner: AdaptivePolicy, capacity: () => number, bytesPerItem: () => number | null = () => null) {
    this.#inner = inner;
    this.#capacity = capacity;
    this.#bytesPerItem = bytesPerItem;
  }
  next(request: ChunkRequest): number {
    let size = this.#inner.next({ ...request, threads: this.#capacity() });
    this.#decisions++;
    const { estCostUs, overheadUs } = this.#inner.stats();
    if (estCostUs !== null && request.remaining !== null) {
      const floorMs = Math.max(TAIL_MIN_MS, (TAIL_OVERHEADS * overheadUs) / 1000);
      const floor = Math.min(this.#inner.options.maxChunk, Math.ceil(floorMs / Math.max(estCostUs / 1000, 1e-6)));
      size = Math.min(request.remaining, Math.max(size, floor));
    }
    const perItem = this.#bytesPerItem();
    if (perItem !== null && perItem > 0) size = Math.min(size, Math.floor(MAX_JOB_BYTES / perItem));
    return Math.max(1, size);
  }
  observe(completion: ChunkCompletion): void {
    this.#inner.observe(completion);
  }
  maxInFlight(): number {
    return this.#inner.maxInFlight(this.#capacity());
  }
  setMainPressure(ratio: number): void {
    this.#inner.setMainPressure(ratio);
  }
  /** This run's decisions (the inner policy's trace also holds earlier runs of the task). */
  trace(): TraceEntry[] {
    return this.#decisions === 0 ? [] : this.#inner.trace().slice(-this.#decisions);
  }
}
