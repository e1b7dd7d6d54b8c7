/**
 * Retries: which failed items run again, and after how long (exponential backoff with full jitter).
 */
import { ErrorCodes, type ItemError } from '../errors.ts';

/** How failed items are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (so `retries + 1` attempts at most). Default `0` (no retries). */
  retries?: number | undefined;
  /** Delay before the first retry, ms (the base of the exponential backoff). Default `100`. */
  minDelayMs?: number | undefined;
  /** Largest delay between attempts, ms. Default `10_000`. */
  maxDelayMs?: number | undefined;
  /** Growth of the delay per attempt. Default `2`. */
  factor?: number | undefined;
  /**
   * Randomize each delay uniformly in [0, delay] ("full jitter"), so retries of many items do not arrive in
   * lockstep. Default `true`.
   */
  jitter?: boolean | undefined;
  /**
   * Decides whether a failure may be retried. Default: worker crashes and timeouts yes; out-of-memory, clone
   * failures and errors the task threw no, unless the thrown error has `retryable: true`.
   */
  retryable?: ((error: ItemError) => boolean) | undefined;
}

/** The default retry predicate (see {@link RetryOptions.retryable}). */
export function isRetryableByDefault(error: ItemError): boolean {
  if (error.code === ErrorCodes.WORKER_CRASHED || error.code === ErrorCodes.TIMEOUT) return true;
  if (error.code !== ErrorCodes.TASK_FAILED) return false;
  return (error.cause as { retryable?: unknown } | undefined)?.retryable === true;
}

/** A resolved retry policy. */
export class RetryPolicy {
  readonly retries: number;
  readonly #min: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: boolean;
  readonly #retryable: (error: ItemError) => boolean;
  readonly #random: () => number;

  constructor(options: RetryOptions = {}, random: () => number = Math.random) {
    this.retries = options.retries ?? 0;
    this.#min = options.minDelayMs ?? 100;
    this.#max = options.maxDelayMs ?? 10_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? true;
    this.#retryable = options.retryable ?? isRetryableByDefault;
    this.#random = random;
  }

  /** Whether an item that failed on attempt `error.attempts` runs again. A throwing predicate means no. */
  shouldRetry(error: ItemError): boolean {
    if (error.attempts > this.retries) return false;
    try {
      return this.#retryable(error) === true;
    } catch {
      return false;
    }
  }

  /** Delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt >= 1), ms. */
  delayMs(attempt: number): number {
    const ceiling = Math.min(this.#max, this.#min * this.#factor ** (attempt - 1));
    return this.#jitter ? this.#random() * ceiling : ceiling;
  }
}
