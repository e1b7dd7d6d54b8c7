/**
 * The dispatcher: a Run pulls items from the source in chunks sized by the ChunkPolicy, keeps a bounded number of
 * chunks in flight on the pool, and hands every item's outcome to the sink.
 *
 * Every send passes one admission check, `#admit()`: the run is not finished, the breaker's gate lets work (or one
 * single-item probe) through, the policy's in-flight bound and a free progress slot allow one more chunk. What is
 * sent is the feeder's choice (feeder.ts): work to run again first, then self-scheduled chunks, then new input.
 *
 * What it asks others: chunk sizes (the policy), what a failed chunk becomes (outcomes.ts), what failed items
 * become and whether the breaker tripped (failures.ts, returned as values keyed by the chunk). What it decides
 * itself: the timers (retry backoffs, the breaker's cool-down, run-time deadlines, the abort grace period), the
 * start-up crash limit, the one-item split of the half-open probe, and when the run ends.
 */
import { ErrorCodes, RunError, TaskLoadError } from '../errors.ts';
import { fromEnvelope } from '../transport/envelope.ts';
import type { ChunkReply } from '../transport/protocol.ts';
import { chunkContext, chunkMessage, deliverReply, noteWorkerDeath, type ChunkContext } from './chunk-io.ts';
import { ClaimBoard } from './claims.ts';
import { ChunkStopper } from './deadlines.ts';
import { FailureHandling, type ItemFailure, type Verdict } from './failures.ts';
import { Feeder } from './feeder.ts';
import { classifyChunkError, cloneError, decideChunkFailure, splitRest, type ChunkFailure, type Work } from './outcomes.ts';
import { ChunkRecorder } from './recorder.ts';
import { RunTimers } from './run-timers.ts';
import type { RunSettings, RunSummary } from './run-types.ts';
import { RunState } from './slots.ts';
import { StartupGuard } from './startup-guard.ts';

export type { ChunkTrace, Progress, RunSettings, RunSink, RunSummary, RunTrace, TraceFailure } from './run-types.ts';

/** A chunk on its way: its work, its progress slot, and when it was sent. The object is the chunk's identity. */
interface InFlight extends Work {
  slot: number;
  sentAt: number;
  /** Set by the deadline watchdog: the offset of the item that ran past its deadline. */
  timedOut?: number;
  /** A self-scheduled chunk (see claims.ts). */
  claims?: boolean;
}

/** What `#admit()` allows: nothing, one single-item probe, or a chunk of any size. */
const [NONE, PROBE, ANY] = [0, 1, 2] as const;
type Admission = typeof NONE | typeof PROBE | typeof ANY;

/**
 * Progress slots per pool thread (at least 16 in all). A chunk in flight holds one, so this is a hard bound on the
 * chunks in flight whatever the policy asks for; `#admit()` checks it like the policy's own bound.
 */
const SLOTS_PER_THREAD = 4;

let nextRunId = 0;

/** One parallel map over a source. Create it, then await `done`. */
export class Run {
  readonly done: Promise<RunSummary>;
  readonly #s: RunSettings;
  readonly #id = nextRunId++;
  readonly #slots: RunState;
  readonly #inFlight = new Set<InFlight>();
  readonly #stopper: ChunkStopper;
  /** What to send next; its `again` is the work to send before new input. */
  readonly #feeder: Feeder;
  readonly #failures: FailureHandling;
  /** Retries waiting for their backoff, the breaker's cool-down. */
  readonly #timers = new RunTimers();
  readonly #t0 = performance.now();
  readonly #recorder: ChunkRecorder;
  #resolve!: (summary: RunSummary) => void;
  #reject!: (error: unknown) => void;
  #finished = false;
  #pumping = false;
  #done = 0;
  #failed = 0;
  #chunks = 0;
  readonly #startup: StartupGuard;
  readonly #onAbort = (): void => this.#stop(this.#s.signal?.reason);
  /** The runner's workers are threads of this process: shared memory, packed payloads and stealing apply. */
  readonly #local: boolean;
  /** What every chunk carries besides its items (numeric input in shared memory: `out`, the shared output). */
  readonly #chunk: ChunkContext;
  /** Workers claim ranges of the shared numeric input themselves (null: the dispatcher cuts the chunks). */
  readonly #claims: ClaimBoard | null;
  readonly #onStopAsked = (): void => this.#drain();

