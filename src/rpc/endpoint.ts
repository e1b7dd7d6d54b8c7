/**
 * comlink over Node MessagePorts, made safe: errors cross in batchtools' envelope (name, code, stack, cause and
 * fields survive), and every call settles, also when the worker behind the port dies, is closed, or the call
 * runs past its timeout. comlink alone leaves such calls pending forever.
 */
import type { MessagePort, TransferListItem } from 'node:worker_threads';
import type { Endpoint, transferHandlers } from 'comlink';
import { fromEnvelope, toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';

let installed = false;

/** Errors raised on this side for a call (crash, close, timeout), handed to comlink by token, not cloned. */
const localErrors = new Map<string, Error>();
let nextToken = 0;

let comlink: Promise<typeof import('comlink')> | undefined;

/**
 * comlink with the error envelope installed, loaded on first use (once per thread): the host callbacks' two sides
 * ask for it with the first run that has a host, so that a thread whose runs have none never loads it.
 */
export function loadComlink(): Promise<typeof import('comlink')> {
  comlink ??= import('comlink').then((lib) => {
    installErrorEnvelope(lib.transferHandlers);
    return lib;
  });
  return comlink;
}

/**
 * Make comlink carry thrown errors in our envelope (once per thread). `handlers` is comlink's `transferHandlers`,
 * passed in so that this module does not load comlink itself: the batch worker loads it only for a run with a host.
 */
export function installErrorEnvelope(handlers: typeof transferHandlers): void {
  if (installed) return;
  installed = true;
  const base = handlers.get('throw');
  if (!base) return;
  handlers.set('throw', {
    canHandle: base.canHandle,
    serialize: (wrapped: unknown) => [toEnvelope((wrapped as { value: unknown }).value), []],
    deserialize: (wire: unknown) => {
      const token = (wire as { localError?: unknown }).localError;
      if (typeof token === 'string') {
        const error = localErrors.get(token);
        localErrors.delete(token);
        throw error;
      }
      throw fromEnvelope(wire as ErrorEnvelope);
    },
  });
}

type Listener = (event: { data: unknown }) => void;
type ListenerLike = Listener | { handleEvent: Listener };

/** A comlink endpoint over a MessagePort that can fail its pending calls. */
export class GuardedEndpoint implements Endpoint {
  readonly #port: MessagePort;
  readonly #listeners = new Set<ListenerLike>();
  readonly #pending = new Map<string, NodeJS.Timeout | undefined>();
  readonly #timeoutMs: number | undefined;
  #onTimeout: (ms: number) => Error;
  #onBusy: (busy: boolean) => void;
  #dead: Error | undefined;

  /**
   * @param options.timeoutMs Per-call timeout. Default: none.
   * @param options.onTimeout Makes the error a timed-out call rejects with.
   * @param options.onBusy Told when the first call starts waiting and when the last one settles (to ref/unref the
   *   worker, so an idle worker does not keep the process alive but a pending call does).
   */
  constructor(
    port: MessagePort,
    options: { timeoutMs?: number | undefined; onTimeout: (ms: number) => Error; onBusy?: (busy: boolean) => void },
  ) {
    this.#port = port;
    this.#timeoutMs = options.timeoutMs;
    this.#onTimeout = options.onTimeout;
    this.#onBusy = options.onBusy ?? (() => {});
    port.on('message', (data: unknown) => {
      const id = (data as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && this.#pending.has(id)) {
        clearTimeout(this.#pending.get(id));
        this.#pending.delete(id);
        if (this.#pending.size === 0) this.#onBusy(false);
      }
      this.#emit(data);
    });
    port.unref();
  }

  /** Calls waiting for an answer. */
  get pending(): number {
    return this.#pending.size;
  }

  postMessage(message: unknown, transfer?: TransferListItem[]): void {
    const id = (message as { id?: unknown } | null)?.id;
    const tracked = typeof id === 'string' && (message as { type?: unknown }).type !== 'RELEASE';
    if (this.#dead) {
      if (tracked) queueMicrotask(() => this.#reject(id, this.#dead!));
      return;
    }
    if (tracked) {
      const ms = this.#timeoutMs;
      const timer = ms === undefined ? undefined : setTimeout(() => this.#settle(id, this.#onTimeout(ms)), ms);
      timer?.unref();
      if (this.#pending.size === 0) this.#onBusy(true);
      this.#pending.set(id, timer);
    }
    try {
      this.#port.postMessage(message, transfer as never);
    } catch (error) {
      // Not sent (an argument that cannot be cloned): the call is not pending, and must not keep the process alive.
      if (tracked) {
        clearTimeout(this.#pending.get(id));
        this.#pending.delete(id);
        if (this.#pending.size === 0) this.#onBusy(false);
      }
      throw error;
    }
  }

  addEventListener(_type: string, listener: ListenerLike): void {
    this.#listeners.add(listener);
  }

  removeEventListener(_type: string, listener: ListenerLike): void {
    this.#listeners.delete(listener);
  }

  /**
   * Reject every pending call, and every later one, with `error`. Then let go of the owner's callbacks: comlink's
   * FinalizationRegistry holds this endpoint until the proxy over it is collected, so anything the endpoint still
   * reaches (the callbacks' scope, the error's call sites: the worker, its exit handler, the runtime's handle, the
   * proxy itself) would keep the proxy, and so the endpoint, alive for good.
   */
  fail(error: Error): void {
    if (this.#dead) return;
    // Format the stack now: V8 keeps an unformatted stack as call sites, which hold every frame's closure (and so
    // the worker's exit handler and the runtime) for as long as the error lives here.
    void error.stack;
    this.#dead = error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, error);
    this.#port.close();
    this.#onBusy = () => {};
    this.#onTimeout = () => error;
  }

  #settle(id: string, error: Error): void {
    if (!this.#pending.has(id)) return;
    clearTimeout(this.#pending.get(id));
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#onBusy(false);
    this.#reject(id, error);
  }

  #reject(id: string, error: Error): void {
    const token = `e${nextToken++}`;
    localErrors.set(token, error);
    this.#emit({ id, type: 'HANDLER', name: 'throw', value: { localError: token } });
  }

  #emit(data: unknown): void {
    for (const l of [...this.#listeners]) (typeof l === 'function' ? l : l.handleEvent)({ data });
  }
}

/** A plain comlink endpoint over a MessagePort (the side that exposes an object). */
export function portEndpoint(port: MessagePort): Endpoint {
  const map = new Map<ListenerLike, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: TransferListItem[]) => port.postMessage(message, transfer as never),
    addEventListener: (_type: string, listener: ListenerLike) => {
      const fn = (data: unknown): void => (typeof listener === 'function' ? listener : listener.handleEvent)({ data });
      map.set(listener, fn);
      port.on('message', fn);
    },
    removeEventListener: (_type: string, listener: ListenerLike) => {
      const fn = map.get(listener);
      if (fn) port.off('message', fn);
      map.delete(listener);
    },
  } as Endpoint;
}
