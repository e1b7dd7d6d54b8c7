/**
 * The dispatcher: pulls items from the source in chunks sized by the policy, keeps a bounded number of chunks in
 * flight on the pool, and hands every item's outcome to the sink. It owns no policy of its own: sizes come from
 * the ChunkPolicy, and what a failed chunk becomes comes from outcomes.ts.
 */
import { getHeapStatistics } from 'node:v8';
import type { Piscina } from 'piscina';
import { ErrorCodes, RunError, TaskLoadError, type ItemError } from '../errors.ts';
import type { TaskSpec } from '../task.ts';
import { fromEnvelope } from '../transport/envelope.ts';
import { CONTROL_ABORTED, CONTROL_LENGTH, CONTROL_LOADED, type ChunkMessage, type ChunkReply } from '../transport/protocol.ts';
import { classifyChunkError, decideChunkFailure, taskErrorToItemError, type ChunkFailure } from './outcomes.ts';
import type { ChunkPolicy } from './policy.ts';
import type { Batch, Source } from './source.ts';

/** Progress of a run, reported after every chunk. */
export interface Progress {
  /** Items with an outcome (value or failure). */
  done: number;
  /** Items that failed. */
  failed: number;
  /** Total items when known (arrays), else null. */
  total: number | null;
  /** Items per second since the run started. */
  itemsPerSecond: number;
  /** Milliseconds since the run started. */
  elapsedMs: number;
}

/** One chunk as recorded in a run's trace. */
export interface ChunkTrace {
  /** Milliseconds since the run started, when the chunk finished. */
  t: number;
  /** Items in the chunk. */
  items: number;
  /** In-worker run time, ms. */
  runMs: number;
  /** Dispatch to result, ms. */
  roundTripMs: number;
  /** Worker heap used / limit after the chunk. */
  heapRatio: number;
  /** Small worker number. */
  worker: number;
  outcome: 'ok' | 'oom' | 'crash' | 'clone';
}

/** A run's trace: every chunk as it finished, and every sizing decision of the policy with its reason. */
export interface RunTrace {
  chunks: ChunkTrace[];
  decisions: unknown[];
}

/** Where a run's outcomes go. */
export interface RunSink {
  value(index: number, value: unknown): void;
  failure(error: ItemError): void;
  /** False while the consumer is not keeping up; dispatch pauses until `Run.resume()` is called. */
  ready?(): boolean;
}

/** Settings of one run. */
export interface RunSettings {
  pool: Piscina;
  threads: number;
  task: TaskSpec;
  source: Source;
  policy: ChunkPolicy;
  sink: RunSink;
  /** Stop at the first item failure and reject with it (parallelMap). */
  stopOnFailure: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Keep a per-chunk trace. */
  trace?: boolean | undefined;
  /** How long aborted chunks may keep running before their workers are terminated, ms. */
  abortGraceMs: number;
}

/** What a finished run reports. */
export interface RunSummary {
  items: number;
  failed: number;
  chunks: number;
  elapsedMs: number;
  trace?: RunTrace;
}

interface InFlight {
  batch: Batch;
  attempts: number;
  /** Sent in isolation mode (a re-run after a chunk failure). */
  isolating: boolean;
  sentAt: number;
  controller: AbortController;
}

/** How often the main thread's heap is sampled for backpressure, ms. */
const PRESSURE_SAMPLE_MS = 50;

/** Give up on a run whose workers keep dying before any of them has loaded the task. */
const STARTUP_CRASH_LIMIT = 3;