  constructor(settings: RunSettings) {
    this.#s = settings;
    settings.sink.total?.(settings.source.total);
    this.#recorder = new ChunkRecorder(settings.policy, settings.trace === true, this.#t0);
    this.#slots = new RunState(Math.max(16, SLOTS_PER_THREAD * settings.threads));
    this.#stopper = new ChunkStopper(this.#slots, settings.pool, this.#inFlight);
    this.#failures = new FailureHandling(settings.retry, settings.breaker);
    this.#local = settings.local === true;
    this.#startup = new StartupGuard(settings.threads, this.#local);
    // Ranges of records that turned out not to fit go on as ordinary chunks.
    this.#claims = ClaimBoard.open(settings, (batches) => {
      for (const batch of batches) if (batch.items.length > 0) this.#feeder.again.push({ batch, attempts: 1, isolating: false });
      this.#pump();
    });
    this.#feeder = new Feeder(settings, this.#claims, { pulled: () => this.#pump(), failed: (error) => this.#stop(error) });
    this.#chunk = chunkContext(settings, this.#slots, this.#id, this.#claims !== null);
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (settings.signal?.aborted) {
      this.#stop(settings.signal.reason);
      return;
    }
    settings.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (settings.stopSignal?.aborted) this.#feeder.drain();
    else settings.stopSignal?.addEventListener('abort', this.#onStopAsked, { once: true });
    if (settings.timeout !== undefined) this.#stopper.watch(settings.timeout);
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

  /** A graceful stop: the source asks its input for nothing more; what was read (or asked for) still runs. */
  #drain(): void {
    this.#feeder.drain();
    this.#pump();
  }

  /** The one admission check of every send. */
  #admit(): Admission {
    if (this.#finished || this.#slots.available === 0) return NONE;
    if (this.#inFlight.size >= this.#s.policy.maxInFlight(this.#s.threads)) return NONE;
    const gate = this.#failures.gate;
    return gate === 'open' ? ANY : gate === 'probe' ? PROBE : NONE;
  }

  /** Send what the feeder gives while `#admit()` allows. */
  #pump(): void {
    if (this.#pumping || this.#finished) return;
    this.#pumping = true;
    try {
      for (let admission = this.#admit(); admission !== NONE; admission = this.#admit()) {
        const probe = admission === PROBE;
        const work = this.#feeder.next(probe, this.#inFlight.size, this.#elapsed());
        if (work === null) break;
        this.#send(work, probe);
      }
      this.#feedHunger();
      this.#maybeFinish();
    } catch (error) {
      // The input itself failed (an iterator threw): that ends the run.
      this.#stop(error);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Tell the workers how many of them are hungry: idle (fewer chunks in flight than threads) with nothing left to
   * send them (no re-runs, no input left, no pull or retry pending). Chunks that already gave way for a hungry
   * worker and have not landed yet count against it. Local runners only.
   */
  #feedHunger(): void {
    if (!this.#local || this.#finished) return;
    const nothingLeft = this.#feeder.nothingToSend && this.#timers.retriesWaiting === 0;
    const inFlight = this.#inFlight.size;
    this.#slots.feedHunger(nothingLeft && inFlight > 0 ? this.#s.threads - inFlight : 0);
  }

  /** Send one chunk. Called only from `#pump()` after `#admit()`, so a slot is free. */
  #send(work: Work & { claims?: boolean }, probe: boolean): void {
    const slot = this.#slots.take();
    const { message, transfer } = chunkMessage(work, slot, this.#chunk);
    if (work.claims) {
      message.claims = this.#claims!.message();
      message.items = this.#claims!.whole;
    }
    const flight: InFlight = { ...work, slot, sentAt: performance.now() };
    if (probe) this.#failures.probeSent(flight);
    this.#inFlight.add(flight);
    let pending: Promise<ChunkReply>;
    try {
      pending = this.#s.pool.run(message, transfer ? { transferList: transfer } : {});
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (reply) => this.#settle(() => this.#onReply(flight, reply)),
      (error: unknown) => this.#settle(() => this.#onChunkError(flight, error)),
    );
  }

  /** Run a landing handler; whatever it throws ends the run instead of becoming an unhandled rejection. */
  #settle(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.#stop(error);
    }
  }

  #land(flight: InFlight): boolean {
    this.#inFlight.delete(flight);
    this.#slots.release(flight.slot);
    if (!this.#finished) return true;
    this.#maybeFinish();
    return false;
  }

  #onReply(landed: InFlight, reply: ChunkReply): void {
    if (!this.#land(landed)) return;
    this.#startup.replied();
    if (reply.loadError) {
      const remote = fromEnvelope(reply.loadError);
      this.#stop(new TaskLoadError(remote.message, remote.cause === undefined ? undefined : { cause: remote.cause }));
      return;
    }
    const settled = landed.claims ? this.#settleClaims(landed, reply) : { flight: landed, reply };
    if (!settled) {
      this.#afterChunk();
      return;
    }
    const { flight } = settled;
    const { batch, attempts } = flight;
    const { errors } = reply;
    // The hunger is set again by the pump that follows.
    if (reply.yielded) this.#slots.gaveWay();
    const { succeeded, failures } = deliverReply(batch, attempts, reply, this.#chunk.out, this.#s.sink);
    this.#done += succeeded;
    this.#chunks++;
    this.#recorder.observe(flight, 'ok', settled.reply);
    if (reply.yielded && reply.ran < batch.items.length) {
      // It gave way to hungry workers: its untouched rest goes out again at once, split among them and itself.
      const idle = this.#s.threads - this.#inFlight.size;
      this.#feeder.again.unshift(...splitRest(flight, reply.ran, Math.max(2, idle)));
    }
    if (this.#carryOut(this.#failures.landed(flight, reply.ran - errors.length, failures))) this.#afterChunk();
  }

  #onChunkError(landed: InFlight, error: unknown): void {
    let failure: ChunkFailure =
      landed.timedOut === undefined
        ? classifyChunkError(error)
        : { kind: 'timeout', error: new Error(`ran longer than its ${this.#s.timeout} ms deadline`) };
    // A local chunk that never reached a worker: if its items cannot be cloned (a getter that throws while the
    // message is written, say), no worker crashed; the chunk could not be sent (and is isolated like any clone
    // failure, without counting as a worker lost before it started).
    if (failure.kind === 'crash' && this.#chunk.local && !landed.claims && this.#slots.thread(landed.slot) === 0) {
      const unsendable = cloneError(landed.batch.items);
      if (unsendable !== undefined) failure = { kind: 'clone', error: unsendable };
    }
    // A worker died: from now on every chunk's code is tagged in its worker (see chunk-io.ts, noteWorkerDeath).
    if (failure.kind !== 'clone') noteWorkerDeath();
    const died = failure.kind === 'clone' ? this.#slots.position(landed.slot) : this.#startup.whereDied(this.#slots, landed.slot);
    const position = { ...died, stage: this.#slots.stage(landed.slot) };
    if (!this.#land(landed)) return;
    const startupFailed = this.#startup.judge(failure, position, this.#slots.loads, error);
    if (startupFailed) {
      this.#stop(startupFailed);
      return;
    }
    // A self-scheduled chunk: what it finished is delivered; the range it held is judged like any chunk.
    const flight = landed.claims ? this.#settleClaims(landed, undefined)?.flight : landed;
    if (!flight) {
      this.#afterChunk();
      return;
    }
    this.#recorder.observe(flight, failure.kind, undefined);
    const at = flight.timedOut === undefined ? position : { item: flight.timedOut, awaiting: false, stage: position.stage };
    // Died past its last item: died replying, a result could not cross threads. From now on the run's chunks have
    // their results checked before replying, so such results cost one worker per run, not one per chunk with one.
    if (failure.kind === 'crash' && at.item !== null && at.item >= flight.batch.items.length) this.#chunk.verify = true;
    const decision = decideChunkFailure(flight, failure, at);
    // Pieces go to the front, in input order, so isolation finishes before new input piles up.
    this.#feeder.again.unshift(...decision.requeue);
    const { start, items } = flight.batch;
    const failures = decision.failed.map((e): ItemFailure => ({ error: e, item: items[e.index - start] }));
    if (this.#carryOut(this.#failures.landed(flight, 0, failures))) this.#afterChunk();
  }

  /**
   * A self-scheduled chunk landed: the ranges it finished go to the sink from the shared output; the range it held
   * (a failure, a result that is not a number, a yield, a death) is returned to go on as an ordinary chunk, with the
   * reply's share of the time for it.
   */
  #settleClaims(landed: InFlight, reply: ChunkReply | undefined): { flight: InFlight; reply: ChunkReply | undefined } | null {
    const claims = this.#claims!;
    const { succeeded, finished, held } = claims.settle(landed.slot, this.#chunk.out!, this.#s.sink);
    this.#done += succeeded;
    if (held && reply?.values) claims.resultsCameBack(reply.values);
    let rest = reply;
    if (reply && finished) {
      // The finished ranges are recorded as one chunk of all they ran (the policy learns the cost per item; the trace
      // shows the work). The reply's time covers the held range too: each side gets its share by items; the reply's
      // errors and give-way are the held range's.
      const heldRan = held === null ? 0 : reply.ran;
      const share = finished.items.length / (finished.items.length + heldRan);
      this.#chunks++;
      const own = held === null ? reply : { ...reply, runMs: reply.runMs * share, yielded: false, errors: [] };
      this.#recorder.observe({ ...landed, batch: finished }, 'ok', own);
      if (held !== null) rest = { ...reply, runMs: reply.runMs * (1 - share) };
    }
    return held === null ? null : { flight: { ...landed, batch: held, claims: false }, reply: rest };
  }

  /** Carry out what failures.ts decided for a landed chunk. False when that ended the run. */
  #carryOut(verdict: Verdict): boolean {
    const { sink, stopOnFailure } = this.#s;
    for (const error of verdict.failed) {
      this.#failed++;
      this.#done++;
      this.#recorder.failure(error);
      sink.failure(error);
      if (stopOnFailure) {
        this.#stop(error);
        return false;
      }
    }
    for (const { work, delayMs } of verdict.retries) {
      this.#timers.retryAfter(delayMs, () => {
        this.#feeder.again.push(work);
        this.#pump();
      });
    }
    if (verdict.tripped) {
      const { error, coolDownMs } = verdict.tripped;
      if (coolDownMs === undefined) {
        this.#stop(error);
        return false;
      }
      this.#timers.coolDown(coolDownMs, () => {
        this.#failures.halfOpen();
        this.#pump();
      });
    }
    return !this.#finished;
  }

  #afterChunk(): void {
    if (this.#finished) return;
    this.#recorder.sampleMainPressure();
    const { onProgress, source } = this.#s;
    if (onProgress) {
      const elapsedMs = this.#elapsed();
      const itemsPerSecond = elapsedMs > 0 ? (this.#done * 1000) / elapsedMs : 0;
      try {
        onProgress({ done: this.#done, failed: this.#failed, total: source.total, itemsPerSecond, elapsedMs });
      } catch (error) {
        this.#stop(error);
        return;
      }
    }
    this.#pump();
  }

  #maybeFinish(): void {
    if (this.#finished) {
      if (this.#inFlight.size === 0) this.#stopper.clearGrace();
      return;
    }
    // After a graceful stop, a read still unanswered is abandoned (see Feeder.mayFinish), and the source closed.
    if (this.#feeder.mayFinish && this.#inFlight.size === 0 && this.#timers.retriesWaiting === 0) {
      this.#finished = true;
      this.#cleanup();
      if (this.#feeder.draining) void this.#s.source.close().catch(() => {});
      // Every item of an input of known length ends as exactly one outcome (a graceful stop ends it early): a count
      // that differs is a bug of ours, and the results would be wrong, so the call rejects instead.
      const { total } = this.#s.source;
      if (total !== null && !this.#feeder.draining && this.#done !== total) {
        this.#reject(new RunError(ErrorCodes.INTERNAL, `internal error: the run of ${total} items ended with ${this.#done} outcomes; please report this`));
        return;
      }
      const summary: RunSummary = { items: this.#done, failed: this.#failed, chunks: this.#chunks, elapsedMs: this.#elapsed() };
      const trace = this.#recorder.trace(this.#s.threads, summary.elapsedMs);
      this.#resolve(trace ? { ...summary, trace } : summary);
    }
  }

  #stop(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    // Workers check this flag between items (and tasks see it through ctx.signal): they stop early.
    this.#slots.abort();
    this.#cleanup();
    void this.#s.source.close().catch(() => {});
    // A task that never looks at its signal is stopped the hard way after the grace period.
    this.#stopper.terminateAfter(this.#s.abortGraceMs);
    this.#reject(reason);
  }

  #cleanup(): void {
    this.#s.signal?.removeEventListener('abort', this.#onAbort);
    this.#s.stopSignal?.removeEventListener('abort', this.#onStopAsked);
    this.#timers.clear();
    this.#stopper.unwatch();
    this.#claims?.stop();
    this.#feeder.close();
  }

  #elapsed(): number {
    return performance.now() - this.#t0;
  }
}
