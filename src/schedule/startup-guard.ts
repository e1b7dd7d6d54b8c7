/**
 * Start-up judgement of a run's dead workers: a pool whose workers keep dying before any of them has loaded the
 * task ends the run with one clear error (not a retry loop), while a chunk killed by code that was not its own
 * (another chunk's timer, or a worker that died before it took the chunk) is not blamed. Counters only; the
 * dispatcher asks and carries out.
 */
import { ErrorCodes, RunError } from '../errors.ts';
import type { ChunkFailure, DeathPoint } from './outcomes.ts';
import type { RunState } from './slots.ts';

/** Give up on a run whose workers keep dying before any of them has loaded the task. */
const STARTUP_CRASH_LIMIT = 3;
/** Per pool thread: chunks in a row that may die before a worker takes them without being judged (see `whereDied`). */
const UNREACHED_LIMIT = 8;

export class StartupGuard {
  readonly #threads: number;
  readonly #local: boolean;
  #crashesBeforeLoad = 0;
  #unreached = 0;

  constructor(threads: number, local: boolean) {
    this.#threads = threads;
    this.#local = local;
  }

  /** A reply came back: the workers can be reached. */
  replied(): void {
    this.#unreached = 0;
  }

  /**
   * Where a failed chunk's worker was, from its progress slot. A local chunk that never reached a worker (no thread
   * took it: the worker died before it got there, from code that was not this chunk's) counts as killed by foreign
   * code, up to UNREACHED_LIMIT times per thread in a row without a reply, after which it is judged as a chunk that
   * had not begun (a pool whose workers cannot start at all must still end the run).
   */
  whereDied(slots: RunState, slot: number): DeathPoint {
    const position = slots.position(slot);
    if (!this.#local || position.foreign || position.item !== null || slots.thread(slot) !== 0) return position;
    return ++this.#unreached <= UNREACHED_LIMIT * this.#threads ? { ...position, foreign: true } : position;
  }

  /**
   * The error that ends the run when this crash is one too many before any worker loaded the task (`loads` is the
   * count of chunks that began with it loaded); undefined otherwise. A crash of foreign code is not counted.
   */
  judge(failure: ChunkFailure, at: DeathPoint, loads: number, error: unknown): RunError | undefined {
    if (failure.kind !== 'crash' || at.foreign === true || loads !== 0) return undefined;
    if (++this.#crashesBeforeLoad < STARTUP_CRASH_LIMIT) return undefined;
    const detail = `${failure.exitCode === undefined ? '' : `exit code ${failure.exitCode}: `}${String((error as Error)?.message)}`;
    const message =
      `workers keep dying before the task is loaded (${this.#crashesBeforeLoad} in a row, last: ${detail}); ` +
      'check that the task module can be imported on its own';
    return new RunError(ErrorCodes.STARTUP_FAILED, message, { cause: error });
  }
}
