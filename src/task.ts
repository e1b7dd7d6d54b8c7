/**
 * Tasks: what a worker runs for each item. A task is either a module export (`defineTask`) or a self-contained
 * inline function, serialized into the worker by its source text.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatValue, invalidType, outOfRange } from './base/validate.ts';
import { InvalidOptionError, TaskLoadError } from './errors.ts';
import type { Remote } from './rpc/remote.ts';

/** What a task function receives as its second argument. `H` is the type of the run's `host` object. */
export interface TaskContext<H = unknown> {
  /** Aborted when the run is cancelled; check it in long loops to stop early. */
  readonly signal: AbortSignal;
  /** Index of the current item in the input (0-based). */
  readonly index: number;
  /** The worker thread's id (stable for the worker's life). */
  readonly workerId: number;
  /**
   * The run's `host` object as a comlink Remote: its functions run on the main thread and return promises.
   * Undefined when the run has no `host`.
   */
  readonly host: Remote<H>;
}

/** The shape of a task function: one input item in, one result (or a promise of it) out. */
export type TaskFunction<I, O> = (item: I, context: TaskContext) => O | PromiseLike<O>;

const TASK = Symbol.for('batchtools.task');

/** The description of a task as it is sent to workers (plain, cloneable). */
export type TaskSpec = SingleTaskSpec | CompositeTaskSpec;

/** One function: a module export or an inline function's source. */
export type SingleTaskSpec =
  | { readonly kind: 'module'; readonly url: string; readonly exportName: string }
  | { readonly kind: 'inline'; readonly source: string; readonly name: string };

/**
 * Several pipeline stages fused into one task: the worker runs them one after another on each item of a chunk,
 * in one call. `stage` is the stage's position in its pipeline and `name` its name (failures carry both).
 */
export interface CompositeTaskSpec {
  readonly kind: 'composite';
  readonly stages: ReadonlyArray<{
    readonly op: 'map' | 'filter' | 'flatMap';
    readonly task: SingleTaskSpec;
    readonly stage: number;
    readonly name: string;
  }>;
}

/**
 * A handle to a task, created by {@link defineTask}. The type parameters carry the item and result types so that
 * `parallelMap(items, task)` infers its result type.
 */
export interface Task<I, O> {
  readonly [TASK]: true;
  /** What the worker loads. */
  readonly spec: TaskSpec;
  /** Phantom fields for inference; never set at run time. */
  readonly __input?: I;
  readonly __output?: O;
}

/** Anything accepted where a task is expected. */
export type TaskLike<I, O> = Task<I, O> | TaskFunction<I, O>;

/** The names of the function exports of a module type `M` (what {@link defineTask} accepts for a typed module). */
export type TaskExportName<M> = {
  [K in keyof M & string]: M[K] extends (item: never, ...rest: never[]) => unknown ? K : never;
}[keyof M & string];

/** The item type a task function takes (its first parameter). */
export type TaskInput<F> = F extends (item: infer I, ...rest: never[]) => unknown ? I : never;

/** The result type a task function gives (its return value, promises unwrapped). */
export type TaskOutput<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

const MODULE = Symbol.for('batchtools.taskModule');

/**
 * A task module with its type: made by {@link taskModule}, passed to {@link defineTask}, which then checks the
 * export name and infers the item and result types from the export.
 */
export interface TaskModule<M> {
  readonly [MODULE]: true;
  /** The module's URL, as the workers load it. */
  readonly url: string;
  /** Phantom field for inference; never set at run time. */
  readonly __module?: M;
}

/**
 * Name a module, with its type, for typed tasks:
 *
 * ```ts
 * const scoring = taskModule<typeof import('./score.js')>(new URL('./score.js', import.meta.url));
 * const score = defineTask(scoring, 'score'); // Task<Text, number>, from the export's signature
 * defineTask(scoring, 'scroe');               // compile error: not a function export of ./score.js
 * ```
 *
 * `typeof import()` is a type only: the module is not loaded on the main thread.
 *
 * @param module A `file:` URL or a path (absolute, or relative to the current working directory).
 * @throws {InvalidOptionError} when `module` is not a URL or a non-empty string.
 */
export function taskModule<M>(module: URL | string): TaskModule<M> {
  return Object.freeze({ [MODULE]: true as const, url: toModuleUrl(module) });
}

