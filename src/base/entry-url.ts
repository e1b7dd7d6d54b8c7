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

/** The `file:` URL of a worker entry. `src/base/` and `dist/src/base/` are both two levels below the root. */
export function workerEntryUrl(kind: WorkerEntry): URL {
  const entry = ENTRIES[kind];
  return new URL(`../../workers/${fromSource ? entry.source : entry.built}`, import.meta.url);
}
