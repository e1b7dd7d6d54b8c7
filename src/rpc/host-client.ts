/**
 * Host callbacks, worker side: the comlink Remote of a run's host object, opened once per worker per run over
 * this worker's link to the main thread. Calls never hang: when the run ends (its port closes), pending calls
 * reject.
 */
import { MessageChannel, parentPort, type MessagePort } from 'node:worker_threads';
import type { Remote } from 'comlink';
import { BatchtoolsError, ErrorCodes } from '../errors.ts';
import { GuardedEndpoint, loadComlink } from './endpoint.ts';
import { HOST_LINK } from './host-link.ts';

let link: MessagePort | undefined;
const hosts = new Map<number, Promise<Remote<unknown>>>();
const waiting = new Map<number, (reply: { port?: MessagePort; missing?: boolean }) => void>();

function openLink(): MessagePort {
  if (link) return link;
  const { port1, port2 } = new MessageChannel();
  parentPort!.postMessage({ [HOST_LINK]: port2 }, [port2]);
  port1.on('message', (reply: { run: number; port?: MessagePort; missing?: boolean }) => {
    waiting.get(reply.run)?.(reply);
    waiting.delete(reply.run);
  });
  port1.unref();
  link = port1;
  return port1;
}

/** The host of run `runId`, as a Remote (asked for once per run, then cached). */
export function hostFor(runId: number): Promise<Remote<unknown>> {
  let host = hosts.get(runId);
  if (!host) {
    // comlink is loaded by the first run with a host: a worker thread spent ~10 ms of its start loading it for
    // runs that never call one.
    host = loadComlink().then((lib) => askFor(lib, runId));
    hosts.set(runId, host);
    // Keep at most a few runs' hosts: a worker serves one run at a time in practice.
    if (hosts.size > 8) hosts.delete(hosts.keys().next().value!);
  }
  return host;
}

/** Ask the main thread for run `runId`'s host over this worker's link, and wrap the port it answers with. */
function askFor(lib: typeof import('comlink'), runId: number): Promise<Remote<unknown>> {
  return new Promise<Remote<unknown>>((resolve, reject) => {
    waiting.set(runId, (reply) => {
      if (!reply.port) {
        reject(new BatchtoolsError(ErrorCodes.RUNTIME_CLOSED, `run ${runId} has ended; its host is gone`));
        return;
      }
      const port = reply.port;
      const endpoint = new GuardedEndpoint(port, {
        onTimeout: () => new Error('unreachable: host calls have no timeout'),
      });
      port.on('close', () => {
        hosts.delete(runId);
        endpoint.fail(new BatchtoolsError(ErrorCodes.RUNTIME_CLOSED, 'the run ended while a host call was pending'));
      });
      resolve(lib.wrap(endpoint));
    });
    openLink().postMessage({ want: runId });
  });
}
