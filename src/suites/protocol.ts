/** Messages between the runner (main thread) and a suite worker. One worker runs one suite file, then ends. */
import type { ErrorEnvelope } from '../transport/envelope.ts';
import type { BenchOptionsUsed, TaskRecord } from './types.ts';

/** `workerData` of a suite worker. */
export interface SuiteWorkerData {
  /** The suite file as a `file:` URL. */
  fileUrl: string;
  /** Keep at most this many samples per task, or null for all. */
  maxSamples: number | null;
}

/** A task record as it crosses the thread boundary: samples as a transferable array, the error as an envelope. */
export type WireTaskRecord = Omit<TaskRecord, 'samples' | 'error' | 'runMeans' | 'runMedians' | 'runLows'> & {
  samples: Float64Array | null;
  /** The run's 1st percentile latency from all its samples (its minimum without samples); null without statistics. */
  low: number | null;
  error: ErrorEnvelope | null;
};

/** What a suite worker posts, in this order: `loaded`, any number of `task`, then `done`; or `failed` at any point. */
export type SuiteWorkerMessage =
  | { type: 'loaded'; name: string | null; options: BenchOptionsUsed; tasks: string[] }
  | { type: 'task'; name: string; done: number; total: number }
  | { type: 'done'; tasks: WireTaskRecord[] }
  | { type: 'failed'; phase: 'load' | 'run'; error: ErrorEnvelope };
