/** The shapes a run exchanges with its caller: settings, sink, progress, trace and summary. */
import type { ItemError } from '../errors.ts';
import type { SharedAlloc } from '../transport/shared-input.ts';
import type { TaskSpec } from '../task.ts';
import type { TraceEntry } from './adaptive.ts';
import type { BreakerOptions } from './breaker.ts';
import type { ChunkRunner } from './chunk-runner.ts';
import type { ChunkPolicy } from './policy.ts';
import type { RetryOptions } from './retry.ts';
import type { Source } from './source.ts';

/** Progress of a run, reported after every chunk. */
export interface Progress {
  /** Items with a final outcome (value or failure). */
  done: number;
  /** Items that failed for good. */
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
  /** Milliseconds since the run started, when the chunk's result (or failure) reached the main thread. */
  t: number;
  /** Items in the chunk. */
  items: number;
  /** In-worker run time, ms. */
  runMs: number;
  /** Dispatch to result, ms. */
  roundTripMs: number;
  /** Worker heap used / limit after the chunk. */
  heapRatio: number;
  /** Small worker number (-1 when the worker died). */
  worker: number;
  outcome: 'ok' | 'oom' | 'crash' | 'clone' | 'timeout';
  // Detail for reports and timelines (optional: recorded by traced runs, computed only when a trace is kept).
  /** Milliseconds since the run started, when the chunk was dispatched. */
  sentMs?: number;
  /**
   * Milliseconds since the run started, when the worker began the chunk (as the worker reports it; estimated as
   * the reply's arrival minus the in-worker time when it does not); never before `sentMs`. The worker was busy with
   * it from `startMs` to `startMs + runMs`. For a chunk that failed as a whole: `sentMs`.
   */
  startMs?: number;
  /** Input index of the chunk's first item. */
  first?: number;
  /** Items of the chunk that failed (the task threw); for a whole-chunk failure see `outcome`. */
  failedItems?: number;
  /** Attempt number of the chunk's items: above 1, a retry. */
  attempt?: number;
  /** Run in isolation mode (a piece of a failed chunk, or a lone suspect item). */
  isolated?: boolean;
  /** A piece of another chunk's rest, handed to an idle worker when that chunk gave way (work stealing). */
  stolen?: boolean;
  /**
   * Items this chunk handed back untouched when it gave way to an idle worker (they went out again as `stolen`
   * pieces). `items` counts only those it ran, so `items + gaveWay` is the size it was sent with.
   */
  gaveWay?: number;
  /** Worker heap used and heap limit after the chunk, MiB. */
  heapUsedMb?: number;
  heapLimitMb?: number;
}

/** A failed item as kept in a trace (the 20 with the lowest item indices only). */
export interface TraceFailure {
  index: number;
  code: string;
  message: string;
  attempts: number;
}

/** A run's trace: every chunk as it finished, and every sizing decision of the policy with its reason. */
export interface RunTrace {
  chunks: ChunkTrace[];
  decisions: TraceEntry[];
  // Optional run-level detail of traced runs (reports and timelines).
  /** Worker threads of the pool. */
  threads?: number;
  /** When the run started (ISO 8601). */
  startedAt?: string;
  /** Run duration, ms. */
  elapsedMs?: number;
  /** The main thread during the run: time its event loop was busy (dispatch, results, sink), ms, and that share. */
  main?: { activeMs: number; utilization: number };
  /** Failed items: count by error code, and the 20 with the lowest indices, in item order, with their messages. */
  failures?: { byCode: Record<string, number>; first: TraceFailure[] };
}

/** Where a run's outcomes go. */
export interface RunSink {
  /** Optional: how many items the run has (`Source.total`, null when not known up front); told once, first. */
  total?(count: number | null): void;
  value(index: number, value: unknown): void;
  /** Optional, faster: a run of successes, `values[from..to)` being the results of input items `start + from...`. */
  values?(start: number, values: ArrayLike<unknown>, from: number, to: number): void;
  failure(error: ItemError): void;
  /** False while the consumer is not keeping up; dispatch pauses until `Run.resume()` is called. */
  ready?(): boolean;
}

/** Settings of one run. */
export interface RunSettings {
  /** Runs the chunks: the runtime's Piscina pool, or another engine's runner. */
  pool: ChunkRunner;
  /**
   * The runner's workers are threads of this process (the runtime's own pool): items and results may travel as
   * shared memory and packed columns, and chunks may give way to hungry workers (work stealing). Default false.
   */
  local?: boolean | undefined;
  threads: number;
  task: TaskSpec;
  source: Source;
  policy: ChunkPolicy;
  sink: RunSink;
  /** Stop at the first item failure and reject with it (parallelMap). */
  stopOnFailure: boolean;
  signal?: AbortSignal | undefined;
  /** Graceful stop: take no more input, finish what was sent, then end normally. */
  stopSignal?: AbortSignal | undefined;
  onProgress?: ((progress: Progress) => void) | undefined;
  /** Keep a per-chunk trace. */
  trace?: boolean | undefined;
  /** How long stopped chunks may keep running before their workers are terminated, ms. */
  abortGraceMs: number;
  /** Per-item run-time deadline, ms. */
  timeout?: number | undefined;
  retry?: RetryOptions | undefined;
  /** The run has a host object (served by the runtime's HostLinks under the run's id). */
  host?: boolean | undefined;
  breaker?: BreakerOptions | undefined;
  /**
   * Numeric input in shared memory may be self-scheduled: workers claim ranges themselves (schedule/claims.ts)
   * when nothing else asks for per-chunk decisions. Set by maps without a fixed chunk size. Default false.
   */
  selfSchedule?: boolean | undefined;
  /**
   * Where the run's shared memory comes from: its numeric output and shared record columns (the runtime's shelf of
   * spare buffers). Default: fresh memory.
   */
  alloc?: SharedAlloc | undefined;
}

/** What a finished run reports. */
export interface RunSummary {
  items: number;
  failed: number;
  chunks: number;
  elapsedMs: number;
  trace?: RunTrace;
}
