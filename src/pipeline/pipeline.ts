/**
 * `rt.pipeline(items, stages, options)`: streams items through stages. Worker stages run fused on the shared pool
 * (one run per segment, each with its own adaptive chunking), io stages on the main thread; segments run at the
 * same time with bounded channels between them, so memory does not grow with the input. The consumer gets each
 * outcome `{ index, status, value | reason }`, in input order by default.
 */
import { checkBoolean, checkOptions as checkKnownOptions } from '../base/validate.ts';
import { positiveInteger, resolveMapOptions } from '../options.ts';
import type { BreakerOptions } from '../schedule/breaker.ts';
import type { RetryOptions } from '../schedule/retry.ts';
import { toSource, type Source } from '../schedule/source.ts';
import { Channel, type Downstream } from './channel.ts';
import { Collector, type PipelineResult } from './collector.ts';
import { IoSegment } from './io-segment.ts';
import type { RunStarter } from './seam.ts';
import { planSegments } from './stages.ts';
import { WorkerSegment } from './worker-segment.ts';

/** Options of `rt.pipeline`. */
export interface PipelineOptions {
  /** Yield outcomes in input order (`true`) or as they complete (`false`). Default `true`. */
  ordered?: boolean | undefined;
  /**
   * The window: outcomes held for the consumer (and, in order, inputs waiting for an earlier one) before the
   * pipeline takes no more input. Default `16384`, widened when the chunks grow big (cheap items) to the results of
   * `2 × threads + 1` of the largest chunks so far, so the window never idles a worker while chunks land out of
   * order; a value given here is kept exactly.
   */
  highWaterMark?: number | undefined;
  /**
   * Values held between two segments (after an io stage, before one, after a flatMap) before the segment before
   * pauses. Keep it small when values are big (file contents). Default `1024`.
   */
  buffer?: number | undefined;
  /** Cancels the pipeline: every stage stops and the iteration rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Fixed chunk size of every worker segment. Default: adaptive, per segment. */
  chunkSize?: number | undefined;
  /** Retries of failed items, per stage, as in `map` (worker and io stages). Default `0`. */
  retries?: number | RetryOptions | undefined;
  /** Per-item deadline of each worker segment's run time, and of each io call, ms. Default: none. */
  timeout?: number | undefined;
  /** Circuit breaker, per segment, as in `map`; a tripped breaker ends the pipeline. Default: off. */
  breaker?: boolean | BreakerOptions | undefined;
  /** As in `map`: how long stopped chunks may go on before their workers are terminated, ms. Default `1000`. */
  abortGraceMs?: number | undefined;
  /** As in `map`: main-thread functions worker stages may call through `ctx.host`. Default: none. */
  host?: object | undefined;
}

const RUN_KEYS = ['signal', 'chunkSize', 'abortGraceMs', 'timeout', 'retries', 'breaker', 'host'] as const;
const KEYS: readonly string[] = [...RUN_KEYS, 'ordered', 'highWaterMark', 'buffer'];

/** Default window (see {@link PipelineOptions.highWaterMark}). */
export const DEFAULT_PIPELINE_WINDOW = 16_384;
/** Default capacity between two segments (see {@link PipelineOptions.buffer}). */
export const DEFAULT_PIPELINE_BUFFER = 1024;

function checkOptions(options: unknown): { run: Record<string, unknown>; ordered: boolean; window: number; fixedWindow: boolean; buffer: number } {
  const o = checkKnownOptions(options, KEYS, 'options', { threads: 'createRuntime()', maxHeapMb: 'createRuntime()' });
  checkBoolean('options.ordered', o['ordered']);
  const run: Record<string, unknown> = {};
  for (const key of RUN_KEYS) if (o[key] !== undefined) run[key] = o[key];
  return {
    run,
    ordered: o['ordered'] !== false,
    window: positiveInteger('highWaterMark', o['highWaterMark']) ?? DEFAULT_PIPELINE_WINDOW,
    fixedWindow: o['highWaterMark'] !== undefined,
    buffer: positiveInteger('buffer', o['buffer']) ?? DEFAULT_PIPELINE_BUFFER,
  };
}

