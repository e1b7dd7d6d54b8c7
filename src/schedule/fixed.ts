/** The policy of a run whose caller names a chunk size (`chunkSize`): always that size. */
import type { ChunkCompletion, ChunkPolicy } from './policy.ts';

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