/** One parallel map over a source. Create it, then await `done`. */
export class Run {
  readonly done: Promise<RunSummary>;
  readonly #s: RunSettings;
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * 4));
  readonly #inFlight = new Set<InFlight>();
  /** Chunks to run again (halves of failed chunks), served before new input; they verify their results. */
  readonly #retry: Array<{ batch: Batch; attempts: number }> = [];
  readonly #workerIds = new Map<number, number>();
  readonly #t0 = performance.now();
  readonly #trace: ChunkTrace[] | undefined;
  #resolve!: (summary: RunSummary) => void;
  #reject!: (error: unknown) => void;
  #finished = false;
  #pumping = false;
  #done = 0;
  #failed = 0;
  #chunks = 0;
  #crashesBeforeLoad = 0;
  #lastPressureSample = Number.NEGATIVE_INFINITY;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#stop(this.#s.signal?.reason);

  constructor(settings: RunSettings) {
    this.#s = settings;
    this.#trace = settings.trace ? [] : undefined;
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (settings.signal?.aborted) {
      this.#stop(settings.signal.reason);
      return;
    }
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    void this.#pump();
  }

  /** Tell the run the sink has room again. */
  resume(): void {
    void this.#pump();
  }

  /** Stop the run: no more dispatch, in-flight chunks are asked to stop, and `done` rejects with `reason`. */
  cancel(reason: unknown): void {
    this.#stop(reason);
  }

  async #pump(): Promise<void> {
    if (this.#pumping || this.#finished) return;
    this.#pumping = true;
    try {
      const { source, policy, sink, threads } = this.#s;
      while (!this.#finished && this.#inFlight.size < policy.maxInFlight(threads) && (sink.ready?.() ?? true)) {
        const again = this.#retry.shift();
        if (again) {
          this.#send(again.batch, again.attempts, true);
          continue;
        }
        if (source.done) break;
        const remaining = source.total === null ? null : source.total - source.taken;
        const size = Math.max(1, Math.floor(policy.next({ remaining, inFlight: this.#inFlight.size, threads, elapsedMs: this.#elapsed() })));
        const batchOrPromise = source.take(size);
        const batch = batchOrPromise instanceof Promise ? await batchOrPromise : batchOrPromise;
        if (this.#finished) return;
        if (batch.items.length > 0) this.#send(batch, 1, false);
      }
      this.#maybeFinish();
    } catch (error) {
      // The input itself failed (an iterator threw): that ends the run.
      this.#stop(error);
    } finally {
      this.#pumping = false;
    }
  }

  #send(batch: Batch, attempts: number, verify: boolean): void {
    const { items } = batch;
    const packed = packItems(items);
    const message: ChunkMessage = { task: this.#s.task, start: batch.start, items: packed ?? items, control: this.#control, verify };
    const flight: InFlight = { batch, attempts, isolating: verify, sentAt: performance.now(), controller: new AbortController() };
    this.#inFlight.add(flight);
    let pending: Promise<ChunkReply>;
    try {
      pending = this.#s.pool.run(message, {
        signal: flight.controller.signal,
        ...(packed ? { transferList: [packed.buffer as ArrayBuffer] } : {}),
      }) as Promise<ChunkReply>;
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (reply) => this.#onReply(flight, reply),
      (error: unknown) => this.#onChunkError(flight, error),
    );
  }

  #onReply(flight: InFlight, reply: ChunkReply): void {
    this.#inFlight.delete(flight);
    if (this.#finished) return this.#maybeFinish();
    if (reply.loadError) {
      const remote = fromEnvelope(reply.loadError);
      this.#stop(new TaskLoadError(remote.message, remote.cause === undefined ? undefined : { cause: remote.cause }));
      return;
    }
    const { batch, attempts } = flight;
    const { sink } = this.#s;
    const { values, errors } = reply;
    let e = 0;
    const nextError = (): number => (e < errors.length ? errors[e]![0] : -1);
    let errorAt = nextError();
    for (let k = 0; k < reply.ran; k++) {
      if (k === errorAt) {
        this.#failed++;
        const failure = taskErrorToItemError(batch.start + k, errors[e]![1], attempts);
        e++;
        errorAt = nextError();
        sink.failure(failure);
        if (this.#s.stopOnFailure) {
          this.#done += k + 1;
          this.#stop(failure);
          return;
        }
      } else {
        sink.value(batch.start + k, values[k]);
      }
    }
    this.#done += reply.ran;
    this.#chunks++;
    this.#observe(flight, 'ok', reply);
    this.#afterChunk();
  }

  #onChunkError(flight: InFlight, error: unknown): void {
    this.#inFlight.delete(flight);
    if (this.#finished) return this.#maybeFinish();
    const failure = classifyChunkError(error);
    if (failure.kind === 'crash' && Atomics.load(this.#control, CONTROL_LOADED) === 0) {
      if (++this.#crashesBeforeLoad >= STARTUP_CRASH_LIMIT) {
        this.#stop(
          new RunError(
            ErrorCodes.STARTUP_FAILED,
            `workers keep dying before the task is loaded (${this.#crashesBeforeLoad} in a row, last: ${describe(failure)}); ` +
              'check that the task module can be imported on its own',
            { cause: error },
          ),
        );
        return;
      }
    }
    this.#observe(flight, failure.kind, undefined);
    this.#handleFailure(flight, failure);
    this.#afterChunk();
  }

  #handleFailure(flight: InFlight, failure: ChunkFailure): void {
    const decision = decideChunkFailure(flight.batch, failure, flight.attempts, flight.isolating);
    if ('split' in decision) {
      // Halves go to the front, first half first, so isolation finishes before new input piles up.
      this.#retry.unshift(...decision.split.map((batch) => ({ batch, attempts: flight.attempts })));
      return;
    }
    for (const itemError of decision.fail) {
      this.#failed++;
      this.#done++;
      this.#s.sink.failure(itemError);
      if (this.#s.stopOnFailure) {
        this.#stop(itemError);
        return;
      }
    }
  }

  #observe(flight: InFlight, outcome: ChunkTrace['outcome'], reply: ChunkReply | undefined): void {
    const now = performance.now();
    const worker = reply ? this.#workerNumber(reply.threadId) : -1;
    const heapRatio = reply && reply.heapLimit > 0 ? reply.heapUsed / reply.heapLimit : 0;
    const runMs = reply?.runMs ?? 0;
    const roundTripMs = now - flight.sentAt;
    this.#s.policy.observe({
      items: flight.batch.items.length,
      runMs,
      roundTripMs,
      heapRatio,
      workerId: worker,
      cold: reply?.cold ?? false,
      outcome: outcome === 'clone' ? 'crash' : outcome,
    });
    this.#trace?.push({ t: now - this.#t0, items: flight.batch.items.length, runMs, roundTripMs, heapRatio, worker, outcome });
  }

  #afterChunk(): void {
    if (this.#finished) return;
    this.#sampleMainPressure();
    const { onProgress, source } = this.#s;
    if (onProgress) {
      const elapsedMs = this.#elapsed();
      try {
        onProgress({
          done: this.#done,
          failed: this.#failed,
          total: source.total,
          itemsPerSecond: elapsedMs > 0 ? (this.#done * 1000) / elapsedMs : 0,
          elapsedMs,
        });
      } catch (error) {
        this.#stop(error);
        return;
      }
    }
    void this.#pump();
  }

  /** Tell the policy how full the main thread's heap is (results and clones live there), at most every 50 ms. */
  #sampleMainPressure(): void {
    const { policy } = this.#s;
    if (!policy.setMainPressure) return;
    const now = performance.now();
    if (now - this.#lastPressureSample < PRESSURE_SAMPLE_MS) return;
    this.#lastPressureSample = now;
    const heap = getHeapStatistics();
    policy.setMainPressure(heap.used_heap_size / heap.heap_size_limit);
  }

  #maybeFinish(): void {
    if (this.#finished) {
      if (this.#inFlight.size === 0) this.#clearGrace();
      return;
    }
    if (this.#s.source.done && this.#retry.length === 0 && this.#inFlight.size === 0) {
      this.#finished = true;
      this.#cleanup();
      const summary: RunSummary = { items: this.#done, failed: this.#failed, chunks: this.#chunks, elapsedMs: this.#elapsed() };
      if (this.#trace) summary.trace = { chunks: this.#trace, decisions: this.#s.policy.trace?.() ?? [] };
      this.#resolve(summary);
    }
  }

  #stop(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    // Workers check this flag between items: they stop early and the task's ctx.signal fires.
    Atomics.store(this.#control, CONTROL_ABORTED, 1);
    this.#cleanup();
    void this.#s.source.close().catch(() => {});
    if (this.#inFlight.size > 0) {
      // A task that never looks at its signal is stopped the hard way after the grace period.
      this.#graceTimer = setTimeout(() => {
        for (const flight of this.#inFlight) flight.controller.abort(reason);
      }, this.#s.abortGraceMs);
      this.#graceTimer.unref();
    }
    this.#reject(reason);
  }

  #cleanup(): void {
    this.#s.signal?.removeEventListener('abort', this.#onAbort);
  }

  #clearGrace(): void {
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
  }

  #workerNumber(threadId: number): number {
    let id = this.#workerIds.get(threadId);
    if (id === undefined) {
      id = this.#workerIds.size;
      this.#workerIds.set(threadId, id);
    }
    return id;
  }

  #elapsed(): number {
    return performance.now() - this.#t0;
  }
}

/** A Float64Array of the items when every one is a number (moved to the worker instead of cloned), else null. */
export function packItems(items: unknown[]): Float64Array | null {
  const n = items.length;
  if (n < 8) return null;
  for (let i = 0; i < n; i++) if (typeof items[i] !== 'number') return null;
  return Float64Array.from(items as number[]);
}

function describe(failure: ChunkFailure): string {
  const message = (failure.error as { message?: unknown } | null)?.message;
  return `${failure.kind}${failure.exitCode === undefined ? '' : ` (exit code ${failure.exitCode})`}: ${String(message)}`;
}
