/**
 * Option validation at the boundary, in the one grammar of base/validate.ts ("`options.<name>` must be
 * <constraint>, got <value> (<typeof>)"); each message is pinned by a test.
 */
import type { InvalidOptionError } from './base/errors.ts';
import {
  checkBoolean,
  checkFunction,
  checkNumber,
  checkOptions,
  checkSignal,
  invalidType,
  type NumberRule,
  Rules,
} from './base/validate.ts';
import type { BreakerOptions } from './schedule/breaker.ts';
import type { Progress, RunTrace } from './schedule/dispatcher.ts';
import type { RetryOptions } from './schedule/retry.ts';

/** Options of one parallel map (`parallelMap`, `mapSettled`, `rt.map`, `rt.mapSettled`). */
export interface MapOptions {
  /** Cancels the run: dispatch stops and the call rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called after every chunk with items done, failures, total (when known) and items/s. Default: none. */
  onProgress?: ((progress: Progress) => void) | undefined;
  /**
   * Fixed number of items per chunk. Default: adaptive (chosen from measured per-item cost and dispatch
   * overhead, shrinking toward the end of the input). Either way, a running chunk gives its untouched rest to a
   * worker that would otherwise sit idle (work stealing). Set it only to reproduce a measurement.
   */
  chunkSize?: number | undefined;
  /** Keep a per-chunk trace (time, size, run time, heap ratio, worker) and pass it to `onTrace`. Default `false`. */
  trace?: boolean | undefined;
  /** Receives the trace (chunks and sizing decisions) at the end of the run. Setting it implies `trace`. Default: none. */
  onTrace?: ((trace: RunTrace) => void) | undefined;
  /**
   * After an abort (or a first failure in `parallelMap`), how long chunks still running may take to notice
   * before their workers are terminated, in ms. Default `1000`.
   */
  abortGraceMs?: number | undefined;
  /**
   * Per-item deadline on run time (not time waiting in the queue), ms. An item past it fails with `BT_TIMEOUT`
   * and its worker is terminated (also for a synchronous infinite loop); the other items go on. Default: none.
   */
  timeout?: number | undefined;
  /**
   * Retries of failed items: a count (`retries: 3`) or the details (attempts, backoff, jitter, which failures).
   * By default crashes and timeouts are retried, errors the task throws are not unless they carry
   * `retryable: true`. Each outcome records its `attempts`. Default `0`.
   */
  retries?: number | RetryOptions | undefined;
  /**
   * Circuit breaker: when the failure rate over recent items passes a threshold, stop dispatching and end the run
   * with `BT_CIRCUIT_OPEN` quoting the failures (or, with `halfOpenAfterMs`, pause and probe). `true` uses the
   * defaults (50% of the last 100 items, at least 20). Default: off.
   */
  breaker?: boolean | BreakerOptions | undefined;
  /**
   * Functions on the main thread that tasks may call while they run: inside the task, `ctx.host` is a typed
   * comlink `Remote` of this object (every method returns a promise). For progress, a shared cache, a rate-limit
   * token, logging. A host function that throws rejects the task's call with its error. Default: none.
   */
  host?: object | undefined;
}

/** Options of `rt.stream`. */
export interface StreamOptions extends MapOptions {
  /** Yield results in input order (`true`) or as they complete (`false`). Default `true`. */
  ordered?: boolean | undefined;
  /**
   * A graceful stop: when it fires, nothing more is asked of the source, and every item it already handed out
   * gets its outcome: the chunks already sent finish (their outcomes are yielded), and so does an item the source
   * returns for a read it had been asked for before the stop, while the stream is still running. Then the stream
   * ends and the source's `return()` is called (abandoning a read still unanswered by then). (`signal` is the
   * hard stop; breaking out of the loop stops the run like `signal`, and outcomes not yet yielded are dropped.)
   * Default: none.
   */
  stopSignal?: AbortSignal | undefined;
  /**
   * Results buffered for the consumer before dispatch pauses (backpressure). Default `4096`. In-flight chunks
   * still land, so the buffer can briefly exceed it by what was in flight.
   */
  highWaterMark?: number | undefined;
}

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /**
   * Worker threads. Default: the pool plan's choice, the CPUs this process may use (cgroup quota included),
   * fewer when the memory budget cannot hold that many workers.
   */
  threads?: number | undefined;
  /** Per-worker V8 heap limit in MiB (`resourceLimits.maxOldGenerationSizeMb`). Default: from the pool plan. */
  maxHeapMb?: number | undefined;
}

