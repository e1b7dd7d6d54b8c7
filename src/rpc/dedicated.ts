/**
 * Dedicated workers: a module of your own, loaded in a worker of its own (not the pool), called like an object
 * through a typed comlink `Remote`. State lives as long as the worker. Calls never hang: if the worker crashes,
 * exits, runs out of memory or is closed, every pending and later call rejects with a `WorkerError`.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { wrap, transferHandlers } from 'comlink';
import { workerEntryUrl } from '../base/entry-url.ts';
import { ErrorCodes, TaskLoadError, WorkerError } from '../errors.ts';
import { fromEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { GuardedEndpoint, installErrorEnvelope } from './endpoint.ts';
import type { Remote } from './remote.ts';

/** The shortest bound on loading a module when `timeout` is set, ms. */
export const MIN_LOAD_MS = 5_000;

/** Options of `rt.spawn()`. */
export interface SpawnOptions {
  /**
   * Per-call timeout, ms: a call without an answer by then rejects with `BT_TIMEOUT` (the worker keeps running it).
   * Loading the module is bounded by it too, but by at least {@link MIN_LOAD_MS} (loading, TypeScript included,
   * takes longer than a call): `spawn` then rejects with `BT_TASK_LOAD` and the worker is stopped.
   * Default: none.
   */
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
  options: { timeout?: number | undefined; maxHeapMb: number; onExit?: () => void; signal?: AbortSignal | undefined },
): Promise<Dedicated<T>> {
  installErrorEnvelope(transferHandlers);
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
  let exitCode: number | undefined;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      exitCode = code;
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

  // Loading ends with "ready", a load error, the worker's exit, the `timeout` (a module that never finishes
  // loading) or the runtime's close (`signal`): never a hang, and never a thread left behind.
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const failLoad = (message: string): { loadError: ErrorEnvelope } => ({ loadError: { isError: true, name: 'Error', message } });
  const ready = await new Promise<{ loadError?: ErrorEnvelope }>((resolve) => {
    worker.once('message', resolve);
    void exited.then(() => {
      const why = (lastError as Error | undefined)?.message;
      resolve(failLoad(`the worker exited with code ${exitCode} while loading${why === undefined ? '' : `: ${why}`}`));
    });
    if (options.timeout !== undefined) {
      const ms = Math.max(options.timeout, MIN_LOAD_MS);
      timer = setTimeout(() => resolve(failLoad(`the module did not finish loading within ${ms} ms (the timeout, at least ${MIN_LOAD_MS} ms)`)), ms);
    }
    onClose = () => resolve(failLoad('the runtime was closed while the worker was loading'));
    if (options.signal?.aborted) onClose();
    else options.signal?.addEventListener('abort', onClose, { once: true });
  });
  clearTimeout(timer);
  // The runtime's close signal lives as long as the runtime: a listener left on it would keep this worker (its
  // endpoint, its handle) reachable after close, one per spawn.
  if (onClose) options.signal?.removeEventListener('abort', onClose);
  onClose = undefined;
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