/**
 * Name a function exported by a module as a task. The module is loaded once per worker; if it exports `setup()`,
 * that runs once per worker before its first chunk.
 *
 * Typed from the module: `defineTask(taskModule<typeof import('./score.js')>(url), 'score')` infers the item and
 * result types from the export and rejects a name that is not a function export, at compile time. Typed by hand:
 * `defineTask<Item, Result>(url, 'score')`.
 *
 * @param module A {@link taskModule}, a `file:` URL (`new URL('./score.js', import.meta.url)`) or a path (absolute,
 *   or relative to the current working directory). `.js`, `.mjs`, `.cjs` and `.ts` / `.mts` modules work
 *   (TypeScript without a build).
 * @param exportName The export to run. Default `'default'`.
 * @throws {InvalidOptionError} when `module` or `exportName` is not of the right type.
 */
export function defineTask<M, K extends TaskExportName<M>>(
  module: TaskModule<M>,
  exportName: K,
): Task<TaskInput<M[K]>, TaskOutput<M[K]>>;
export function defineTask<M extends { default: (item: never, ...rest: never[]) => unknown }>(
  module: TaskModule<M>,
): Task<TaskInput<M['default']>, TaskOutput<M['default']>>;
export function defineTask<I = unknown, O = unknown>(module: URL | string, exportName?: string): Task<I, O>;
export function defineTask(module: TaskModule<unknown> | URL | string, exportName: unknown = 'default'): Task<unknown, unknown> {
  return Object.freeze({ [TASK]: true as const, spec: moduleSpec(isTaskModule(module) ? module.url : module, exportName) });
}

/** The spec of a module task (see {@link defineTask} for the arguments and what it throws). */
export function moduleSpec(module: URL | string, exportName: unknown = 'default'): Extract<TaskSpec, { kind: 'module' }> {
  const url = toModuleUrl(module);
  if (typeof exportName !== 'string') throw invalidType('exportName', 'a non-empty string', exportName);
  if (exportName.length === 0) throw outOfRange('exportName', 'a non-empty string', exportName);
  return Object.freeze({ kind: 'module' as const, url, exportName });
}

function isTaskModule(value: unknown): value is TaskModule<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MODULE] === true;
}

/** True for a handle made by {@link defineTask} (or by the runtime from an inline function). */
export function isTask(value: unknown): value is Task<unknown, unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK] === true;
}

/** @internal A handle for a spec built by the runtime itself (a pipeline's fused stages). */
export function taskFromSpec<I, O>(spec: TaskSpec): Task<I, O> {
  return Object.freeze({ [TASK]: true as const, spec });
}

/**
 * Turn a task-like value into a task handle, validating it. Inline functions are checked to be serializable:
 * plain, arrow, async or method-shorthand functions whose source text can be compiled on its own.
 */
export function toTask<I, O>(task: unknown, optionName = 'task'): Task<I, O> {
  if (isTask(task)) return task as Task<I, O>;
  if (typeof task !== 'function') {
    throw new InvalidOptionError(
      optionName,
      `\`${optionName}\` must be a task from defineTask() or a self-contained function, got ${formatValue(task)}`,
    );
  }
  const source = Function.prototype.toString.call(task);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new InvalidOptionError(
      optionName,
      `\`${optionName}\` is a native or bound function (${task.name || 'anonymous'}); inline tasks are sent to ` +
        'workers as source text, so pass a plain function or use defineTask() with a module',
    );
  }
  if (source.startsWith('class ')) {
    throw new InvalidOptionError(optionName, `\`${optionName}\` is a class; pass a function`);
  }
  return Object.freeze({
    [TASK]: true as const,
    spec: Object.freeze({ kind: 'inline' as const, source, name: task.name }),
  });
}

/**
 * Check, on the main thread and before any work starts, that a module task's file exists.
 * The export itself is checked by the first worker that loads the module.
 */
export function checkTaskFile(spec: TaskSpec): void {
  if (spec.kind === 'composite') {
    for (const s of spec.stages) checkTaskFile(s.task);
    return;
  }
  if (spec.kind !== 'module' || !spec.url.startsWith('file:') || checkedFiles.has(spec)) return;
  const path = fileURLToPath(spec.url);
  if (!existsSync(path)) {
    throw new TaskLoadError(`task module not found: ${path} (check the path given to defineTask())`);
  }
  if (!statSync(path).isFile()) {
    throw new TaskLoadError(`task module is not a file: ${path}`);
  }
  checkedFiles.add(spec);
}

/** Task handles whose file was found once: a map per call need not stat it again. */
const checkedFiles = new WeakSet<TaskSpec>();

function toModuleUrl(module: URL | string): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string') throw invalidType('module', 'a file URL or a path string', module);
  if (module.length === 0) throw outOfRange('module', 'a file URL or a path string', module);
  if (/^(file|data|node):/.test(module)) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
}

/** The grammar's value formatter lives in the base; re-exported for the modules that import it from here. */
export { formatValue } from './base/validate.ts';
