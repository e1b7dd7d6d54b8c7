/**
 * What happens to an item that failed: run it again after a backoff (retries), or fail it for good; and whether
 * the run may keep dispatching at all (the circuit breaker, with its cool-down and half-open probe).
 */
import { ErrorCodes, RunError, type ItemError } from '../errors.ts';
import { CircuitBreaker, type BreakerOptions } from './breaker.ts';
import type { Work } from './outcomes.ts';
import { RetryPolicy, type RetryOptions } from './retry.ts';

/** What the dispatcher lets this module do. */
export interface FailureHooks {
  /** Queue work to run again. */
  requeue(work: Work): void;
  /** An item failed for good. */
  fail(error: ItemError): void;
  /** The breaker tripped and there is no cool-down: end the run with this error. */
  trip(error: RunError): void;
  /** Something changed that may allow dispatch (a retry is due, the cool-down passed). */
  wake(): void;
}

/** Whether the dispatcher may send work: all it wants, nothing, or one single-item probe. */
export type DispatchGate = 'open' | 'closed' | 'probe';

/** Retries and the circuit breaker of one run. */
export class FailureHandling {
  readonly #retry: RetryPolicy;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #hooks: FailureHooks;
  readonly #timers = new Set<NodeJS.Timeout>();
  #probing = false;

  constructor(retry: RetryOptions | undefined, breaker: BreakerOptions | undefined, hooks: FailureHooks) {
    this.#retry = new RetryPolicy(retry);
    this.#breaker = breaker ? new CircuitBreaker(breaker) : undefined;
    this.#hooks = hooks;
  }

  /** Retries waiting for their backoff to pass. */
  get pending(): number {
    return this.#timers.size;
  }

  /** May the dispatcher send work now? */
  get gate(): DispatchGate {
    const state = this.#breaker?.state ?? 'closed';
    if (state === 'closed') return 'open';
    return state === 'half-open' && !this.#probing ? 'probe' : 'closed';
  }

  /** The dispatcher sent the half-open probe. */
  probeSent(): void {
    this.#probing = true;
  }

  /** `n` items succeeded. */
  succeeded(n: number): void {
    this.#probing = false;
    this.#breaker?.success(n);
  }

  /** An item failed on its `error.attempts`-th attempt: retry it or fail it for good. */
  failed(error: ItemError, work: Work): void {
    this.#probing = false;
    if (this.#retry.shouldRetry(error)) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#hooks.requeue({ batch: work.batch, attempts: error.attempts + 1, isolating: true });
        this.#hooks.wake();
      }, this.#retry.delayMs(error.attempts));
      this.#timers.add(timer);
    } else {
      this.#hooks.fail(error);
    }
    if (this.#breaker?.failure(error)) this.#tripped();
  }

  /** Cancel pending retries and the cool-down. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #tripped(): void {
    const breaker = this.#breaker!;
    const error = new RunError(ErrorCodes.CIRCUIT_OPEN, breaker.describe());
    if (breaker.halfOpenAfterMs === undefined) {
      this.#hooks.trip(error);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      breaker.halfOpen();
      this.#hooks.wake();
    }, breaker.halfOpenAfterMs);
    this.#timers.add(timer);
  }
}
