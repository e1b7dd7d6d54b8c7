/**
 * The dispatcher: pulls items from the source in chunks sized by the policy, keeps a bounded number of chunks in
 * flight on the pool, and hands every item's outcome to the sink. It decides nothing itself: sizes come from the
 * ChunkPolicy, what a failed chunk becomes from outcomes.ts, retries and the breaker from failures.ts.
 */
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { ErrorCodes, RunError, TaskLoadError, type ItemError } from '../errors.ts';
import { fromEnvelope } from '../transport/envelope.ts';
import { packNumbers } from '../transport/pack.ts';
import type { ChunkMessage, ChunkReply } from '../transport/protocol.ts';
import { FailureHandling } from './failures.ts';
import { classifyChunkError, decideChunkFailure, taskErrorToItemError, type ChunkFailure, type Work } from './outcomes.ts';
import type { ChunkTrace, RunSettings, RunSummary, RunTrace } from './run-types.ts';
import { epochNow, RunState } from './slots.ts';

export type { ChunkTrace, Progress, RunSettings, RunSink, RunSummary, RunTrace, TraceFailure } from './run-types.ts';

interface InFlight extends Work {
  slot: number;
  sentAt: number;
  /** Set by the watchdog: the offset of the item that ran past its deadline. */
  timedOut?: number;
  probe: boolean;
}

/** How often the main thread's heap is sampled for backpressure, ms. */
const PRESSURE_SAMPLE_MS = 50;
/** Give up on a run whose workers keep dying before any of them has loaded the task. */
const STARTUP_CRASH_LIMIT = 3;
/** Failed items a trace keeps with their messages (all are counted by code). */
const TRACED_FAILURES = 20;
const MiB = 1024 * 1024;

let nextRunId = 0;

