/**
 * The public facade: `createRuntime()` and the Runtime it returns (map, mapSettled, stream, plan, close). It
 * validates, wires a source, a policy and a sink to a Run, and owns one Piscina pool. No scheduling logic here.
 */
import type { Piscina } from 'piscina';
import { InvalidOptionError, RuntimeClosedError, type ItemError } from './errors.ts';
import {
  resolveMapOptions,
  resolveRuntimeOptions,
  resolveSpawnOptions,
  resolveStreamOptions,
  type MapOptions,
  type ResolvedMapOptions,
  type RuntimeOptions,
  type StreamOptions,
} from './options.ts';
import { planPool } from './plan/plan.ts';
import { probeMachine } from './plan/probe.ts';
import type { PoolPlan } from './plan/types.ts';
import { createPool } from './pool.ts';
import { createDefaultPolicy } from './schedule/default-policy.ts';
import type { OpenedRunner, RunEngine } from './schedule/chunk-runner.ts';
import { Run, type RunSink } from './schedule/dispatcher.ts';
import { FixedPolicy } from './schedule/fixed.ts';
import { toSource } from './schedule/source.ts';
import { HostLinks } from './rpc/host-server.ts';
import { spawnDedicated, type Dedicated, type SpawnOptions } from './rpc/dedicated.ts';
import { checkTaskFile, defineTask, toTask, type TaskLike } from './task.ts';

/** Items accepted by every map: an array, a typed array, or any sync or async iterable. */
export type Items<I> = Iterable<I> | AsyncIterable<I> | ArrayLike<I>;

/** The outcome of one item in `mapSettled`. */
export type Settled<O> = { status: 'fulfilled'; value: O } | { status: 'rejected'; reason: ItemError };

/** One item's outcome as yielded by `stream`, with its input index. */
export type StreamResult<O> =
  | { index: number; status: 'fulfilled'; value: O }
  | { index: number; status: 'rejected'; reason: ItemError };

/** @internal The key under which a runtime exposes its pool to `src/testing.ts`. */
export const poolSymbol = Symbol('batchtools.pool');

/** A batchtools runtime: one worker pool, sized by the pool plan, and the maps that run on it. */
export class Runtime implements AsyncDisposable {
  readonly #plan: PoolPlan;
  #pool: Piscina | undefined;
  #hosts: HostLinks | undefined;
  #closed = false;
  readonly #runs = new Set<Run>();
  readonly #dedicated = new Set<Dedicated<unknown>>();
  readonly #engine: RunEngine | undefined;

  /**
   * @internal Use {@link createRuntime}. `engine`: chunks run on it instead of this runtime's own pool (the
   * `batchtools/cluster` product passes one; the core never imports it).
   */
  constructor(plan: PoolPlan, engine?: RunEngine) {
    this.#plan = plan;
    this.#engine = engine;
  }

  /** @internal */
  [poolSymbol](): Piscina | undefined {
    return this.#pool;
  }

  /** The pool plan: thread count, heap limit per worker, and the reasons for both. */
  get plan(): PoolPlan {
    return this.#plan;
  }

  /** Map `task` over `items` in parallel. Resolves with the results in input order; rejects on the first failure. */
  async map<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Awaited<O>[]> {
    const results = new ResultRuns();
    await this.#run(items, task, resolveMapOptions(options), true, results);
    return results.toArray() as Awaited<O>[];
  }

