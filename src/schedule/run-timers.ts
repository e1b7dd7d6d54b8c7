/**
 * The timers of a run: retries waiting for their backoff, and the breaker's cool-down. The dispatcher says what
 * each does when it fires; this module keeps them so that none outlives the run (`clear()`).
 */
export class RunTimers {
  readonly #retries = new Set<NodeJS.Timeout>();
  #coolDown: NodeJS.Timeout | undefined;

  /** Retries still waiting for their backoff. */
  get retriesWaiting(): number {
    return this.#retries.size;
  }

  /** Run `fire` after `delayMs` (a retry's backoff). */
  retryAfter(delayMs: number, fire: () => void): void {
    const timer = setTimeout(() => {
      this.#retries.delete(timer);
      fire();
    }, delayMs);
    this.#retries.add(timer);
  }

  /** Run `fire` after `ms` (the breaker's cool-down), replacing a cool-down already waiting. */
  coolDown(ms: number, fire: () => void): void {
    clearTimeout(this.#coolDown);
    this.#coolDown = setTimeout(() => {
      this.#coolDown = undefined;
      fire();
    }, ms);
  }

  clear(): void {
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    clearTimeout(this.#coolDown);
    this.#coolDown = undefined;
  }
}
