/**
 * The library options of a CLI run's stream, and the trace it keeps for reports: the library's own trace when it
 * sends one, else bounded progress samples. Shared by the line-by-line engine and the byte path.
 */
import type { Progress, RunTrace, StreamOptions } from '../index.ts';
import type { EngineJob, EngineResult } from './engine.ts';

/** Progress samples kept for a report; later ones are counted, not kept. */
const TRACE_SAMPLES = 10_000;
/** How long running chunks may go on after Ctrl-C before their workers are stopped, ms (results are dropped). */
const ABORT_GRACE_MS = 200;

export interface CliStream {
  options: StreamOptions;
  /** Put the kept trace into `result` (when the job asked for one); `convert` maps the library's trace first. */
  finish(result: EngineResult, convert?: (trace: RunTrace) => RunTrace): void;
}

export function cliStream(job: Pick<EngineJob, 'signal' | 'stopSignal' | 'trace' | 'timeout'>): CliStream {
  let libraryTrace: RunTrace | undefined;
  const samples: Array<{ t: number; items: number; failed: number }> = [];
  let droppedSamples = 0;
  let lastDone = 0;
  let lastFailed = 0;
  const options: StreamOptions = {
    ordered: false,
    signal: job.signal,
    ...(job.stopSignal ? { stopSignal: job.stopSignal } : {}),
    abortGraceMs: ABORT_GRACE_MS,
  };
  if (job.trace === true) {
    options.onTrace = (trace) => {
      libraryTrace = trace;
    };
    options.onProgress = (p: Progress) => {
      if (samples.length < TRACE_SAMPLES) {
        samples.push({ t: Math.round(p.elapsedMs * 1000) / 1000, items: p.done - lastDone, failed: p.failed - lastFailed });
        lastDone = p.done;
        lastFailed = p.failed;
      } else droppedSamples++;
    };
  }
  if (job.timeout !== undefined) options.timeout = job.timeout;
  return {
    options,
    finish(result, convert) {
      if (job.trace !== true) return;
      result.runTrace = libraryTrace === undefined || convert === undefined ? libraryTrace : convert(libraryTrace);
      result.trace = result.runTrace
        ? { source: 'onTrace', ...result.runTrace }
        : { source: 'onProgress', chunks: samples, decisions: [], ...(droppedSamples > 0 ? { droppedSamples } : {}) };
    },
  };
}