/** One parallel map over a source. Create it, then await `done`. */
export class Run {
  readonly done: Promise<RunSummary>;
  readonly #s: RunSettings;
  readonly #id = nextRunId++;
  readonly #slots: RunState;
  readonly #inFlight = new Set<InFlight>();
  /** Work to run again (pieces of failed chunks, due retries), served before new input. */
  readonly #again: Work[] = [];
  readonly #failures: FailureHandling;
  readonly #workerIds = new Map<number, number>();
  readonly #t0 = performance.now();
  readonly #trace: ChunkTrace[] | undefined;
  /** Run-level trace detail (failures, main-thread load), only when a trace is kept. */
  readonly #traceRun: { startedAt: string; elu: EventLoopUtilization; failures: NonNullable<RunTrace['failures']> } | undefined;
  #resolve!: (summary: RunSummary) => void;
  #reject!: (error: unknown) => void;
  #finished = false;
  #pumping = false;
  /** An async pull from the source is under way. */
  #pulling = false;
  #done = 0;
  #failed = 0;
  #chunks = 0;
  #crashesBeforeLoad = 0;
  #lastPressureSample = Number.NEGATIVE_INFINITY;
  #watchdog: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#stop(this.#s.signal?.reason);
  /** A graceful stop was asked for: no more input is taken; what was sent finishes. */
  #draining = false;
  readonly #onStopAsked = (): void => {
    this.#draining = true;
    this.#pump();
  };

  constructor(settings: RunSettings) {
    this.#s = settings;
    this.#trace = settings.trace ? [] : undefined;
    this.#traceRun = settings.trace
      ? { startedAt: new Date().toISOString(), elu: performance.eventLoopUtilization(), failures: { byCode: {}, first: [] } }
      : undefined;
    this.#slots = new RunState(Math.max(16, settings.policy.maxInFlight(settings.threads) * 2 + 8));
    this.#failures = new FailureHandling(settings.retry, settings.breaker, {
      requeue: (work) => this.#again.push(work),
      fail: (error) => this.#finalFailure(error),
      trip: (error) => this.#stop(error),
      wake: () => this.#pump(),
    });
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (settings.signal?.aborted) {
      this.#stop(settings.signal.reason);
      return;
    }
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (settings.stopSignal?.aborted) this.#draining = true;
    else settings.stopSignal?.addEventListener('abort', this.#onStopAsked, { once: true });
    if (settings.timeout !== undefined) {
      const every = Math.max(2, Math.min(100, settings.timeout / 4));
      this.#watchdog = setInterval(() => this.#checkDeadlines(settings.timeout!), every);
      this.#watchdog.unref();
    }
    this.#pump();
  }

  /** This run's id (host objects are served under it). */
  get id(): number {
    return this.#id;
  }

  /** Tell the run the sink has room again. */
  resume(): void {
    this.#pump();
  }

  /** Stop the run: no more dispatch, in-flight chunks are asked to stop, and `done` rejects with `reason`. */
  cancel(reason: unknown): void {
    this.#stop(reason);
  }

  /**
   * Send work while the policy, the slots, the breaker and the consumer allow. Re-runs go first. A pull from an
   * async source runs in the background (one at a time), so re-runs are never held up by a slow input.
   */
  #pump(): void {
    if (this.#pumping || this.#finished) return;
    this.#pumping = true;
    try {
      const { source, policy, sink, threads } = this.#s;
      while (!this.#finished && this.#inFlight.size < policy.maxInFlight(threads) && this.#slots.available > 0) {
        const gate = this.#failures.gate;
        if (gate === 'closed') break;
        const probe = gate === 'probe';
        // Work to run again goes first and ignores the consumer's backpressure: it is what the consumer waits for.
        let again = this.#again.shift();
        if (again) {
          if (probe && again.batch.items.length > 1) {
            const [first, rest] = splitFirst(again);
            this.#again.unshift(rest);
            again = first;
          }
          this.#send(again, probe);
          continue;
        }
        if (this.#pulling || this.#draining || source.done || !(sink.ready?.() ?? true)) break;
        const remaining = source.total === null ? null : source.total - source.taken;
        const wanted = probe ? 1 : policy.next({ remaining, inFlight: this.#inFlight.size, threads, elapsedMs: this.#elapsed() });
        const taken = source.take(Math.max(1, Math.floor(wanted)));
        if (taken instanceof Promise) {
          this.#pulling = true;
          taken.then(
            (batch) => {
              this.#pulling = false;
              if (this.#finished) return;
              if (batch.items.length > 0) this.#send({ batch, attempts: 1, isolating: false }, probe);
              this.#pump();
            },
            (error: unknown) => {
              this.#pulling = false;
              this.#stop(error);
            },
          );
          break;
        }
        if (taken.items.length > 0) this.#send({ batch: taken, attempts: 1, isolating: false }, probe);
      }
      this.#maybeFinish();
    } catch (error) {
      // The input itself failed (an iterator threw): that ends the run.
      this.#stop(error);
    } finally {
      this.#pumping = false;
    }
  }

  #send(work: Work, probe: boolean): void {
    const slot = this.#slots.take();
    const { items } = work.batch;
    const packed = packNumbers(items);
    const message: ChunkMessage = {
      task: this.#s.task,
      start: work.batch.start,
      items: packed ?? items,
      state: this.#slots.buffer,
      slots: this.#slots.size,
      verify: work.isolating,
      host: this.#s.host === true,
      timed: this.#s.timeout !== undefined,
      runId: this.#id,
      slot,
    };
    const flight: InFlight = { ...work, slot, probe, sentAt: performance.now() };
    if (probe) this.#failures.probeSent();
    this.#inFlight.add(flight);
    let pending: Promise<ChunkReply>;
    try {
      const transferList = packed ? [packed.buffer as ArrayBuffer] : undefined;
      pending = this.#s.pool.run(message, transferList ? { transferList } : {});
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (reply) => this.#onReply(flight, reply),
      (error: unknown) => this.#onChunkError(flight, error),
    );
  }

  #land(flight: InFlight): boolean {
    this.#inFlight.delete(flight);
    this.#slots.release(flight.slot);
    if (!this.#finished) return true;
    this.#maybeFinish();
    return false;
  }

  #onReply(flight: InFlight, reply: ChunkReply): void {
    if (!this.#land(flight)) return;
    if (reply.loadError) {
      const remote = fromEnvelope(reply.loadError);
      this.#stop(new TaskLoadError(remote.message, remote.cause === undefined ? undefined : { cause: remote.cause }));
      return;
    }
    const { batch, attempts } = flight;
    const { values, errors } = reply;
    const { sink } = this.#s;
    // Successes go to the sink in runs between failures (one call per run when the sink takes runs).
    let from = 0;
    for (let e = 0; e <= errors.length && !this.#finished; e++) {
      const error = errors[e];
      const to = error ? error[0] : reply.ran;
      if (to > from) {
        this.#done += to - from;
        if (sink.values) sink.values(batch.start, values, from, to);
        else for (let k = from; k < to; k++) sink.value(batch.start + k, values[k]);
      }
      if (error) {
        const k = error[0];
        const work = { batch: { start: batch.start + k, items: [batch.items[k]] }, attempts, isolating: true };
        this.#failures.failed(taskErrorToItemError(batch.start + k, error[1], attempts), work);
      }
      from = to + 1;
    }
    if (this.#finished) return;
    this.#failures.succeeded(reply.ran - errors.length);
    this.#chunks++;
    this.#observe(flight, 'ok', reply);
    this.#afterChunk();
  }

  #onChunkError(flight: InFlight, error: unknown): void {
    const position = this.#slots.position(flight.slot);
    if (!this.#land(flight)) return;
    const failure: ChunkFailure =
      flight.timedOut === undefined
        ? classifyChunkError(error)
        : { kind: 'timeout', error: new Error(`ran longer than its ${this.#s.timeout} ms deadline`) };
    if (failure.kind === 'crash' && this.#slots.loads === 0) {
      if (++this.#crashesBeforeLoad >= STARTUP_CRASH_LIMIT) {
        const detail = `${failure.exitCode === undefined ? '' : `exit code ${failure.exitCode}: `}${String((error as Error)?.message)}`;
        this.#stop(
          new RunError(
            ErrorCodes.STARTUP_FAILED,
            `workers keep dying before the task is loaded (${this.#crashesBeforeLoad} in a row, last: ${detail}); ` +
              'check that the task module can be imported on its own',
            { cause: error },
          ),
        );
        return;
      }
    }
    this.#observe(flight, failure.kind, undefined);
    const at = flight.timedOut === undefined ? position : { item: flight.timedOut, awaiting: false };
    const decision = decideChunkFailure(flight, failure, at);
    // Pieces go to the front, in input order, so isolation finishes before new input piles up.
    this.#again.unshift(...decision.requeue);
    for (const itemError of decision.failed) {
      const k = itemError.index - flight.batch.start;
      const work = { batch: { start: itemError.index, items: [flight.batch.items[k]] }, attempts: flight.attempts, isolating: true };
      this.#failures.failed(itemError, work);
      if (this.#finished) return;
    }
    this.#afterChunk();
  }

  #finalFailure(error: ItemError): void {
    this.#failed++;
    this.#done++;
    if (this.#traceRun) {
      const { byCode, first } = this.#traceRun.failures;
      byCode[error.code] = (byCode[error.code] ?? 0) + 1;
      if (first.length < TRACED_FAILURES) first.push({ index: error.index, code: error.code, message: error.message, attempts: error.attempts });
    }
    this.#s.sink.failure(error);
    if (this.#s.stopOnFailure) this.#stop(error);
  }

  /** Terminate the worker of any chunk whose current item has run past the deadline (run time, not queue time). */
  #checkDeadlines(timeout: number): void {
    const now = epochNow();
    for (const flight of this.#inFlight) {
      if (flight.timedOut !== undefined) continue;
      const current = this.#slots.position(flight.slot).item;
      if (current === null || current >= flight.batch.items.length) continue;
      if (this.#slots.runningFor(flight.slot, now) > timeout) {
        flight.timedOut = current;
        this.#terminate(flight);
      }
    }
  }

  #observe(flight: InFlight, outcome: ChunkTrace['outcome'], reply: ChunkReply | undefined): void {
    const now = performance.now();
    const worker = reply ? this.#workerNumber(reply.threadId) : -1;
    const heapRatio = reply && reply.heapLimit > 0 ? reply.heapUsed / reply.heapLimit : 0;
    const runMs = reply?.runMs ?? 0;
    const roundTripMs = now - flight.sentAt;
    const items = flight.batch.items.length;
    this.#s.policy.observe({
      items,
      runMs,
      roundTripMs,
      heapRatio,
      workerId: worker,
      cold: reply?.cold ?? false,
      outcome: outcome === 'clone' ? 'crash' : outcome,
    });
    if (!this.#trace) return;
    const t = now - this.#t0;
    const sentMs = flight.sentAt - this.#t0;
    const entry: ChunkTrace = { t, items, runMs, roundTripMs, heapRatio, worker, outcome, sentMs };
    entry.startMs = Math.max(sentMs, t - runMs);
    entry.first = flight.batch.start;
    entry.attempt = flight.attempts;
    if (reply && reply.errors.length > 0) entry.failedItems = reply.errors.length;
    if (flight.isolating) entry.isolated = true;
    if (reply && reply.heapLimit > 0) {
      entry.heapUsedMb = reply.heapUsed / MiB;
      entry.heapLimitMb = reply.heapLimit / MiB;
    }
    this.#trace.push(entry);
  }

  #afterChunk(): void {
    if (this.#finished) return;
    this.#sampleMainPressure();
    const { onProgress, source } = this.#s;
    if (onProgress) {
      const elapsedMs = this.#elapsed();
      const progress = {
        done: this.#done,
        failed: this.#failed,
        total: source.total,
        itemsPerSecond: elapsedMs > 0 ? (this.#done * 1000) / elapsedMs : 0,
        elapsedMs,
      };
      try {
        onProgress(progress);
      } catch (error) {
        this.#stop(error);
        return;
      }
    }
    this.#pump();
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
    const idle = this.#again.length === 0 && this.#inFlight.size === 0 && this.#failures.pending === 0 && !this.#pulling;
    if ((this.#s.source.done || this.#draining) && idle) {
      this.#finished = true;
      this.#cleanup();
      if (this.#draining) void this.#s.source.close().catch(() => {});
      const summary: RunSummary = { items: this.#done, failed: this.#failed, chunks: this.#chunks, elapsedMs: this.#elapsed() };
      if (this.#trace) summary.trace = this.#traceOf(summary.elapsedMs);
      this.#resolve(summary);
    }
  }

  #stop(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    // Workers check this flag between items (and tasks see it through ctx.signal): they stop early.
    this.#slots.abort();
    this.#cleanup();
    void this.#s.source.close().catch(() => {});
    if (this.#inFlight.size > 0) {
      // A task that never looks at its signal is stopped the hard way after the grace period.
      this.#graceTimer = setTimeout(() => {
        for (const flight of this.#inFlight) this.#terminate(flight);
      }, this.#s.abortGraceMs);
      this.#graceTimer.unref();
    }
    this.#reject(reason);
  }

  /**
   * Terminate the worker running `flight` (it ran past its deadline, or ignored an abort past the grace period).
   * The slot names the worker's thread; a chunk that has not started yet has none and is left alone (it sees the
   * abort flag before its first item). piscina then rejects the chunk and replaces the worker.
   */
  #terminate(flight: InFlight): void {
    const threadId = this.#slots.thread(flight.slot);
    if (threadId === 0 || !this.#inFlight.has(flight)) return;
    const worker = this.#s.pool.threads.find((t) => t.threadId === threadId);
    void worker?.terminate();
  }

  #cleanup(): void {
    this.#s.signal?.removeEventListener('abort', this.#onAbort);
    this.#s.stopSignal?.removeEventListener('abort', this.#onStopAsked);
    this.#failures.close();
    if (this.#watchdog) clearInterval(this.#watchdog);
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

  #traceOf(elapsedMs: number): RunTrace {
    const trace: RunTrace = { chunks: this.#trace ?? [], decisions: this.#s.policy.trace?.() ?? [], threads: this.#s.threads, elapsedMs };
    const run = this.#traceRun;
    if (run) {
      const elu = performance.eventLoopUtilization(run.elu);
      trace.startedAt = run.startedAt;
      trace.main = { activeMs: elu.active, utilization: elu.utilization };
      trace.failures = run.failures;
    }
    return trace;
  }
}

/** Split off the first item of a batch (for a half-open probe): [first item, the rest]. */
function splitFirst(work: Work): [Work, Work] {
  const { start, items } = work.batch;
  return [
    { ...work, batch: { start, items: items.slice(0, 1) } },
    { ...work, batch: { start: start + 1, items: items.slice(1) } },
  ];
}