const MAP_KEYS = ['signal', 'onProgress', 'chunkSize', 'trace', 'onTrace', 'abortGraceMs', 'timeout', 'retries', 'breaker', 'host'] as const;
const RETRY_KEYS = ['retries', 'minDelayMs', 'maxDelayMs', 'factor', 'jitter', 'retryable'] as const;
const BREAKER_KEYS = ['threshold', 'window', 'minSamples', 'halfOpenAfterMs'] as const;
const STREAM_KEYS = [...MAP_KEYS, 'ordered', 'highWaterMark', 'stopSignal'] as const;
const RUNTIME_KEYS = ['threads', 'maxHeapMb'] as const;
/** Options that belong to another call: named in the hint when a user passes them (or an alias) to this one. */
const AT_RUNTIME = { threads: 'createRuntime()', maxHeapMb: 'createRuntime()' } as const;

/** The message grammar: "`options.x` must be ..., got v (type)" (a TypeError; see base/validate.ts). */
export function invalid(name: string, constraint: string, value: unknown): InvalidOptionError {
  return invalidType(`options.${name}`, constraint, value);
}

const num = (name: string, value: unknown, rule: NumberRule): number | undefined => checkNumber(`options.${name}`, value, rule);
const fn = (name: string, value: unknown): void => void checkFunction(`options.${name}`, value);
const bool = (name: string, value: unknown): void => void checkBoolean(`options.${name}`, value);

export function positiveInteger(name: string, value: unknown): number | undefined {
  return num(name, value, Rules.positiveInteger);
}

/** Validated map options with defaults applied. */
export interface ResolvedMapOptions {
  signal: AbortSignal | undefined;
  onProgress: ((progress: Progress) => void) | undefined;
  chunkSize: number | undefined;
  trace: boolean;
  onTrace: ((trace: RunTrace) => void) | undefined;
  abortGraceMs: number;
  timeout: number | undefined;
  retry: RetryOptions | undefined;
  breaker: BreakerOptions | undefined;
  host: object | undefined;
}

/** Set `out[key]` only when `value` is defined (exactOptionalPropertyTypes: no `key: undefined`). */
function assign<T extends object, K extends keyof T>(out: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}

function resolveRetry(value: unknown): RetryOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { retries: num('retries', value, Rules.nonNegativeInteger)! };
  if (value === null || typeof value !== 'object') throw invalid('retries', 'an integer >= 0 or an object', value);
  const o = checkOptions(value, RETRY_KEYS, 'options.retries');
  // Checked in the order of the fields, so the first bad one is named.
  const retries = num('retries.retries', o['retries'], Rules.nonNegativeInteger);
  const minDelayMs = num('retries.minDelayMs', o['minDelayMs'], Rules.nonNegativeFinite);
  const maxDelayMs = num('retries.maxDelayMs', o['maxDelayMs'], Rules.nonNegativeFinite);
  const factor = num('retries.factor', o['factor'], Rules.atLeastOne);
  bool('retries.jitter', o['jitter']);
  fn('retries.retryable', o['retryable']);
  const out: RetryOptions = {};
  assign(out, 'retries', retries);
  assign(out, 'minDelayMs', minDelayMs);
  assign(out, 'maxDelayMs', maxDelayMs);
  assign(out, 'factor', factor);
  assign(out, 'jitter', o['jitter'] as boolean | undefined);
  assign(out, 'retryable', o['retryable'] as RetryOptions['retryable']);
  return out;
}

