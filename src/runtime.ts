/**
 * The public facade: `createRuntime()` and the Runtime it returns (map, mapSettled, stream, spawn, plan, close).
 * It validates, wires a source, a policy and a sink (schedule/sinks.ts) to a Run, and owns one Piscina pool.
 */
import type { Piscina } from 'piscina';
import { InvalidOptionError, RuntimeClosedError } from './errors.ts';
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
import type { PoolLimits, PoolPlan } from './plan/types.ts';
import { createPool } from './pool.ts';
import { createAdaptivePolicy } from './schedule/adaptive.ts';
import { CostMemory } from './schedule/cost-memory.ts';
import type { OpenedRunner, RunEngine } from './schedule/chunk-runner.ts';
import { Run, type RunSink } from './schedule/dispatcher.ts';
import { FixedPolicy } from './schedule/fixed.ts';
import type { ChunkPolicy } from './schedule/policy.ts';
import { OutcomeBuffer, ResultRuns, SettledRuns, type Settled, type StreamResult } from './schedule/sinks.ts';
import { toSource } from './schedule/source.ts';
import { BufferLease, BufferShelf } from './transport/buffer-shelf.ts';
import { HostLinks } from './rpc/host-server.ts';
import type { Dedicated, SpawnOptions } from './rpc/dedicated.ts';
import { checkTaskFile, moduleSpec, toTask, type TaskLike } from './task.ts';
import { PipelineStream, type PipelineOptions } from './pipeline/pipeline.ts';
import type { PipelineResult } from './pipeline/collector.ts';
import { startRun, type RunHandle } from './pipeline/seam.ts';
import type { PipelineStage } from './pipeline/stages.ts';
import type { GraphNode, GraphOptions, GraphOutcome } from './graph/graph.ts';

/** Items accepted by every map: an array, a typed array, or any sync or async iterable. */
export type Items<I> = Iterable<I> | AsyncIterable<I> | ArrayLike<I>;

export type { Settled, StreamResult } from './schedule/sinks.ts';

/** @internal The key under which a runtime exposes its pool to `src/testing.ts`. */
export const poolSymbol = Symbol('batchtools.pool');
/** @internal The key under which a runtime tells `src/testing.ts` how many bytes its shelf of spare buffers holds. */
export const shelfSymbol = Symbol('batchtools.shelf');

/** A batchtools runtime: one worker pool, sized by the pool plan, and the maps that run on it. */
export class Runtime implements AsyncDisposable {
  readonly #plan: PoolPlan;
  #pool: Piscina | undefined;
  #hosts: HostLinks | undefined;
  #closed = false;
  readonly #runs = new Set<Run>();
  /** Per-item costs of the tasks this runtime ran (a later map of one starts from it). */
  readonly #costs = new CostMemory();
  readonly #dedicated = new Set<Dedicated<unknown>>();
  /** Aborted by close(): stops dedicated workers still loading. */
  readonly #closing = new AbortController();
  readonly #engine: RunEngine | undefined;
  readonly #limits: PoolLimits | undefined;
  /** Shared buffers of completed maps, lent to the next ones (see transport/buffer-shelf.ts). */
  readonly #shelf = new BufferShelf();

  /**
   * @internal Use {@link createRuntime}. `engine`: chunks run on it instead of this runtime's own pool (the
   * `batchtools/cluster` product passes one; the core never imports it). `pool`: the Piscina pool of `plan` and
   * `limits`, already started (the CLI starts it while its modules load, src/cli/early-start.ts); this runtime owns
   * it. Typed `unknown` so the public declarations do not reach piscina's.
   */
  constructor(plan: PoolPlan, engine?: RunEngine, limits?: PoolLimits, pool?: unknown) {
    this.#plan = plan;
    this.#engine = engine;
    this.#limits = limits;
    this.#pool = pool as Piscina | undefined;
  }

  /** @internal Typed `unknown` so the public declarations do not reach piscina's; src/testing.ts narrows it. */
  [poolSymbol](): unknown {
    return this.#pool;
  }

