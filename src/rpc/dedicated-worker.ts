/**
 * Worker side of a dedicated worker: load the module (TypeScript too), expose its exports over the port with
 * comlink, and say "ready" (or why loading failed) once.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { expose } from 'comlink';
import { TaskLoadError } from '../errors.ts';
import { toEnvelope } from '../transport/envelope.ts';
import { ensureTypeScript } from '../worker/load-task.ts';
import { installErrorEnvelope, portEndpoint } from './endpoint.ts';

const TS_EXTENSION = /\.(c|m)?tsx?$/;

/** Start serving. Called by the dedicated worker entry. */
export async function serveDedicated(): Promise<void> {
  const { url, port } = workerData as { url: string; port: MessagePort };
  installErrorEnvelope();
  let mod: Record<string, unknown>;
  try {
    if (TS_EXTENSION.test(new URL(url).pathname)) await ensureTypeScript();
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const message = `module ${url} failed to load in its dedicated worker: ${(error as Error)?.message ?? String(error)}`;
    parentPort!.postMessage({ loadError: toEnvelope(new TaskLoadError(message, { cause: error })) });
    return;
  }
  // The namespace itself, so reads of exported `let` bindings are live.
  expose(mod, portEndpoint(port));
  parentPort!.postMessage({ ready: true });
}
