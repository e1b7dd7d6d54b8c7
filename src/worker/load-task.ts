/**
 * Worker side: load a task (module export or inline source) once per worker, run its `setup()` once, and cache
 * the function. TypeScript modules load through src/base/typescript.ts (Node's type stripping, or tsx).
 */
import { fileURLToPath } from 'node:url';
import { importModule } from '../base/typescript.ts';
import { BatchtoolsError, ErrorCodes, TaskLoadError } from '../errors.ts';
import type { TaskFunction, TaskSpec } from '../task.ts';
import { loadComposite } from './composite.ts';

/** A loaded task: the function to call for each item. */
export type LoadedTask = TaskFunction<unknown, unknown>;

const cache = new Map<string, Promise<LoadedTask>>();

/** Load (or fetch from this worker's cache) the function a spec names. Rejects with a {@link TaskLoadError}. */
export function loadTask(spec: TaskSpec): Promise<LoadedTask> {
  if (spec.kind === 'composite') return loadComposite(spec, loadTask);
  const key = spec.kind === 'module' ? `m:${spec.url}#${spec.exportName}` : `i:${spec.source}`;
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = spec.kind === 'module' ? loadModuleTask(spec.url, spec.exportName) : compileInline(spec.source, spec.name);
    cache.set(key, loaded);
  }
  return loaded;
}

const setupDone = new Map<string, Promise<void>>();

async function loadModuleTask(url: string, exportName: string): Promise<LoadedTask> {
  const where = url.startsWith('file:') ? fileURLToPath(url) : url;
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url);
  } catch (error) {
    throw new TaskLoadError(`task module ${where} failed to load: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  const exported = mod[exportName];
  if (exported === undefined) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    throw new TaskLoadError(
      `task module ${where} has no export "${exportName}"` +
        (names.length > 0 ? ` (its function exports: ${names.join(', ')})` : ' (it exports no functions)'),
    );
  }
  if (typeof exported !== 'function') {
    throw new TaskLoadError(
      `export "${exportName}" of ${where} is ${exported === null ? 'null' : `a ${typeof exported}`}, expected a function`,
    );
  }
  const setup = mod['setup'];
  if (typeof setup === 'function' && exportName !== 'setup') {
    let done = setupDone.get(url);
    if (!done) {
      done = Promise.resolve()
        .then(() => (setup as () => unknown)())
        .then(() => undefined);
      setupDone.set(url, done);
    }
    try {
      await done;
    } catch (error) {
      throw new TaskLoadError(`setup() of ${where} failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  }
  return exported as LoadedTask;
}

function compileInline(source: string, name: string): Promise<LoadedTask> {
  const attempts = [`return (${source});`];
  // Method shorthand (`score(x) { ... }`) is not an expression on its own; wrap it in an object literal.
  if (name && /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(name)) attempts.push(`return ({ ${source} })[${JSON.stringify(name)}];`);
  let lastError: unknown;
  for (const body of attempts) {
    try {
      // Inline tasks are source text by design: compiling them is the point.
      const fn = new Function(body)() as unknown;
      if (typeof fn === 'function') return Promise.resolve(fn as LoadedTask);
    } catch (error) {
      lastError = error;
    }
  }
  return Promise.reject(
    new TaskLoadError(
      `inline function ${name || '(anonymous)'} could not be compiled in the worker: ${
        (lastError as Error)?.message ?? 'not a function expression'
      }; inline tasks must be self-contained functions`,
      { cause: lastError },
    ),
  );
}

/**
 * Explain a ReferenceError thrown by an inline task: it almost always means the function used a variable from
 * the scope it was written in, which does not exist in the worker.
 */
export function explainInlineError(error: unknown, name: string): unknown {
  if (!(error instanceof ReferenceError)) return error;
  const match = /^(\S+) is not defined$/.exec(error.message);
  if (!match) return error;
  return new BatchtoolsError(
    ErrorCodes.INLINE_CLOSURE,
    `inline function ${name || '(anonymous)'} refers to \`${match[1]}\`, which is not defined inside it: inline ` +
      'functions are sent to workers as source text and must be self-contained; pass the value in the item, or ' +
      'use defineTask() with a module',
    { cause: error },
  );
}
