/**
 * What the failures of a landed chunk become, as a value the dispatcher carries out: which items fail for good,
 * which run again after a backoff (retries), and whether the circuit breaker tripped. It also says whether the run
 * may send work at all (the breaker's gate). No timers and no callbacks: the dispatcher owns both.
 */
import { ErrorCodes, RunError, type ItemError } from '../errors.ts';
import { CircuitBreaker, type BreakerOptions } from './breaker.ts';
import type { Work } from './outcomes.ts';
import { RetryPolicy, type RetryOptions } from './retry.ts';

/** One item that failed in a chunk: its error (with index and attempt) and the item itself (to run it again). */
export interface ItemFailure {
  error: ItemError;
  item: unknown;
}

/** An item to run again once `delayMs` has passed. */
export interface Retry {
  work: Work;
  delayMs: number;
}

/** What the dispatcher does after a chunk landed. */
export interface Verdict {
  /** Items that failed for good, in the order they were given. */
  readonly failed: readonly ItemError[];
  /** Items to run again after their backoff. */
  readonly retries: readonly Retry[];
  /**
   * The breaker tripped (or opened again after a failed probe): stop sending. With `coolDownMs`, half-open after
   * that long ({@link FailureHandling.halfOpen}); without, end the run with `error`.
   */
  readonly tripped?: { readonly error: RunError; readonly coolDownMs: number | undefined };
}

/** Whether the dispatcher may send work: all it wants, nothing, or one single-item probe. */
export type DispatchGate = 'open' | 'closed' | 'probe';

const NOTHING: Verdict = Object.freeze({ failed: Object.freeze([]), retries: Object.freeze([]) });
const NO_FAILURES: readonly ItemFailure[] = Object.freeze([]);

/** Retries and the circuit breaker of one run. */
export class FailureHandling {
  readonly #retry: RetryPolicy;
  readonly #breaker: CircuitBreaker | undefined;

  constructor(retry: RetryOptions | undefined, breaker: BreakerOptions | undefined, random: () => number = Math.random) {
    this.#retry = new RetryPolicy(retry, random);
    this.#breaker = breaker ? new CircuitBreaker(breaker) : undefined;
  }

  /** May the dispatcher send work now? */
  get gate(): DispatchGate {
    const breaker = this.#breaker;
    if (breaker === undefined || breaker.state === 'closed') return 'open';
    return breaker.wantsProbe ? 'probe' : 'closed';
  }

  /** The chunk `key` (one item) was sent as the half-open probe. */
  probeSent(key: object): void {
    this.#breaker!.probeSent(key);
  }

  /** The cool-down after a trip passed: let one probe through. */
  halfOpen(): void {
    this.#breaker?.halfOpen();
  }

  /**
   * The chunk `key` landed: `ok` items succeeded and `failures` failed on this attempt. Per failed item: run it
   * again after a backoff while the retry policy allows, else fail it for good. Every failed attempt counts for
   * the breaker.
   */
  landed(key: object, ok: number, failures: readonly ItemFailure[] = NO_FAILURES): Verdict {
    const breaker = this.#breaker;
    if (failures.length === 0) {
      // The common case: nothing to decide but the breaker's window (or, half-open, the probe's success).
      breaker?.landed(key, ok, NO_FAILURES);
      return NOTHING;
    }
    const failed: ItemError[] = [];
    const retries: Retry[] = [];
    for (const { error, item } of failures) {
      if (this.#retry.shouldRetry(error)) {
        const work: Work = { batch: { start: error.index, items: [item] }, attempts: error.attempts + 1, isolating: true };
        retries.push({ work, delayMs: this.#retry.delayMs(error.attempts) });
      } else {
        failed.push(error);
      }
    }
    if (breaker === undefined || !breaker.landed(key, ok, failures.map((f) => f.error))) return { failed, retries };
    const error = new RunError(ErrorCodes.CIRCUIT_OPEN, breaker.describe());
    return { failed, retries, tripped: { error, coolDownMs: breaker.halfOpenAfterMs } };
  }
}
