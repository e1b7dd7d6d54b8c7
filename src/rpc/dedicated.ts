/**
 * Dedicated workers: a module of your own, loaded in a worker of its own (not the pool), called like an object
 * through a typed comlink `Remote`. State lives as long as the worker. Calls never hang: if the worker crashes,
 * exits, runs out of memory or is closed, every pending and later call rejects with a `WorkerError`.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { wrap } from 'comlink';
import { workerEntryUrl } from '../base/entry-url.ts';
import { ErrorCodes, TaskLoadError, WorkerError } from '../errors.ts';
import { fromEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { GuardedEndpoint, installErrorEnvelope } from './endpoint.ts';
import type { Remote } from './remote.ts';

/** Options of `rt.spawn()`. */
export interface SpawnOptions {
  /** Per-call timeout, ms: a call without an answer by then rejects with `BT_TIMEOUT` (the worker keeps running it). Default: none. */
  timeout?: number | undefined;
  /** The worker's V8 heap limit in MiB. Default: the runtime's per-worker limit. */
  maxHeapMb?: number | undefined;
}

/** A dedicated worker: the module's exports as a typed `Remote`, plus `close()` and `Symbol.asyncDispose`. */
export type Dedicated<T> = Remote<T> & {
  /** Terminate the worker. Pending calls reject with `BT_WORKER_CLOSED`. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Start a dedicated worker for a module (a `file:` URL string) and resolve once its module is loaded. */
export async function spawnDedicated<T>(
  moduleUrl: string,
  options: { timeout?: number | undefined; maxHeapMb: number; onExit?: () => void },
): Promise<Dedicated<T>> {
  installErrorEnvelope();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(workerEntryUrl('dedicated'), {
    workerData: { url: moduleUrl, port: port2 },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb },
  });
  let lastError: unknown;
  let closing = false;
  const endpoint = new GuardedEndpoint(port1, {
    timeoutMs: options.timeout,
    onTimeout: (ms) => new WorkerError(ErrorCodes.TIMEOUT, `the call got no answer within its ${ms} ms timeout`),
    onBusy: (busy) => (busy ? worker.ref() : worker.unref()),
  });
  worker.on('error', (error) => {
    lastError = error;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (exitCode) => {
      endpoint.fail(
        closing
          ? new WorkerError(ErrorCodes.WORKER_CLOSED, 'the dedicated worker was closed')
          : (lastError as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new WorkerError(ErrorCodes.WORKER_OOM, 'the dedicated worker ran out of memory', { cause: lastError, exitCode })
            : new WorkerError(
                ErrorCodes.WORKER_CRASHED,
                `the dedicated worker exited with code ${exitCode}${lastError ? `: ${(lastError as Error).message}` : ''}`,
                { cause: lastError, exitCode },
              ),
      );
      options.onExit?.();
      resolve();
    });
  });

  const ready = await new Promise<{ loadError?: ErrorEnvelope }>((resolve) => {
    worker.once('message', resolve);
    void exited.then(() => resolve({ loadError: { isError: true, name: 'Error', message: `the worker exited while loading (${String((lastError as Error | undefined)?.message ?? 'no error')})` } }));
  });
  if (ready.loadError) {
    closing = true;
    await worker.terminate();
    const cause = fromEnvelope(ready.loadError);
    throw new TaskLoadError(cause.message, { cause });
  }
  worker.unref();

  const close = async (): Promise<void> => {
    if (!closing) {
      closing = true;
      await worker.terminate();
    }
    await exited;
  };
  const remote = wrap<T>(endpoint);
  // The handle holds the comlink proxy for as long as it lives (and the runtime holds the handle), so the
  // proxy cannot be garbage-collected, and its endpoint released, while a call is pending.
  const handle = new Proxy(remote as object, {
    get(target, prop, receiver) {
      if (prop === 'close') return close;
      if (prop === Symbol.asyncDispose) return close;
      if (prop === 'then') return undefined;
      return Reflect.get(target, prop, receiver);
    },
  }) as Dedicated<T>;
  return handle;
}
