/**
 * The circuit breaker: when the failure rate over a sliding window of recent item outcomes passes a threshold
 * (with a minimum number of samples), the run stops dispatching. With a cool-down it later half-opens and lets
 * one probe through: one chunk of one item, named by the key the dispatcher gives it. Only that chunk's landing
 * ends the probe; its success closes the breaker, its failure opens it again. Pure: outcomes in, state out; the
 * dispatcher owns the cool-down timer.
 */
import { describeError } from '../errors.ts';

/** Circuit breaker settings. */
export interface BreakerOptions {
  /** Failure rate (0..1] over the window that trips the breaker. Default `0.5`. */
  threshold?: number | undefined;
  /** Recent item outcomes considered. Default `100`. */
  window?: number | undefined;
  /** Outcomes needed before the breaker may trip. Default `20`. */
  minSamples?: number | undefined;
  /**
   * After tripping, wait this long (ms), then let one probe item through ("half-open"): success closes the breaker
   * and the run goes on; failure opens it again. Default: none, a tripped breaker ends the run.
   */
  halfOpenAfterMs?: number | undefined;
}

/** closed: dispatching; open: not dispatching; half-open: one probe item allowed. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Tracks outcomes and says when to stop. */
export class CircuitBreaker {
  readonly threshold: number;
  readonly minSamples: number;
  readonly halfOpenAfterMs: number | undefined;
  readonly #ring: Uint8Array;
  #next = 0;
  #count = 0;
  #failures = 0;
  #state: BreakerState = 'closed';
  /** The probe chunk in flight (half-open only). */
  #probe: object | undefined;
  /** Recent failure descriptions, for the message that says why the breaker tripped. */
  readonly #recent: string[] = [];

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.threshold ?? 0.5;
    this.minSamples = options.minSamples ?? 20;
    this.halfOpenAfterMs = options.halfOpenAfterMs;
    this.#ring = new Uint8Array(options.window ?? 100);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Failure rate over the window. */
  get rate(): number {
    return this.#count === 0 ? 0 : this.#failures / this.#count;
  }

  /** True while half-open with no probe in flight: one single-item chunk may be sent, then {@link probeSent}. */
  get wantsProbe(): boolean {
    return this.#state === 'half-open' && this.#probe === undefined;
  }

  /** The probe chunk `key` was sent. Only its landing ({@link landed} with the same key) ends the probe. */
  probeSent(key: object): void {
    if (!this.wantsProbe) throw new Error('a probe may be sent only while half-open with no probe in flight');
    this.#probe = key;
  }

  /**
   * A chunk landed with `ok` items that succeeded and `failures` items that failed (each a failed attempt, retried
   * or not). Returns true when this trips the breaker or opens it again.
   *
   * While closed, every outcome counts in the window. While open or half-open, only the probe chunk decides:
   * a failure opens the breaker again, a success closes it with a fresh window, and a probe that brought no outcome
   * (its worker died before the item began, so it runs again) lets another probe go. Other chunks (sent before
   * the trip) change nothing but the recent failures quoted in the message.
   */
  landed(key: object, ok: number, failures: readonly unknown[]): boolean {
    for (const error of failures) this.#remember(error);
    if (this.#state !== 'closed') {
      if (key !== this.#probe) return false;
      this.#probe = undefined;
      if (failures.length > 0) {
        this.#state = 'open';
        return true;
      }
      if (ok > 0) this.#reset();
      return false;
    }
    let tripped = false;
    for (let i = 0; i < failures.length && !tripped; i++) {
      this.#push(1);
      tripped = this.#count >= this.minSamples && this.rate >= this.threshold;
    }
    if (tripped) {
      this.#state = 'open';
      return true;
    }
    // Pushing more successes than the window holds leaves the same state as pushing a window's worth.
    const k = Math.min(ok, this.#ring.length);
    for (let i = 0; i < k; i++) this.#push(0);
    return false;
  }

  /** Move from open to half-open (the cool-down passed). */
  halfOpen(): void {
    if (this.#state === 'open') this.#state = 'half-open';
  }

  /** Why the breaker tripped, for people. */
  describe(): string {
    const pct = (x: number): string => `${Math.round(x * 100)}%`;
    return (
      `circuit breaker open: ${pct(this.rate)} of the last ${this.#count} items failed ` +
      `(threshold ${pct(this.threshold)}, at least ${this.minSamples} items); recent failures: ${this.#recent.join(' | ')}`
    );
  }

  #remember(error: unknown): void {
    this.#recent.push(error instanceof Error ? error.message : describeError(error));
    if (this.#recent.length > 5) this.#recent.shift();
  }

  #push(bit: 0 | 1): void {
    const size = this.#ring.length;
    if (this.#count === size) this.#failures -= this.#ring[this.#next]!;
    else this.#count++;
    this.#ring[this.#next] = bit;
    this.#failures += bit;
    this.#next = (this.#next + 1) % size;
  }

  #reset(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.#count = 0;
    this.#failures = 0;
    this.#state = 'closed';
  }
}
