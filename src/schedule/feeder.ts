/**
 * What a run sends next (the dispatcher asks once per admitted send): work to run again first (pieces of failed
 * chunks, due retries, a batch an async pull brought), then one self-scheduled chunk per worker while the claim
 * board lasts, then new input in a chunk the policy sizes. New input is pulled only while no stop was asked, the
 * input has more and the consumer keeps up; a pull from an async source runs in the background, one at a time, and
 * its batch waits at the front of the queue to be admitted like any other work.
 */
import type { ClaimBoard } from './claims.ts';
import { splitFirst, type Work } from './outcomes.ts';
import type { RunSettings } from './run-types.ts';
import type { Batch } from './source.ts';

/** What the feeder tells the run when an async pull ends. */
export interface PullEnd {
  /** A batch arrived (already at the front of the queue): send what may be sent. */
  pulled(): void;
  /** The input failed: the run ends with this error. */
  failed(error: unknown): void;
}

/** The run's queue of work to send, and its input. */
export class Feeder {
  readonly #s: RunSettings;
  readonly #claims: ClaimBoard | null;
  readonly #end: PullEnd;
  /** Work to send before new input. */
  readonly again: Work[] = [];
  /** An async pull from the source is under way. */
  #pulling = false;
  /** A graceful stop was asked for: no more input is taken; what was taken finishes. */
  #draining = false;
  #closed = false;

  constructor(s: RunSettings, claims: ClaimBoard | null, end: PullEnd) {
    this.#s = s;
    this.#claims = claims;
    this.#end = end;
  }

  /** A graceful stop: the source asks its input for nothing more; what was read (or asked for) still runs. */
  drain(): void {
    this.#draining = true;
    this.#s.source.halt?.();
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** The run ended: a pull that answers later is dropped. */
  close(): void {
    this.#closed = true;
  }

  /**
   * The next work to send, or null (nothing now; a pull may be under way). `probe`: only one item may go (the
   * breaker's half-open probe): the rest of a re-run keeps its place at the front of the queue. Work to run again
   * ignores the consumer's backpressure: it is what the consumer waits for. Throws when the input itself fails.
   */
  next(probe: boolean, inFlight: number, elapsedMs: number): (Work & { claims?: boolean }) | null {
    const again = this.again.shift();
    if (again) {
      const [first, rest] = probe ? splitFirst(again) : [again, null];
      if (rest) this.again.unshift(rest);
      return first;
    }
    if (!this.#mayPull()) return null;
    const claims = this.#claims;
    if (claims && !claims.handedOver) {
      // One self-scheduled chunk per worker; each claims ranges until none is left.
      if (claims.inFlight >= this.#s.threads) return null;
      claims.inFlight++;
      return { batch: claims.batch(), attempts: 1, isolating: false, claims: true };
    }
    const { source, policy, threads } = this.#s;
    const remaining = source.total === null ? null : source.total - source.taken;
    const wanted = probe ? 1 : policy.next({ remaining, inFlight, threads, elapsedMs });
    const taken = source.take(Math.max(1, Math.floor(wanted)));
    if (taken instanceof Promise) {
      this.#pulling = true;
      taken.then(
        (batch) => this.#pulled(batch),
        (error: unknown) => {
          this.#pulling = false;
          this.#end.failed(error);
        },
      );
      return null;
    }
    // An empty batch sends nothing: ask again (the input has ended, or has more).
    return taken.items.length > 0 ? { batch: taken, attempts: 1, isolating: false } : this.next(probe, inFlight, elapsedMs);
  }

  /** Nothing queued and no input left to take (or none to be taken after a stop), no pull under way. */
  get nothingToSend(): boolean {
    return this.again.length === 0 && this.#inputOver() && !this.#pulling;
  }

  /**
   * Nothing queued, the input over, and no pull under way unless a stop was asked and the source is not held to
   * its answer (a read still unanswered then is abandoned: an input that stalls, a terminal, a pipe in the middle
   * of a long line).
   */
  get mayFinish(): boolean {
    return this.again.length === 0 && this.#inputOver() && (!this.#pulling || this.#unheld());
  }

  /** The input is done, or a stop was asked and the source is not held to an answer it asked for. */
  #inputOver(): boolean {
    return this.#s.source.done || this.#unheld();
  }

  #unheld(): boolean {
    return this.#draining && this.#s.source.held !== true;
  }

  /**
   * May new input be pulled: no pull under way, input left, the consumer keeping up, and no stop asked (after a
   * stop: only an answer the source already asked its input for, so every item read gets an outcome).
   */
  #mayPull(): boolean {
    const { source, sink } = this.#s;
    return !this.#pulling && (!this.#draining || source.held === true) && !source.done && (sink.ready?.() ?? true);
  }

  /**
   * An async pull answered. The gate may have closed while it was under way (the breaker tripped), so the batch is
   * not sent from here: it goes to the front of the queue, and the run admits it like any other work.
   */
  #pulled(batch: Batch): void {
    this.#pulling = false;
    if (this.#closed) return;
    if (batch.items.length > 0) this.again.unshift({ batch, attempts: 1, isolating: false });
    this.#end.pulled();
  }
}