function resolveBreaker(value: unknown): BreakerOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') throw invalid('breaker', 'a boolean or an object', value);
  const o = checkOptions(value, BREAKER_KEYS, 'options.breaker');
  const threshold = num('breaker.threshold', o['threshold'], Rules.unitInterval);
  const out: BreakerOptions = {};
  assign(out, 'threshold', threshold);
  assign(out, 'window', positiveInteger('breaker.window', o['window']));
  assign(out, 'minSamples', positiveInteger('breaker.minSamples', o['minSamples']));
  assign(out, 'halfOpenAfterMs', num('breaker.halfOpenAfterMs', o['halfOpenAfterMs'], Rules.nonNegativeFinite));
  return out;
}

function resolveHost(value: unknown): object | undefined {
  if (value === undefined) return undefined;
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    throw invalid('host', 'an object of functions', value);
  }
  return value;
}

function resolveCommon(o: Record<string, unknown>): ResolvedMapOptions {
  const signal = checkSignal('options.signal', o['signal']);
  fn('onProgress', o['onProgress']);
  fn('onTrace', o['onTrace']);
  bool('trace', o['trace']);
  return {
    signal,
    onProgress: o['onProgress'] as ResolvedMapOptions['onProgress'],
    chunkSize: positiveInteger('chunkSize', o['chunkSize']),
    trace: o['trace'] === true || o['onTrace'] !== undefined,
    onTrace: o['onTrace'] as ResolvedMapOptions['onTrace'],
    abortGraceMs: num('abortGraceMs', o['abortGraceMs'], Rules.nonNegativeFinite) ?? 1000,
    timeout: num('timeout', o['timeout'], Rules.positiveFinite),
    retry: resolveRetry(o['retries']),
    breaker: resolveBreaker(o['breaker']),
    host: resolveHost(o['host']),
  };
}

/** Validate map options. Throws {@link InvalidOptionError}. */
export function resolveMapOptions(options: unknown): ResolvedMapOptions {
  return resolveCommon(checkOptions(options, MAP_KEYS, 'options', AT_RUNTIME));
}

/** Validate stream options. Throws {@link InvalidOptionError}. */
export function resolveStreamOptions(
  options: unknown,
): ResolvedMapOptions & { ordered: boolean; highWaterMark: number; stopSignal: AbortSignal | undefined } {
  const o = checkOptions(options, STREAM_KEYS, 'options', AT_RUNTIME);
  bool('ordered', o['ordered']);
  const stopSignal = checkSignal('options.stopSignal', o['stopSignal']);
  return {
    ...resolveCommon(o),
    ordered: o['ordered'] !== false,
    highWaterMark: positiveInteger('highWaterMark', o['highWaterMark']) ?? 4096,
    stopSignal,
  };
}

const SPAWN_KEYS = ['timeout', 'maxHeapMb'] as const;

/** Validate `rt.spawn()` options. Throws {@link InvalidOptionError}. */
export function resolveSpawnOptions(options: unknown): { timeout: number | undefined; maxHeapMb: number | undefined } {
  const o = checkOptions(options, SPAWN_KEYS);
  return { timeout: num('timeout', o['timeout'], Rules.positiveFinite), maxHeapMb: positiveInteger('maxHeapMb', o['maxHeapMb']) };
}

/** Validate runtime options (the thread and heap figures are range-checked by the planner). */
export function resolveRuntimeOptions(options: unknown): RuntimeOptions {
  const o = checkOptions(options, RUNTIME_KEYS);
  const out: RuntimeOptions = {};
  assign(out, 'threads', positiveInteger('threads', o['threads']));
  assign(out, 'maxHeapMb', positiveInteger('maxHeapMb', o['maxHeapMb']));
  return out;
}