  /** @internal Bytes on the shelf of spare shared buffers (src/testing.ts). */
  [shelfSymbol](): number {
    return this.#shelf.bytes;
  }

  /** The pool plan: thread count, heap limit per worker, and the reasons for both. */
  get plan(): PoolPlan {
    return this.#plan;
  }

  /** Map `task` over `items` in parallel. Resolves with the results in input order; rejects on the first failure. */
  async map<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Awaited<O>[]> {
    return (await this.#collect(items, task, options, true, new ResultRuns())) as Awaited<O>[];
  }

  /** Map `task` over `items`; never rejects for item failures. Each entry says fulfilled or rejected, in input order. */
  async mapSettled<I, O>(items: Items<I>, task: TaskLike<I, O>, options?: MapOptions): Promise<Settled<Awaited<O>>[]> {
    return this.#collect(items, task, options, false, new SettledRuns<Awaited<O>>());
  }

  /**
   * Run a map into a sink that collects every outcome, and return them. A local map without a per-item timeout
   * takes its shared memory from this runtime's shelf of spares (buffer-shelf.ts) and gives it back once its
   * results are copied out; with a timeout it takes fresh memory and keeps it, since a worker being terminated
   * may still write a result after the map is over.
   */
  async #collect<T>(items: unknown, task: unknown, options: MapOptions | undefined, stopOnFailure: boolean, sink: RunSink & { toArray(): T }): Promise<T> {
    const opts = resolveMapOptions(options);
    const lease = this.#engine || opts.timeout !== undefined ? undefined : new BufferLease(this.#shelf);
    const summary = await this.#start(items, task, opts, stopOnFailure, sink, undefined, lease).done;
    if (opts.onTrace && summary.trace) opts.onTrace(summary.trace);
    const out = sink.toArray();
    if (!this.#closed) lease?.giveBack();
    return out;
  }

  /**
   * Map `task` over `items`, yielding each outcome as `{ index, status, value | reason }`: in input order by default,
   * or as completed with `{ ordered: false }`. The source is read only as fast as the consumer takes results.
   * Breaking out of the loop stops the run: items read from the source whose outcome was not yielded yet are
   * dropped (use `stopSignal` for a stop that yields an outcome for every item read).
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
   * Stream `items` through `stages`, yielding each outcome `{ index, status, value | reason }` (in input order by
   * default; `{ ordered: false }` as completed). Consecutive worker stages (tasks, `{ filter }`, `{ flatMap }`) run
   * fused, one worker call per item of a chunk; `{ io, concurrency }` stages run on the main thread. Stages run at
   * the same time with bounded buffers between them. A failure names its stage (`reason.stage`, `reason.stageName`).
   * Breaking out of the loop stops every stage.
   *
   * @example
   * for await (const r of rt.pipeline(paths, [{ io: read, concurrency: 16 }, parse, { filter: keep }, { io: write }])) …
   */
  pipeline<O = unknown>(items: Items<unknown>, stages: readonly PipelineStage[], options?: PipelineOptions): PipelineStream<O> {
    return new PipelineStream<O>(this, items, stages, options);
  }

  /**
   * Run a graph of tasks: `nodes` maps an id to `{ task, after?, input? }` or a fan-out `{ map, items, after? }`.
   * A node starts as soon as its own dependencies are fulfilled; its task gets `{ ...input, [depId]: result }`.
   * Resolves to id → fulfilled / rejected / skipped (`because` names the dependency that did not succeed). A cycle,
   * an unknown dependency or a node without a task is refused before any work.
   */
  async graph(nodes: Record<string, GraphNode>, options?: GraphOptions): Promise<Record<string, GraphOutcome>> {
    if (this.#closed) throw new RuntimeClosedError();
    // Loaded on first use (as rt.spawn's worker code): a process that never calls it does not load it.
    const { runGraph } = await import('./graph/graph.ts');
    return runGraph(this, nodes, options);
  }

  /** @internal Start a run with a sink of the caller's (the pipeline and graph engines). */
  [startRun](items: unknown, task: unknown, options: object, sink: RunSink, policy?: ChunkPolicy): RunHandle {
    return this.#start(items, task, resolveStreamOptions(options), false, sink, policy);
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
    const spec = moduleSpec(module);
    checkTaskFile(spec);
    let handle: Dedicated<T> | undefined;
    const { spawnDedicated } = await import('./rpc/dedicated.ts');
    handle = await spawnDedicated<T>(spec.url, {
      timeout: opts.timeout,
      maxHeapMb: opts.maxHeapMb ?? this.#plan.maxHeapMb,
      onExit: () => {
        if (handle) this.#dedicated.delete(handle as Dedicated<unknown>);
      },
      signal: this.#closing.signal,
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
    this.#closing.abort();
    await Promise.all([...this.#dedicated].map((d) => d.close()));
    this.#dedicated.clear();
    for (const run of this.#runs) run.cancel(new RuntimeClosedError('the runtime was closed while this run was going on'));
    this.#hosts?.close();
    this.#hosts = undefined;
    const pool = this.#pool;
    this.#pool = undefined;
    this.#shelf.clear();
    if (pool) await pool.destroy();
    await this.#engine?.close();
  }

  /** Same as {@link close}, for `await using rt = createRuntime()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #start(
    items: unknown,
    task: unknown,
    opts: ResolvedMapOptions & { stopSignal?: AbortSignal | undefined },
    stopOnFailure: boolean,
    sink: RunSink,
    policy?: ChunkPolicy,
    lease?: BufferLease,
  ): Run {
    if (this.#closed) throw new RuntimeClosedError();
    const handle = toTask(task);
    checkTaskFile(handle.spec);
    const engine = this.#engine;
    // Local workers share this process's memory: numeric input is placed there once (a snapshot).
    const source = toSource(items, { shareNumbers: !engine, alloc: lease?.take });
    let opened: OpenedRunner | undefined;
    let cancelRun: (reason: unknown) => void = () => {};
    if (engine) {
      opened = engine.open({
        task: handle.spec,
        timeout: opts.timeout,
        host: opts.host !== undefined,
        cancel: (reason) => cancelRun(reason),
      });
    } else this.#pool ??= createPool(this.#plan, this.#limits);
    const threads = engine ? engine.threads() : this.#plan.threads;
    // A local map of a task this runtime ran before starts from the cost it measured then.
    const learning = opts.chunkSize === undefined && !engine && policy === undefined ? this.#costs.policyFor(handle.spec) : undefined;
    const run = new Run({
      pool: opened ? opened.runner : this.#pool!,
      local: !engine,
      threads,
      task: handle.spec,
      source,
      policy:
        opts.chunkSize !== undefined
          ? new FixedPolicy(opts.chunkSize)
          : engine?.policy
            ? engine.policy(handle.spec)
            : (learning ?? policy ?? createAdaptivePolicy()),
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
      selfSchedule: opts.chunkSize === undefined,
      alloc: lease?.take,
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
    run.done.then(
      () => {
        if (learning) this.#costs.learn(handle.spec, learning);
        forget();
      },
      (error: unknown) => forget(error ?? new Error('the run was stopped')),
    );
    return run;
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

/**
 * @internal A runtime whose workers get `limits` beyond the plan (not exported from the package: the CLI's line
 * workers, whose objects die with their item, run best with a small young generation).
 */
export function createRuntimeWithLimits(options: RuntimeOptions | undefined, limits: PoolLimits): Runtime {
  const resolved = resolveRuntimeOptions(options);
  return new Runtime(planPool(probeMachine(), resolved), undefined, limits);
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

/** {@link Runtime.pipeline} on the default runtime. */
export function pipeline<O = unknown>(items: Items<unknown>, stages: readonly PipelineStage[], options?: PipelineOptions): PipelineStream<O> {
  return getDefaultRuntime().pipeline<O>(items, stages, options);
}

/** {@link Runtime.graph} on the default runtime. */
export async function graph(nodes: Record<string, GraphNode>, options?: GraphOptions): Promise<Record<string, GraphOutcome>> {
  return getDefaultRuntime().graph(nodes, options);
}

export type { PipelineResult };
