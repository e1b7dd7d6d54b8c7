/**
 * A main-thread (io) segment: calls the stage's function for each value with at most `concurrency` calls in
 * flight, and only while the next segment has room. Retries, the per-call timeout and the circuit breaker follow
 * the pipeline's options, as for worker stages (a timed-out call's `ctx.signal` fires; its late result is ignored).
 */
import { ErrorCodes, RunError } from '../errors.ts';
import { CircuitBreaker, type BreakerOptions } from '../schedule/breaker.ts';
import { RetryPolicy, type RetryOptions } from '../schedule/retry.ts';
import type { Carrier, Channel, Downstream } from './channel.ts';
import type { Collector } from './collector.ts';
import { ioStageError, type StageError } from './errors.ts';
import type { IoContext, IoSegmentPlan } from './stages.ts';

/** Settings an io segment takes from the pipeline's options. */
export interface IoSettings {
  retry: RetryOptions | undefined;
  timeout: number | undefined;
  breaker: BreakerOptions | undefined;
  /** Aborted when the pipeline stops. */
  signal: AbortSignal;
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `a non-error value was thrown: ${String(error)}`;

export class IoSegment {
  readonly #plan: IoSegmentPlan;
  readonly #input: Channel;
  readonly #down: Downstream;
  readonly #collector: Collector;
  readonly #settings: IoSettings;
  readonly #retry: RetryPolicy;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #onFailure: (error: unknown) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  /** Retries whose delay passed, served before new values. */
  readonly #again: Array<{ carrier: Carrier; attempt: number }> = [];
  /** Retries waiting for their delay. */
  #waiting = 0;
  #ended = false;
  #stopped = false;

  constructor(plan: IoSegmentPlan, input: Channel, down: Downstream, collector: Collector, settings: IoSettings, onFailure: (error: unknown) => void) {
    this.#plan = plan;
    this.#input = input;
    this.#down = down;
    this.#collector = collector;
    this.#settings = settings;
    this.#retry = new RetryPolicy(settings.retry);
    this.#breaker = settings.breaker ? new CircuitBreaker(settings.breaker) : undefined;
    this.#onFailure = onFailure;
    input.onData = () => this.resume();
  }

  /** Start calls while the limits allow; tell the next segment the end once everything is decided. */
  resume(): void {
    if (this.#stopped) return;
    while (this.#inFlight < this.#plan.concurrency && this.#down.hasRoom()) {
      const retry = this.#again.shift();
      if (retry) {
        this.#call(retry.carrier, retry.attempt);
        continue;
      }
      const carrier = this.#input.shift();
      if (!carrier) break;
      this.#call(carrier, 1);
    }
    if (!this.#ended && this.#input.ended && this.#input.length === 0 && this.#inFlight === 0 && this.#waiting === 0 && this.#again.length === 0) {
      this.#ended = true;
      this.#down.end();
    }
  }

  cancel(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #call(carrier: Carrier, attempt: number): void {
    this.#inFlight++;
    const { timeout, signal } = this.#settings;
    const own = timeout === undefined ? undefined : new AbortController();
    const context: IoContext = {
      index: carrier.input,
      stage: this.#plan.first,
      attempt,
      signal: own ? AbortSignal.any([signal, own.signal]) : signal,
    };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (ok: boolean, value: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer) {
        clearTimeout(timer);
        this.#timers.delete(timer);
      }
      this.#inFlight--;
      if (this.#stopped) return;
      if (ok) {
        this.#breaker?.landed(this, 1, []);
        this.#down.put(carrier.input, carrier.path, value);
      } else this.#failed(carrier, attempt, value as StageError);
      this.resume();
    };
    if (own) {
      timer = setTimeout(() => {
        const error = new Error(`ran longer than its ${timeout} ms deadline`);
        own.abort(error);
        settle(false, this.#itemError(ErrorCodes.TIMEOUT, carrier, attempt, error, error.message));
      }, timeout);
      this.#timers.add(timer);
    }
    let pending: unknown;
    try {
      pending = this.#plan.fn(carrier.value, context);
    } catch (error) {
      settle(false, this.#itemError(ErrorCodes.TASK_FAILED, carrier, attempt, error, describe(error)));
      return;
    }
    Promise.resolve(pending).then(
      (value) => settle(true, value),
      (error: unknown) => settle(false, this.#itemError(ErrorCodes.TASK_FAILED, carrier, attempt, error, describe(error))),
    );
  }

  #itemError(code: typeof ErrorCodes.TASK_FAILED | typeof ErrorCodes.TIMEOUT, carrier: Carrier, attempt: number, cause: unknown, detail: string): StageError {
    return ioStageError(code, carrier.input, attempt, this.#plan.first, this.#plan.names[0], cause, detail);
  }

  #failed(carrier: Carrier, attempt: number, error: StageError): void {
    if (this.#breaker?.landed(this, 0, [error])) {
      this.#onFailure(new RunError(ErrorCodes.CIRCUIT_OPEN, `stage ${this.#plan.first} (${this.#plan.names[0]}): ${this.#breaker.describe()}`));
      return;
    }
    if (this.#retry.shouldRetry(error)) {
      this.#waiting++;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#waiting--;
        this.#again.push({ carrier, attempt: attempt + 1 });
        this.resume();
      }, this.#retry.delayMs(attempt));
      this.#timers.add(timer);
      return;
    }
    this.#collector.fail(carrier.input, carrier.path, error);
  }
}
