/**
 * Hard stops of a run's chunks, through the progress slots: the run-time deadline of each item (run time, not
 * queue time), and the end of the grace period after an abort. Both terminate exactly the worker running a chunk;
 * piscina then rejects the chunk and replaces the worker. (A runner whose chunks run elsewhere lists no local
 * threads: nothing is terminated here, deadlines are kept where the chunks run.)
 */
import type { ChunkRunner } from './chunk-runner.ts';
import { epochNow, type RunState } from './slots.ts';

/** What the enforcer needs of a chunk in flight. */
export interface Stoppable {
  readonly slot: number;
  readonly batch: { readonly items: { readonly length: number } };
  /** Set here when the chunk's current item ran past its deadline: that item's offset. */
  timedOut?: number;
}

/** Deadlines and the abort grace period of one run. */
export class ChunkStopper {
  readonly #slots: RunState;
  readonly #pool: ChunkRunner;
  readonly #inFlight: ReadonlySet<Stoppable>;
  #watchdog: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;

  constructor(slots: RunState, pool: ChunkRunner, inFlight: ReadonlySet<Stoppable>) {
    this.#slots = slots;
    this.#pool = pool;
    this.#inFlight = inFlight;
  }

  /** Check every chunk's current item against `timeout` ms, often enough (every timeout/4, 2..100 ms). */
  watch(timeout: number): void {
    const every = Math.max(2, Math.min(100, timeout / 4));
    this.#watchdog = setInterval(() => this.checkDeadlines(timeout, epochNow()), every);
    this.#watchdog.unref();
  }

  /** Terminate the worker of any chunk whose current item has run longer than `timeout` ms as of `now` (epoch ms). */
  checkDeadlines(timeout: number, now: number): void {
    for (const flight of this.#inFlight) {
      if (flight.timedOut !== undefined) continue;
      const current = this.#slots.position(flight.slot).item;
      if (current === null || current >= flight.batch.items.length) continue;
      if (this.#slots.runningFor(flight.slot, now) > timeout) {
        flight.timedOut = current;
        this.#terminate(flight);
      }
    }
  }

  /** The run stopped: chunks still running after `graceMs` (tasks that ignore their signal) are terminated. */
  terminateAfter(graceMs: number): void {
    if (this.#inFlight.size === 0) return;
    this.#grace = setTimeout(() => {
      for (const flight of this.#inFlight) this.#terminate(flight);
    }, graceMs);
    this.#grace.unref();
  }

  /** Stop watching deadlines. */
  unwatch(): void {
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Every chunk landed after a stop: no grace timer is needed any more. */
  clearGrace(): void {
    clearTimeout(this.#grace);
    this.#grace = undefined;
  }

  /**
   * Terminate the worker running `flight`. The slot names the worker's thread; a chunk that has not started yet
   * has none and is left alone (it sees the abort flag before its first item).
   */
  #terminate(flight: Stoppable): void {
    const threadId = this.#slots.thread(flight.slot);
    if (threadId === 0 || !this.#inFlight.has(flight)) return;
    const worker = this.#pool.threads.find((t) => t.threadId === threadId);
    void worker?.terminate();
  }
}
