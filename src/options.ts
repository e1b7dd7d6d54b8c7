/**
 * Option validation at the boundary. Messages follow one grammar, "`options.<name>` must be <constraint>, got
 * <value> (<typeof>)", and each is pinned by a test.
 */
import { InvalidOptionError } from './errors.ts';
import type { Progress, RunTrace } from './schedule/dispatcher.ts';
import { formatValue } from './task.ts';

/** Options of one parallel map (`parallelMap`, `mapSettled`, `rt.map`, `rt.mapSettled`). */
export interface MapOptions {
  /** Cancels the run: dispatch stops and the call rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal;
  /** Called after every chunk with items done, failures, total (when known) and items/s. Default: none. */
  onProgress?: (progress: Progress) => void;
  /**
   * Fixed number of items per chunk. Default: adaptive (chosen from measured per-item cost and dispatch
   * overhead, shrinking toward the end of the input). Set it only to reproduce a measurement.
   */
  chunkSize?: number;
  /** Keep a per-chunk trace (time, size, run time, heap ratio, worker) and pass it to `onTrace`. Default `false`. */
  trace?: boolean;
  /** Receives the trace (chunks and sizing decisions) at the end of the run. Setting it implies `trace`. Default: none. */
  onTrace?: (trace: RunTrace) => void;
  /**
   * After an abort (or a first failure in `parallelMap`), how long chunks still running may take to notice
   * before their workers are terminated, in ms. Default `1000`.
   */
  abortGraceMs?: number;
}

/** Options of `rt.stream`. */
export interface StreamOptions extends MapOptions {
  /** Yield results in input order (`true`) or as they complete (`false`). Default `true`. */
  ordered?: boolean;
  /**
   * Results buffered for the consumer before dispatch pauses (backpressure). Default `4096`. In-flight chunks
   * still land, so the buffer can briefly exceed it by what was in flight.
   */
  highWaterMark?: number;
}

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /**
   * Worker threads. Default: the pool plan's choice, the CPUs this process may use (cgroup quota included),
   * fewer when the memory budget cannot hold that many workers.
   */
  threads?: number;
  /** Per-worker V8 heap limit in MiB (`resourceLimits.maxOldGenerationSizeMb`). Default: from the pool plan. */
  maxHeapMb?: number;
}

const MAP_KEYS = ['signal', 'onProgress', 'chunkSize', 'trace', 'onTrace', 'abortGraceMs'] as const;
const STREAM_KEYS = [...MAP_KEYS, 'ordered', 'highWaterMark'] as const;
const RUNTIME_KEYS = ['threads', 'maxHeapMb'] as const;

/** The message grammar: "`options.x` must be ..., got v (type)". */
export function invalid(name: string, constraint: string, value: unknown): InvalidOptionError {
  return new InvalidOptionError(`options.${name}`, `\`options.${name}\` must be ${constraint}, got ${formatValue(value)}`);
}

function checkObject(options: unknown, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('options', `\`options\` must be an object, got ${formatValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      const near = keys.find((k) => k.toLowerCase() === key.toLowerCase());
      throw new InvalidOptionError(
        `options.${key}`,
        `\`options.${key}\` is not a known option${near ? ` (did you mean \`${near}\`?)` : ''}; known: ${keys.join(', ')}`,
      );
    }
  }
  return options as Record<string, unknown>;
}

export function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(name, 'a positive integer', value);
  }
  return value;
}

function nonNegativeFinite(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(name, 'a finite number >= 0', value);
  }
  return value;
}

function fn(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw invalid(name, 'a function', value);
}

function bool(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
}

/** Validated map options with defaults applied. */
export interface ResolvedMapOptions {
  signal: AbortSignal | undefined;
  onProgress: ((progress: Progress) => void) | undefined;
  chunkSize: number | undefined;
  trace: boolean;
  onTrace: ((trace: RunTrace) => void) | undefined;
  abortGraceMs: number;
}

function resolveCommon(o: Record<string, unknown>): ResolvedMapOptions {
  const signal = o['signal'];
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', signal);
  fn('onProgress', o['onProgress']);
  fn('onTrace', o['onTrace']);
  bool('trace', o['trace']);
  return {
    signal,
    onProgress: o['onProgress'] as ResolvedMapOptions['onProgress'],
    chunkSize: positiveInteger('chunkSize', o['chunkSize']),
    trace: o['trace'] === true || o['onTrace'] !== undefined,
    onTrace: o['onTrace'] as ResolvedMapOptions['onTrace'],
    abortGraceMs: nonNegativeFinite('abortGraceMs', o['abortGraceMs']) ?? 1000,
  };
}

/** Validate map options. Throws {@link InvalidOptionError}. */
export function resolveMapOptions(options: unknown): ResolvedMapOptions {
  return resolveCommon(checkObject(options, MAP_KEYS));
}

/** Validate stream options. Throws {@link InvalidOptionError}. */
export function resolveStreamOptions(options: unknown): ResolvedMapOptions & { ordered: boolean; highWaterMark: number } {
  const o = checkObject(options, STREAM_KEYS);
  bool('ordered', o['ordered']);
  return {
    ...resolveCommon(o),
    ordered: o['ordered'] !== false,
    highWaterMark: positiveInteger('highWaterMark', o['highWaterMark']) ?? 4096,
  };
}

/** Validate runtime options (the thread and heap figures are range-checked by the planner). */
export function resolveRuntimeOptions(options: unknown): RuntimeOptions {
  const o = checkObject(options, RUNTIME_KEYS);
  const out: RuntimeOptions = {};
  const threads = positiveInteger('threads', o['threads']);
  if (threads !== undefined) out.threads = threads;
  const heap = positiveInteger('maxHeapMb', o['maxHeapMb']);
  if (heap !== undefined) out.maxHeapMb = heap;
  return out;
}
