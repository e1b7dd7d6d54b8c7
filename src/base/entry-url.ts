/**
 * Where each worker entry lives: `dist/workers/<name>.js` (the batch worker: `batch-entry.cjs`) when batchtools
 * runs built, the `workers/` development entries (which register the TypeScript loader first) when it runs from its
 * sources. The one resolver for every kind of worker; a new kind adds a row.
 */

/** The worker entries: the built file and the development entry, both in `workers/`. */
const ENTRIES = {
  /** The pool's batch worker (piscina runs it; a CommonJS entry that imports `batch.js`, see batch-entry.cts). */
  batch: { built: 'batch-entry.cjs', source: 'dev-entry.mjs' },
  /** A dedicated worker of `rt.spawn()`. */
  dedicated: { built: 'dedicated.js', source: 'dedicated-dev.mjs' },
  /** One bench suite in a fresh worker. */
  suite: { built: 'suite.js', source: 'suite-dev.mjs' },
} as const;

/** A kind of worker entry. */
export type WorkerEntry = keyof typeof ENTRIES;

/** True when this module runs from the TypeScript sources (tests, `src/` imports), not from `dist/`. */
export const fromSource = import.meta.url.endsWith('.ts');

/**
 * Whether worker threads start from the built files. From the sources they do when `BT_DEV_BUILT_WORKERS=1`: the
 * test suite sets it, having rebuilt `dist/` from the same sources (test/fixtures/built.ts), because a worker that
 * compiles the sources through tsx at every start made each new pool ~0.4 s slower.
 */
const builtWorkers = !fromSource || process.env['BT_DEV_BUILT_WORKERS'] === '1';

/**
 * The package's `dist/` directory (built) or its root (sources), from this module's own URL: found by name, not by
 * depth, since the bundler may put this code in a file of any folder of `dist/src/` (a door's entry, a shared
 * chunk). A copy of the built files without a `dist/src/` folder falls back to two levels up, as before bundling.
 */
function baseDir(): URL {
  const here = import.meta.url;
  const marker = fromSource ? '/src/' : '/dist/src/';
  const at = here.lastIndexOf(marker);
  if (at === -1) return new URL('../../', here);
  return new URL(here.slice(0, at + (fromSource ? 1 : '/dist/'.length)));
}

/** The `file:` URL of a worker entry. */
export function workerEntryUrl(kind: WorkerEntry): URL {
  const entry = ENTRIES[kind];
  if (!builtWorkers) return new URL(`workers/${entry.source}`, baseDir());
  return new URL(`${fromSource ? 'dist/' : ''}workers/${entry.built}`, baseDir());
}

/**
 * The `file:` URL of a module of `src/` that worker threads import by path, named without its extension
 * (`cli/line-worker`): the built file when the workers are built ({@link workerEntryUrl}), else the source.
 */
export function workerModuleUrl(path: string): URL {
  if (!builtWorkers) return new URL(`src/${path}.ts`, baseDir());
  return new URL(`${fromSource ? 'dist/' : ''}src/${path}.js`, baseDir());
}
