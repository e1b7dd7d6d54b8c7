/**
 * Error classes and their stable codes, in one list.
 *
 * Every error batchtools raises is a {@link BatchtoolsError} with a `code` from {@link ErrorCodes}. Codes are API:
 * they never change meaning. Use `isBatchtoolsError(e)` rather than `instanceof` when two copies of the package
 * may be loaded (the brand survives that).
 */

/** Every stable error code, documented in one place. */
export const ErrorCodes = {
  /** An option has the wrong type or is out of range. Thrown before any work starts. */
  INVALID_OPTION: 'BT_INVALID_OPTION',
  /** `items` is not an array, iterable or async iterable, or an input item is unusable. */
  INVALID_INPUT: 'BT_INVALID_INPUT',
  /** The task module could not be loaded, lacks the named export, or the export is not a function. */
  TASK_LOAD: 'BT_TASK_LOAD',
  /** The task function threw or rejected for one item. `cause` holds the task's own error. */
  TASK_FAILED: 'BT_TASK_FAILED',
  /** An item or a result cannot cross threads (a function, a symbol, a class instance with private state...). */
  DATA_CLONE: 'BT_DATA_CLONE',
  /** An inline task function refers to a variable outside its own body. */
  INLINE_CLOSURE: 'BT_INLINE_CLOSURE',
  /** The worker running the item exited or crashed. `exitCode` says how. */
  WORKER_CRASHED: 'BT_WORKER_CRASHED',
  /** The worker running the item ran out of heap (its `maxHeapMb` limit). */
  WORKER_OOM: 'BT_WORKER_OOM',
  /** The item ran past its `timeout` deadline; its worker was terminated. */
  TIMEOUT: 'BT_TIMEOUT',
  /** Workers die while starting, before running any item: the run stops instead of respawning forever. */
  STARTUP_FAILED: 'BT_STARTUP_FAILED',
  /** The failure rate passed the circuit breaker's threshold; the run stopped dispatching. */
  CIRCUIT_OPEN: 'BT_CIRCUIT_OPEN',
  /** A call to a dedicated worker that was closed (before or while the call was pending). */
  WORKER_CLOSED: 'BT_WORKER_CLOSED',
  /** A bench suite file failed to import, or does not default-export a tinybench `Bench` (or a function returning one). */
  SUITE_LOAD: 'BT_SUITE_LOAD',
  /** A bench suite threw while running. */
  SUITE_FAILED: 'BT_SUITE_FAILED',
  /** A bench suite's worker ended before the suite finished. */
  SUITE_CRASHED: 'BT_SUITE_CRASHED',
  /** A bench suite ran past its timeout; its worker was terminated. */
  SUITE_TIMEOUT: 'BT_SUITE_TIMEOUT',
  /** A bench result document (a baseline) is unreadable, not ours, of another schema version, or malformed. */
  SUITE_INVALID_RESULT: 'BT_SUITE_INVALID_RESULT',
  /** The runtime was closed; no new work is accepted. */
  RUNTIME_CLOSED: 'BT_RUNTIME_CLOSED',
  /**
   * A cluster worker cannot run the job's task as the producer named it: the module is missing there, outside the
   * worker's `--root` directories, unloadable, or its sha256 differs. The run stops, naming the worker's host and path.
   */
  TASK_MISMATCH: 'BT_TASK_MISMATCH',
  /**
   * The cluster's Redis cannot be used: unreachable (within 10 s), older than 6.2, an eviction policy other than
   * `noeviction`, or refused the credentials. The message names the address (never the password).
   */
  CLUSTER_UNAVAILABLE: 'BT_CLUSTER_UNAVAILABLE',
} as const;

/** A stable error code string. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const brand = Symbol.for('batchtools.error');

/** Base class of every error batchtools raises. */
export class BatchtoolsError extends Error {
  /** The stable code, one of {@link ErrorCodes}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    Object.defineProperty(this, brand, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** True for any batchtools error, even one from another copy of the package. */
export function isBatchtoolsError(value: unknown): value is BatchtoolsError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** An option failed validation. `option` names it (`options.threads`). */
export class InvalidOptionError extends BatchtoolsError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(ErrorCodes.INVALID_OPTION, message);
    this.option = option;
  }
}

/** The input is unusable (not iterable, or an item that cannot be sent). */
export class InvalidInputError extends BatchtoolsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.INVALID_INPUT, message, options);
  }
}

/** The task module could not be loaded or does not export a function under that name. */
export class TaskLoadError extends BatchtoolsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.TASK_LOAD, message, options);
  }
}

/** Fields every per-item failure carries. */
export interface ItemFailureInfo {
  /** Position of the item in the input (0-based). */
  index: number;
  /** How many times the item was run (1 when it was not retried). */
  attempts: number;
}

/**
 * One item failed. `code` says why (task threw, worker crashed, out of memory, timeout, clone failure, not run);
 * `cause` keeps the original error with its name, message, stack and own fields.
 */
export class ItemError extends BatchtoolsError implements ItemFailureInfo {
  readonly index: number;
  readonly attempts: number;
  /** Exit code of the worker, for {@link ErrorCodes.WORKER_CRASHED}. */
  readonly exitCode?: number;

  constructor(
    code: ErrorCode,
    message: string,
    info: ItemFailureInfo & { cause?: unknown; exitCode?: number },
  ) {
    super(code, message, 'cause' in info ? { cause: info.cause } : undefined);
    this.index = info.index;
    this.attempts = info.attempts;
    if (info.exitCode !== undefined) this.exitCode = info.exitCode;
  }
}

/** The whole run failed (breaker tripped, start-up crash loop). Not tied to one item. */
export class RunError extends BatchtoolsError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A dedicated worker crashed, ran out of memory, was closed, or a call to it timed out. */
export class WorkerError extends BatchtoolsError {
  /** Exit code of the worker, when it exited. */
  readonly exitCode?: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
  }
}

/** The runtime was closed. */
export class RuntimeClosedError extends BatchtoolsError {
  constructor(message = 'the runtime is closed; create a new one with createRuntime()') {
    super(ErrorCodes.RUNTIME_CLOSED, message);
  }
}

/**
 * An error rebuilt from a worker's envelope whose class is not a built-in one. Its `name`, `message`, `stack`,
 * `code` and own fields are the original's.
 */
export class RemoteError extends Error {
  [key: string]: unknown;
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  }
}

/** Short, one-line description of any thrown value, for messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return String(error);
}
