/**
 * Reading a finished tinybench `Bench` (worker side): its options and each task's result, as plain data. The bench
 * is read structurally, not with `instanceof`, since the suite imports its own copy of tinybench.
 */
import { toEnvelope } from '../transport/envelope.ts';
import { sortedQuantile } from './low-shift.ts';
import type { WireTaskRecord } from './protocol.ts';
import { STATISTICS_KEYS, type BenchOptionsUsed, type SampleStatistics } from './types.ts';

/** What the runner needs of a tinybench `Bench`. */
export interface BenchLike {
  run(): Promise<unknown>;
  readonly tasks: readonly TaskLike[];
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** What the runner needs of a tinybench `Task`. */
export interface TaskLike {
  readonly name: string;
  readonly result: unknown;
}

/** The quantile of a run's latencies recorded as its fast latency (`runLows`): the 1st percentile. */
export const RUN_LOW_QUANTILE = 0.01;

/** True when `value` looks like a tinybench `Bench` (a `run()` method and a `tasks` array). */
export function isBenchLike(value: unknown): value is BenchLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['run'] === 'function' && Array.isArray(v['tasks']) && typeof v['addEventListener'] === 'function';
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The options a bench runs with (tinybench 6 field names; tinybench's defaults where a field is missing). */
export function readOptions(bench: BenchLike): BenchOptionsUsed {
  const b = bench as unknown as Record<string, unknown>;
  const provider = b['timestampProvider'];
  return {
    time: num(b['time'], 1000),
    iterations: num(b['iterations'], 64),
    warmup: b['warmup'] !== false,
    warmupTime: num(b['warmupTime'], 250),
    warmupIterations: num(b['warmupIterations'], 16),
    concurrency: strOrNull(b['concurrency']),
    threshold: finiteOrNull(b['threshold']),
    throws: b['throws'] === true,
    retainSamples: b['retainSamples'] === true,
    subtractTimerOverhead: b['subtractTimerOverhead'] === true,
    timerOverhead: finiteOrNull(b['timerOverhead']),
    timestampProvider: typeof provider === 'object' && provider !== null ? strOrNull((provider as Record<string, unknown>)['name']) : null,
    runtime: strOrNull(b['runtime']),
    runtimeVersion: strOrNull(b['runtimeVersion']),
  };
}

/** The bench's `name` option, or null. */
export function readName(bench: BenchLike): string | null {
  return strOrNull((bench as unknown as Record<string, unknown>)['name']);
}

function readStatistics(value: unknown): SampleStatistics | null {
  if (typeof value !== 'object' || value === null) return null;
  const s = value as Record<string, unknown>;
  if (typeof s['mean'] !== 'number') return null;
  const out = {} as Record<string, number | null>;
  for (const key of STATISTICS_KEYS) out[key] = key === 'rme' ? finiteOrNull(s[key]) : num(s[key], Number.NaN);
  return out as unknown as SampleStatistics;
}

/**
 * Evenly spaced order statistics of sorted `samples`, at most `max` of them (the first and last included), so a
 * capped set keeps the distribution's shape. All of them when `max` is null or not smaller.
 */
export function capSamples(samples: ArrayLike<number>, max: number | null): Float64Array {
  const n = samples.length;
  if (max === null || n <= max) return Float64Array.from(samples);
  const out = new Float64Array(max);
  if (max === 1) {
    out[0] = samples[Math.floor((n - 1) / 2)] as number;
    return out;
  }
  for (let i = 0; i < max; i++) out[i] = samples[Math.round((i * (n - 1)) / (max - 1))] as number;
  return out;
}

/** One task's result as a wire record; `warning` is the timer-saturation reason seen for it, if any. */
export function readTask(task: TaskLike, maxSamples: number | null, warning: string | null): WireTaskRecord {
  const result = (typeof task.result === 'object' && task.result !== null ? task.result : {}) as Record<string, unknown>;
  const state = strOrNull(result['state']) ?? 'unknown';
  const latency = readStatistics(result['latency']);
  const rawSamples = (result['latency'] as Record<string, unknown> | undefined)?.['samples'];
  const all = latency && Array.isArray(rawSamples) && rawSamples.length > 0 ? (rawSamples as number[]) : null;
  const samples = all ? capSamples(all, maxSamples) : null;
  return {
    name: String(task.name),
    state,
    error: state === 'errored' ? toEnvelope(result['error']) : null,
    latency,
    throughput: readStatistics(result['throughput']),
    period: finiteOrNull(result['period']),
    totalTime: finiteOrNull(result['totalTime']),
    samples,
    samplesCapped: samples !== null && latency !== null && samples.length < latency.samplesCount,
    low: all ? sortedQuantile(all, RUN_LOW_QUANTILE) : (latency?.min ?? null),
    warning,
  };
}
