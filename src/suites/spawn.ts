/**
 * One suite in one fresh worker (main-thread side): start the worker, follow its messages, and turn whatever
 * happens (results, a thrown error, `process.exit()`, an uncaught exception, a timeout) into a {@link SuiteRecord}.
 * The worker is always terminated, and its termination awaited, before the record is returned.
 */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { workerEntryUrl } from '../base/entry-url.ts';
import { describeError } from '../errors.ts';
import { fromEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { SuiteError, SuiteErrorCodes } from './errors.ts';
import type { SuiteWorkerData, SuiteWorkerMessage, WireTaskRecord } from './protocol.ts';
import type { BenchOptionsUsed, ErrorInfo, SuiteFailurePhase, SuiteRecord, TaskRecord } from './types.ts';

/** Where the suite worker entry lives: `dist/workers/suite.js` when built, the TypeScript sources otherwise. */
export function suiteWorkerUrl(): URL {
  return workerEntryUrl('suite');
}

/** A suite file to run: its absolute path and the key it is reported under. */
export interface SuiteFile {
  path: string;
  /** Relative to the run's directory, `/`-separated. */
  key: string;
}

/** What the runner hears from a running suite. */
export type SuiteSignal =
  | { type: 'loaded'; name: string | null; tasks: string[] }
  | { type: 'task'; name: string; done: number; total: number };

/** Options of {@link runSuiteFile}. */
export interface RunSuiteFileOptions {
  maxSamples: number | null;
  timeout: number | null;
  signal: AbortSignal | undefined;
  onSignal: (signal: SuiteSignal) => void;
}

/** Run one suite file in a fresh worker. Resolves with its record (failures included); rejects only on abort. */
export function runSuiteFile(file: SuiteFile, options: RunSuiteFileOptions): Promise<SuiteRecord> {
  const started = performance.now();
  const data: SuiteWorkerData = { fileUrl: pathToFileURL(file.path).href, maxSamples: options.maxSamples };
  return new Promise<SuiteRecord>((resolve, reject) => {
    let name: string | null = null;
    let benchOptions: BenchOptionsUsed | null = null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const worker = new Worker(suiteWorkerUrl(), { workerData: data });

    const finish = (outcome: { record: SuiteRecord } | { abort: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const done = (): void => ('record' in outcome ? resolve(outcome.record) : reject(outcome.abort));
      worker.terminate().then(done, done);
    };
    const base = (): Omit<SuiteRecord, 'status' | 'phase' | 'error' | 'tasks'> => ({
      file: file.key,
      name,
      durationMs: performance.now() - started,
      options: benchOptions,
    });
    const fail = (phase: SuiteFailurePhase, error: SuiteError): void => {
      finish({ record: { ...base(), status: 'failed', phase, error: errorInfo(error), tasks: [] } });
    };
    const onAbort = (): void => finish({ abort: options.signal?.reason });

    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeout !== null) {
      const ms = options.timeout;
      timer = setTimeout(() => {
        fail('timeout', new SuiteError(SuiteErrorCodes.TIMEOUT, `suite ${file.key} ran past its ${ms} ms timeout; its worker was terminated`, { file: file.key }));
      }, ms);
    }

    worker.on('message', (message: SuiteWorkerMessage) => {
      switch (message.type) {
        case 'loaded':
          name = message.name;
          benchOptions = message.options;
          options.onSignal({ type: 'loaded', name: message.name, tasks: message.tasks });
          break;
        case 'task':
          options.onSignal(message);
          break;
        case 'done':
          finish({ record: { ...base(), status: 'completed', phase: null, error: null, tasks: message.tasks.map(toTaskRecord) } });
          break;
        case 'failed':
          fail(message.phase, suiteFailure(file.key, message.phase, message.error));
          break;
      }
    });
    worker.on('error', (error: unknown) => {
      const message = `suite ${file.key} crashed its worker with an uncaught exception: ${describeError(error)}`;
      fail('crash', new SuiteError(SuiteErrorCodes.CRASHED, message, { file: file.key, cause: error }));
    });
    worker.on('exit', (exitCode: number) => {
      // Messages posted before the worker ended are delivered before 'exit', so a finished suite never gets here.
      const message = `suite ${file.key} ended its worker (exit code ${exitCode}) before finishing, e.g. by calling process.exit()`;
      fail('crash', new SuiteError(SuiteErrorCodes.CRASHED, message, { file: file.key, exitCode }));
    });
  });
}

function suiteFailure(key: string, phase: 'load' | 'run', envelope: ErrorEnvelope): SuiteError {
  const cause = fromEnvelope(envelope);
  return phase === 'load'
    ? new SuiteError(SuiteErrorCodes.LOAD, `suite ${key} failed to load: ${describeError(cause)}`, { file: key, cause })
    : new SuiteError(SuiteErrorCodes.FAILED, `suite ${key} threw: ${describeError(cause)}`, { file: key, cause });
}

/** An error as stored in a document; a suite error keeps the stack of its cause, where the problem is. */
export function errorInfo(error: unknown): ErrorInfo {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error), code: null, stack: null };
  const code = (error as { code?: unknown }).code;
  const cause = error instanceof SuiteError ? error.cause : undefined;
  const stack = cause instanceof Error ? cause.stack : error.stack;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : null, stack: stack ?? null };
}

function toTaskRecord(wire: WireTaskRecord): TaskRecord {
  const { low: _low, ...rest } = wire;
  return {
    ...rest,
    error: wire.error ? errorInfo(fromEnvelope(wire.error)) : null,
    samples: wire.samples ? Array.from(wire.samples) : null,
    runMeans: wire.latency ? [wire.latency.mean] : null,
    runMedians: wire.latency ? [wire.latency.p50] : null,
    runLows: wire.low === null ? null : [wire.low],
  };
}
