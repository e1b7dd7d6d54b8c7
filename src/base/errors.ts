/**
 * Error classes and their stable codes, in one list: the base every product shares.
 *
 * Every error batchtools raises carries a `code` from {@link ErrorCodes}. Codes are API: they never change meaning.
 * Identity survives two copies of the package (a dependency that bundles its own): each error is branded with
 * `Symbol.for` keys, and `instanceof` on every class here checks the brand (`Symbol.hasInstance`), so
 * `e instanceof ItemError` holds for an `ItemError` made by another copy.
 *
 * Argument errors follow Node's convention: a wrong type (or an unknown option) is an {@link InvalidOptionError} that
 * is also `instanceof TypeError`; a number out of range is one that is also `instanceof RangeError`. A non-iterable
 * `items` is an {@link InvalidInputError} that is also `instanceof TypeError`.
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
  /**
   * An invariant of batchtools itself broke (a bug): a run accounted for more or fewer outcomes than its input has
   * items. The call rejects rather than return results that could be wrong. Please report it.
   */
  INTERNAL: 'BT_INTERNAL',
} as const;

/** A stable error code string. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Brand present on every batchtools error (kept from 0.1, so older copies still recognise ours). */
const BRAND = Symbol.for('batchtools.error');
/** The class names an error is an instance of (most derived first), for `instanceof` across copies. */
const KINDS = Symbol.for('batchtools.error.kinds');

type ErrorClass = abstract new (...args: never[]) => Error;
const ROOTS: ReadonlySet<unknown> = new Set([Error, TypeError, RangeError, Function.prototype, null]);

/** Brand `error` as made by `ctor` (and its batchtools ancestors), with `code`. */
function stamp(error: Error, ctor: ErrorClass, extraKinds: readonly string[] = []): void {
  const kinds: string[] = [];
  for (let c: unknown = ctor; !ROOTS.has(c); c = Object.getPrototypeOf(c)) kinds.push((c as { name: string }).name);
  for (const k of [...extraKinds, 'BatchtoolsError']) if (!kinds.includes(k)) kinds.push(k);
  Object.defineProperty(error, BRAND, { value: true });
  Object.defineProperty(error, KINDS, { value: Object.freeze(kinds) });
}

/** `value instanceof cls`, also true for an error branded by another copy of the package as that class. */
function brandedInstanceOf(cls: ErrorClass, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Function.prototype[Symbol.hasInstance].call(cls, value)) return true;
  const kinds = (value as Record<symbol, unknown>)[KINDS];
  return Array.isArray(kinds) && kinds.includes(cls.name);
}

/** Base class of every error batchtools raises (the option and input errors are branded as it, see above). */
export class BatchtoolsError extends Error {
  /** The stable code, one of {@link ErrorCodes}. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    stamp(this, new.target);
  }

  override get name(): string {
    return this.constructor.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about (a subclass too)
    return brandedInstanceOf(this, value);
  }
}

/** True for any batchtools error, even one from another copy of the package. */
export function isBatchtoolsError(value: unknown): value is BatchtoolsError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * An option failed validation; `option` names it (`options.threads`). Also `instanceof TypeError`; a value out of
 * range is made by {@link InvalidOptionError.range} and is `instanceof RangeError` instead (and still
 * `instanceof InvalidOptionError`, code `BT_INVALID_OPTION`).
 */
export class InvalidOptionError extends TypeError {
  /** Always `BT_INVALID_OPTION`. */
  readonly code: typeof ErrorCodes.INVALID_OPTION = ErrorCodes.INVALID_OPTION;
  /** The option, as a path: `options.retries.factor`. */
  readonly option: string;

  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.option = option;
    stamp(this, new.target);
  }

  /** The same error for a value of the right type outside its range: `instanceof RangeError`. */
  static range(option: string, message: string): InvalidOptionError {
    return new OptionRangeError(option, message) as unknown as InvalidOptionError;
  }

  override get name(): string {
    return 'InvalidOptionError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about (a subclass too)
    return brandedInstanceOf(this, value);
  }
}

/** The out-of-range face of {@link InvalidOptionError} (not exported: use `InvalidOptionError.range`). */
class OptionRangeError extends RangeError {
  readonly code: typeof ErrorCodes.INVALID_OPTION = ErrorCodes.INVALID_OPTION;
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
    stamp(this, new.target, ['InvalidOptionError']);
  }

  override get name(): string {
    return 'InvalidOptionError';
  }
}

/** The input is unusable (not iterable, or an item that cannot be sent). Also `instanceof TypeError`. */
export class InvalidInputError extends TypeError {
  /** Always `BT_INVALID_INPUT`. */
  readonly code: typeof ErrorCodes.INVALID_INPUT = ErrorCodes.INVALID_INPUT;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    stamp(this, new.target);
  }

  override get name(): string {
    return 'InvalidInputError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about (a subclass too)
    return brandedInstanceOf(this, value);
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