  /** Map `task` over `items`; never rejects for item failures. Each entry says fulfilled or rejected, in input order. */
  async mapSettled<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Settled<Awaited<O>>[]> {
    const results: Settled<Awaited<O>>[] = [];
    await this.#run(items, task, resolveMapOptions(options), false, {
      value: (i, v) => {
        results[i] = { status: 'fulfilled', value: v as Awaited<O> };
      },
      failure: (reason) => {
        results[reason.index] = { status: 'rejected', reason };
      },
    });
    return results;
  }

  /**
   * Map `task` over `items`, yielding each outcome as `{ index, status, value | reason }`: in input order by default,
   * or as completed with `{ ordered: false }`. The source is read only as fast as the consumer takes results.
   * Breaking out of the loop stops the run.
   */
  async *stream<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: StreamOptions): AsyncGenerator<StreamResult<Awaited<O>>, void, undefined> {
    const opts = resolveStreamOptions(options);
    const buffer = new OutcomeBuffer<Awaited<O>>(opts.ordered);
    let wake: (() => void) | undefined;
    const signal = (): void => {
      wake?.();
      wake = undefined;
    };
    let ended = false;
    let failure: { error: unknown } | undefined;
    const run = this.#start(items, task, opts, false, {
      value: (index, value) => {
        buffer.push({ index, status: 'fulfilled', value: value as Awaited<O> });
        signal();
      },
      failure: (reason) => {
        buffer.push({ index: reason.index, status: 'rejected', reason });
        signal();
      },
      ready: () => buffer.size < opts.highWaterMark,
    });
    run.done.then(
      (summary) => {
        try {
          if (opts.onTrace && summary.trace) opts.onTrace(summary.trace);
          ended = true;
        } catch (error) {
          failure = { error };
        }
        signal();
      },
      (error: unknown) => {
        failure = { error };
        signal();
      },
    );
    try {
      for (;;) {
        const next = buffer.shift();
        if (next) {
          if (buffer.size < opts.highWaterMark) run.resume();
          yield next;
          continue;
        }
        if (failure) throw failure.error;
        if (ended) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      if (!ended && !failure) run.cancel(new Error('the stream was closed before it ended'));
    }
  }

  /**
   * Start a dedicated worker for a module of your own and call its exports like an object: every function export
   * becomes promise-returning. The worker keeps its state between calls; it is not part of the pool. If it
   * crashes, exits or is closed, pending and later calls reject with a `WorkerError` (they never hang).
   *
   * @example
   * await using model = await rt.spawn<typeof import('./model.js')>(new URL('./model.js', import.meta.url));
   * await model.load('en');
   * const label = await model.classify('hello');
   */
  async spawn<T>(module: URL | string, options?: SpawnOptions): Promise<Dedicated<T>> {
    if (this.#closed) throw new RuntimeClosedError();
    if (this.#engine) throw new InvalidOptionError('spawn', 'rt.spawn() runs a local worker; a cluster runtime has none (use createRuntime() from batchtools)');
    const opts = resolveSpawnOptions(options);
    const { spec } = defineTask(module);
    checkTaskFile(spec);
    const url = spec.kind === 'module' ? spec.url : '';
    let handle: Dedicated<T> | undefined;
    handle = await spawnDedicated<T>(url, {
      timeout: opts.timeout,
      maxHeapMb: opts.maxHeapMb ?? this.#plan.maxHeapMb,
      onExit: () => {
        if (handle) this.#dedicated.delete(handle as Dedicated<unknown>);
      },
    });
    if (this.#closed) {
      await handle.close();
      throw new RuntimeClosedError();
    }
    this.#dedicated.add(handle);
    return handle;
  }

  /** Stop every run, terminate the workers (pool and dedicated). Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#dedicated].map((d) => d.close()));
    this.#dedicated.clear();
    for (const run of this.#runs) run.cancel(new RuntimeClosedError('the runtime was closed while this run was going on'));
    this.#hosts?.close();
    this.#hosts = undefined;
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool) await pool.destroy();
    await this.#engine?.close();
  }

  /** Same as {@link close}, for `await using rt = createRuntime()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(items: unknown, task: unknown, opts: ResolvedMapOptions, stopOnFailure: boolean, sink: RunSink): Promise<void> {
    const summary = await this.#start(items, task, opts, stopOnFailure, sink).done;
    if (opts.onTrace && summary.trace) opts.onTrace(summary.trace);
  }

  #start(
    items: unknown,
    task: unknown,
    opts: ResolvedMapOptions & { stopSignal?: AbortSignal | undefined },
    stopOnFailure: boolean,
    sink: RunSink,
  ): Run {
    if (this.#closed) throw new RuntimeClosedError();
    const handle = toTask(task);
    checkTaskFile(handle.spec);
    const source = toSource(items);
    const engine = this.#engine;
    let opened: OpenedRunner | undefined;
    let cancelRun: (reason: unknown) => void = () => {};
    if (engine) {
      opened = engine.open({
        task: handle.spec,
        timeout: opts.timeout,
        host: opts.host !== undefined,
        cancel: (reason) => cancelRun(reason),
      });
    } else this.#pool ??= createPool(this.#plan);
    const threads = engine ? engine.threads() : this.#plan.threads;
    const defaultPolicy = engine?.policy ? () => engine.policy!() : createDefaultPolicy;
    const run = new Run({
      pool: opened ? opened.runner : this.#pool!,
      threads,
      task: handle.spec,
      source,
      policy: opts.chunkSize === undefined ? defaultPolicy() : new FixedPolicy(opts.chunkSize),
      sink,
      stopOnFailure,
      signal: opts.signal,
      stopSignal: opts.stopSignal,
      onProgress: opts.onProgress,
      trace: opts.trace,
      abortGraceMs: opts.abortGraceMs,
      timeout: opts.timeout,
      retry: opts.retry,
      breaker: opts.breaker,
      host: opts.host !== undefined,
    });
    this.#runs.add(run);
    cancelRun = (reason) => run.cancel(reason);
    if (opts.host !== undefined && this.#pool) {
      this.#hosts ??= new HostLinks(this.#pool);
      this.#hosts.register(run.id, opts.host);
    }
    const forget = (error?: unknown): void => {
      this.#runs.delete(run);
      if (opts.host !== undefined) this.#hosts?.unregister(run.id);
      opened?.end(error);
    };
    run.done.then(() => forget(), (error: unknown) => forget(error ?? new Error('the run was stopped')));
    return run;
  }
}

/**
 * Collects a map's results as chunks return: runs that continue the results so far are appended at once (while
 * the workers go on computing), runs that arrive early wait in a map until the gap before them is filled. The
 * array grows by appending only, so it stays a fast packed array (a preallocated `new Array(n)` of a million
 * elements would be a slow dictionary).
 */
class ResultRuns implements RunSink {
  readonly #out: unknown[] = [];
  readonly #early = new Map<number, { values: ArrayLike<unknown>; from: number; to: number }>();
  values(start: number, values: ArrayLike<unknown>, from: number, to: number): void {
    const at = start + from;
    if (at !== this.#out.length) {
      this.#early.set(at, { values, from, to });
      return;
    }
    this.#append(values, from, to);
    for (let run = this.#early.get(this.#out.length); run; run = this.#early.get(this.#out.length)) {
      this.#early.delete(this.#out.length);
      this.#append(run.values, run.from, run.to);
    }
  }
  value(index: number, value: unknown): void {
    this.values(index, [value], 0, 1);
  }
  failure(): void {}
  /** The results in input order (a map that completed has no gap). */
  toArray(): unknown[] {
    return this.#out;
  }
  #append(values: ArrayLike<unknown>, from: number, to: number): void {
    const out = this.#out;
    for (let k = from; k < to; k++) out.push(values[k]);
  }
}

/** Holds outcomes for a stream consumer: in input order (releasing only the contiguous head) or as they come. */
class OutcomeBuffer<O> {
  readonly #ordered: boolean;
  readonly #queue: StreamResult<O>[] = [];
  readonly #waiting = new Map<number, StreamResult<O>>();
  #head = 0;
  #next = 0;
  constructor(ordered: boolean) {
    this.#ordered = ordered;
  }
  get size(): number {
    return this.#queue.length - this.#head + this.#waiting.size;
  }
  push(result: StreamResult<O>): void {
    if (!this.#ordered) {
      this.#queue.push(result);
      return;
    }
    this.#waiting.set(result.index, result);
    for (let r = this.#waiting.get(this.#next); r; r = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      this.#queue.push(r);
      this.#next++;
    }
  }
  shift(): StreamResult<O> | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const r = this.#queue[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return r;
  }
}

/**
 * Create a runtime that owns one worker pool. The pool starts on the first map, sized by the pool plan (see
 * `batchtools info`), unless `threads` / `maxHeapMb` override it.
 *
 * @throws {InvalidOptionError} for a bad option.
 */
export function createRuntime(options?: RuntimeOptions): Runtime {
  const resolved = resolveRuntimeOptions(options);
  return new Runtime(planPool(probeMachine(), resolved));
}

let defaultRuntime: Runtime | undefined;

/** The lazily created runtime behind the top-level `parallelMap` / `mapSettled`. Idle, it keeps no process alive. */
export function getDefaultRuntime(): Runtime {
  defaultRuntime ??= createRuntime();
  return defaultRuntime;
}

/** Map `task` over `items` on the default runtime. Results in input order; rejects on the first failure. */
export async function parallelMap<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Awaited<O>[]> {
  return getDefaultRuntime().map(items, task, options);
}

/** Map `task` over `items` on the default runtime; every item ends fulfilled or rejected, in input order. */
export async function mapSettled<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Settled<Awaited<O>>[]> {
  return getDefaultRuntime().mapSettled(items, task, options);
}
