/**
 * The one internal seam between the runtime and its pipeline and graph engines: they start runs on the runtime's
 * pool with sinks of their own (outcomes in chunk-sized runs, backpressure through `ready`), as `rt.stream` does.
 */
import type { ChunkPolicy } from '../schedule/policy.ts';
import type { RunSink } from '../schedule/run-types.ts';

export type { RunSink } from '../schedule/run-types.ts';

/** The key of the runtime's internal "start a run with this sink" method. */
export const startRun = Symbol('batchtools.startRun');

/** What an engine holds of a run it started. */
export interface RunHandle {
  /** Resolves when every item has an outcome; rejects when the run as a whole fails (abort, breaker, load error). */
  readonly done: Promise<unknown>;
  /** The sink has room again: dispatch goes on. */
  resume(): void;
  /** Stop the run; `done` rejects with `reason`. */
  cancel(reason: unknown): void;
}

/** A runtime, as the engines see it. */
export interface RunStarter {
  /** Pool threads (the plan's). */
  readonly plan: { readonly threads: number };
  /**
   * Start a run of `task` over `items` with stream options (validated there), feeding `sink`. Throws when the
   * runtime is closed or an option is bad. `policy`: the chunk policy to use instead of a new adaptive one (a
   * caller that runs many short runs of one task keeps what its policy learned between them; `chunkSize` wins).
   */
  [startRun](items: unknown, task: unknown, options: object, sink: RunSink, policy?: ChunkPolicy): RunHandle;
}
