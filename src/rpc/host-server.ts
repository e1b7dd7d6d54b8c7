/**
 * Host callbacks, main side. A run may carry a `host` object of functions; inside its tasks `ctx.host` is a
 * comlink Remote of it. Each worker opens one link to the main thread (a MessagePort it posts to the pool once),
 * and asks over it for a run's host the first time it runs a chunk of that run: one port per worker per run,
 * never one per chunk. comlink is loaded by the first run with a host: a process whose runs have none (every
 * `batchtools run`) never loads it on this side.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { loadComlink, portEndpoint } from './endpoint.ts';
import { HOST_LINK } from './host-link.ts';

/** Serves host objects of runs to the workers of one pool. */
export class HostLinks {
  readonly #hosts = new Map<number, object>();
  readonly #ports = new Map<number, MessagePort[]>();
  readonly #links = new Set<MessagePort>();
  /** comlink with the error envelope installed, loading from the first run with a host. */
  readonly #comlink: Promise<typeof import('comlink')>;

  constructor(pool: Piscina) {
    this.#comlink = loadComlink();
    pool.on('message', (message: unknown) => {
      const link = (message as Record<string, unknown> | null)?.[HOST_LINK];
      if (link && typeof link === 'object') this.#attach(link as MessagePort);
    });
  }

  /** Make `host` available to the chunks of run `runId`. */
  register(runId: number, host: object): void {
    this.#hosts.set(runId, host);
  }

  /** The run ended: close its host ports (pending calls in workers reject). */
  unregister(runId: number): void {
    this.#hosts.delete(runId);
    for (const port of this.#ports.get(runId) ?? []) port.close();
    this.#ports.delete(runId);
  }

  /** Close every link. */
  close(): void {
    for (const runId of [...this.#hosts.keys()]) this.unregister(runId);
    for (const link of this.#links) link.close();
    this.#links.clear();
  }

  #attach(link: MessagePort): void {
    this.#links.add(link);
    link.unref();
    link.on('message', (request: { want?: unknown }) => {
      const runId = request?.want;
      if (typeof runId !== 'number') return;
      void this.#comlink.then((lib) => this.#serve(lib, link, runId));
    });
    link.on('close', () => this.#links.delete(link));
  }

  /** Answer a worker's request for run `runId`'s host: a port exposing it, or `missing` (the run is over). */
  #serve(lib: typeof import('comlink'), link: MessagePort, runId: number): void {
    const host = this.#hosts.get(runId);
    if (!host || !this.#links.has(link)) {
      link.postMessage({ run: runId, missing: true });
      return;
    }
    const { port1, port2 } = new MessageChannel();
    lib.expose(host, portEndpoint(port1));
    port1.unref();
    const ports = this.#ports.get(runId) ?? [];
    ports.push(port1);
    this.#ports.set(runId, ports);
    link.postMessage({ run: runId, port: port2 }, [port2]);
  }
}