/** Reads the pipeline's items into the first channel (when the first stage runs on the main thread). */
class Head {
  readonly #source: Source;
  readonly #out: Channel;
  readonly #collector: Collector;
  readonly #onFailure: (error: unknown) => void;
  #reading = false;
  #closed = false;
  constructor(source: Source, out: Channel, collector: Collector, onFailure: (error: unknown) => void) {
    this.#source = source;
    this.#out = out;
    this.#collector = collector;
    this.#onFailure = onFailure;
  }
  resume(): void {
    while (!this.#reading && !this.#closed && !this.#out.ended) {
      if (this.#source.done) {
        this.#out.end();
        return;
      }
      if (!this.#out.hasRoom() || !this.#collector.admits()) return;
      let batch;
      try {
        batch = this.#source.take(Math.max(1, Math.min(256, this.#out.capacity - this.#out.length)));
      } catch (error) {
        this.#onFailure(error);
        return;
      }
      if (batch instanceof Promise) {
        this.#reading = true;
        batch.then(
          (b) => {
            this.#reading = false;
            if (this.#closed) return;
            this.#push(b);
            this.resume();
          },
          (error: unknown) => {
            this.#reading = false;
            this.#onFailure(error);
          },
        );
        return;
      }
      this.#push(batch);
    }
  }
  #push(batch: { start: number; items: ArrayLike<unknown> }): void {
    for (let k = 0; k < batch.items.length; k++) this.#out.push({ input: batch.start + k, path: null, value: batch.items[k] });
  }
  cancel(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#source.close().catch(() => {});
  }
}

type Part = { resume(): void; cancel(reason: unknown): void };

/** The iteration of one pipeline. Starts on the first `next()`; errors (bad stages or options) reject there. */
export class PipelineStream<O = unknown> implements AsyncIterableIterator<PipelineResult<O>>, AsyncDisposable {
  readonly #rt: RunStarter;
  readonly #items: unknown;
  readonly #stages: unknown;
  readonly #options: unknown;
  #collector: Collector | undefined;
  readonly #parts: Part[] = [];
  readonly #controller = new AbortController();
  #userSignal: AbortSignal | undefined;
  #started = false;
  #failure: { error: unknown } | undefined;
  #finished = false;
  #waiter: { resolve: (r: IteratorResult<PipelineResult<O>>) => void; reject: (e: unknown) => void } | undefined;
  readonly #onAbort = (): void => this.#fail(this.#userSignal?.reason);

  constructor(rt: RunStarter, items: unknown, stages: unknown, options: unknown) {
    this.#rt = rt;
    this.#items = items;
    this.#stages = stages;
    this.#options = options;
  }

  #start(): void {
    this.#started = true;
    const { run, ordered, window, fixedWindow, buffer } = checkOptions(this.#options);
    const resolved = resolveMapOptions(run);
    const segments = planSegments(this.#stages);
    this.#userSignal = resolved.signal;
    const collector = new Collector(ordered, window, () => this.#wake(), fixedWindow);
    collector.onOutput = () => this.#wake();
    this.#collector = collector;
    const fail = (error: unknown): void => this.#fail(error);
    const kick = (): void => this.#kick();
    const runOptions = { ...run, signal: this.#controller.signal };
    const io = { retry: resolved.retry, timeout: resolved.timeout, breaker: resolved.breaker, signal: this.#controller.signal };
    // Built from the last segment back, each taking the channel (or the collector) after it.
    let down: Downstream = collector;
    const starts: Array<() => void> = [];
    for (let s = segments.length - 1; s >= 0; s--) {
      const plan = segments[s]!;
      const input = s === 0 && plan.kind === 'worker' ? null : new Channel(buffer, kick);
      if (plan.kind === 'worker') {
        const segment = new WorkerSegment(plan, input, down, collector);
        this.#parts.push(segment);
        starts.push(() => segment.start(this.#rt, input ?? this.#items, runOptions, fail));
      } else {
        const segment = new IoSegment(plan, input!, down, collector, io, fail);
        this.#parts.push({ resume: () => segment.resume(), cancel: () => segment.cancel() });
      }
      if (s === 0 && input) {
        const head = new Head(toSource(this.#items), input, collector, fail);
        this.#parts.push({ resume: () => head.resume(), cancel: () => head.cancel() });
      }
      if (input) down = input;
    }
    if (this.#userSignal?.aborted) throw this.#userSignal.reason;
    this.#userSignal?.addEventListener('abort', this.#onAbort, { once: true });
    for (const start of starts.reverse()) start();
    this.#kick();
  }

  next(): Promise<IteratorResult<PipelineResult<O>>> {
    if (!this.#started && !this.#finished) {
      try {
        this.#start();
      } catch (error) {
        this.#fail(error);
      }
    }
    const collector = this.#collector;
    const result = collector?.out.shift();
    if (result) {
      if (collector!.relieved()) this.#kick();
      return Promise.resolve({ done: false, value: result as PipelineResult<O> });
    }
    if (this.#failure) {
      const { error } = this.#failure;
      this.#failure = undefined;
      this.#finished = true;
      return Promise.reject(error);
    }
    if (this.#finished || collector?.ended) {
      this.#finish();
      return Promise.resolve({ done: true, value: undefined });
    }
    if (collector?.relieved()) this.#kick();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Stop early (a `break` out of `for await`): every stage stops and the input is closed. */
  return(): Promise<IteratorResult<PipelineResult<O>>> {
    if (!this.#finished) {
      this.#finished = true;
      this.#stop(new Error('the pipeline was closed before it ended'));
    }
    this.#failure = undefined;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #kick(): void {
    for (const part of this.#parts) part.resume();
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    this.next().then(waiter.resolve, waiter.reject);
  }

  #fail(error: unknown): void {
    if (this.#failure || this.#finished) return;
    this.#failure = { error };
    this.#stop(error);
    this.#wake();
  }

  #stop(reason: unknown): void {
    this.#userSignal?.removeEventListener('abort', this.#onAbort);
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    for (const part of this.#parts) part.cancel(reason);
  }

  #finish(): void {
    if (this.#finished && !this.#started) return;
    this.#finished = true;
    this.#userSignal?.removeEventListener('abort', this.#onAbort);
  }
}
