/**
 * The seam between a Run and whatever computes its chunks. The local runtime uses its Piscina pool (which fits
 * `ChunkRunner` as it is); another engine (the `batchtools/cluster` product, which turns chunks into queue jobs
 * on other machines) plugs in through `RunEngine` without the core knowing it.
 */
import type { ChunkMessage, ChunkReply } from '../transport/protocol.ts';
import type { TaskSpec } from '../task.ts';
import type { ChunkPolicy } from './policy.ts';

/** Runs one chunk message and resolves with its reply (or rejects as a whole, like a dead worker). */
export interface ChunkRunner {
  run(message: ChunkMessage, options: { transferList?: ArrayBuffer[] }): Promise<ChunkReply>;
  /**
   * The local worker threads, so the Run can terminate the one running a chunk past its deadline or ignoring an
   * abort. Empty for a runner whose chunks run elsewhere (deadlines are then kept where they run).
   */
  readonly threads: ReadonlyArray<{ readonly threadId: number; terminate(): unknown }>;
}

/** What a RunEngine learns about a run it serves. */
export interface EngineRun {
  task: TaskSpec;
  /** Per-item deadline, ms. */
  timeout: number | undefined;
  /** The run has a host object. */
  host: boolean;
  /** End the run with this error (a condition the engine found, e.g. a worker with other code). */
  cancel(reason: unknown): void;
}

/** A runner opened for one run; `end` is called exactly once when the run settles (error: it was stopped). */
export interface OpenedRunner {
  runner: ChunkRunner;
  end(error?: unknown): void;
}

/** @internal Runs chunks somewhere other than the runtime's own pool (see `batchtools/cluster`). */
export interface RunEngine {
  /** Chunk capacity the policy plans for (the threads of every machine serving the engine). */
  threads(): number;
  /** A runner for one run. May throw an InvalidOptionError for a run it cannot serve. */
  open(run: EngineRun): OpenedRunner;
  /**
   * The chunk policy for a run of `task` without a fixed `chunkSize` (default: the local adaptive policy). An engine
   * may keep what runs of the same task learned (cost per item, overhead) and start the next one from it.
   */
  policy?(task: TaskSpec): ChunkPolicy;
  close(): Promise<void>;
}
