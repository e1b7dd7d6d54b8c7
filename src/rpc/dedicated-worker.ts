/**
 * Worker side of a dedicated worker: load the module (TypeScript too), expose its exports over the port with
 * comlink, and say "ready" (or why loading failed) once.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { expose, transferHandlers } from 'comlink';
import { importModule } from '../base/typescript.ts';
import { TaskLoadError } from '../errors.ts';
import { toEnvelope } from '../transport/envelope.ts';
import { installErrorEnvelope, portEndpoint } from './endpoint.ts';

/** Start serving. Called by the dedicated worker entry. */
export async function serveDedicated(): Promise<void> {
  const { url, port } = workerData as { url: string; port: MessagePort };
  installErrorEnvelope(transferHandlers);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url);
  } catch (error) {
    const message = `module ${url} failed to load in its dedicated worker: ${(error as Error)?.message ?? String(error)}`;
    parentPort!.postMessage({ loadError: toEnvelope(new TaskLoadError(message, { cause: error })) });
    return;
  }
  // The namespace itself, so reads of exported `let` bindings are live.
  expose(mod, portEndpoint(port));
  parentPort!.postMessage({ ready: true });
}
