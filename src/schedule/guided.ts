/**
 * Two simple chunk policies: a fixed size (when the caller names one), and guided self-scheduling with a floor,
 * the sound default until measurements are available.
 */
import type { ChunkCompletion, ChunkPolicy, ChunkRequest } from './policy.ts';

/** Always the same chunk size. */
export class FixedPolicy implements ChunkPolicy {
  readonly #size: number;
  readonly #inFlightPerThread: number;
  constructor(size: number, inFlightPerThread = 2) {
    this.#size = size;
    this.#inFlightPerThread = inFlightPerThread;
  }
  next(): number {
    return this.#size;
  }
  observe(_completion: ChunkCompletion): void {}
  maxInFlight(threads: number): number {
    return this.#inFlightPerThread * threads;
  }
}

/**
 * Guided self-scheduling: each chunk takes `remaining / (4 · threads)` items, never fewer than `min` (nor more
 * than `max`), so chunks shrink toward the end. With an unknown length it uses `unknownSize`.
 */
export class GuidedPolicy implements ChunkPolicy {
  readonly #min: number;
  readonly #max: number;
  readonly #unknownSize: number;
  constructor(options: { min?: number; max?: number; unknownSize?: number } = {}) {
    this.#min = options.min ?? 1;
    this.#max = options.max ?? 65_536;
    this.#unknownSize = options.unknownSize ?? 256;
  }
  next(request: ChunkRequest): number {
    if (request.remaining === null) return this.#unknownSize;
    const guided = Math.ceil(request.remaining / (4 * request.threads));
    return Math.max(1, Math.min(this.#max, Math.max(this.#min, guided)));
  }
  observe(_completion: ChunkCompletion): void {}
  maxInFlight(threads: number): number {
    return 2 * threads;
  }
}
