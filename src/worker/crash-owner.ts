/**
 * Worker side: whose code ended this worker. A chunk's code (its items, and the timers, promise callbacks and
 * listeners they set up, or its task module's when the chunk loaded it) is tagged with the chunk, so that when the
 * worker ends (`process.exit()` anywhere, or an uncaught exception) the code that ended it names its chunk; each
 * chunk still running in the worker that is not that one (a chunk of another run, or an earlier chunk of the same
 * run whose items have their outcomes already) is marked in its progress slot as killed by foreign code. The
 * dispatcher runs such a chunk again as it was: its items are not charged.
 *
 * Two ways to tag, by what a context costs:
 * - Where AsyncLocalStorage is built on AsyncContextFrame (Node 24 and later by default; Node 22 with
 *   `--experimental-async-context-frame`), a context costs next to nothing: every chunk runs in one.
 * - Elsewhere (Node 20 and 22) a context rides on async hooks, and while they are enabled every promise the worker
 *   creates pays ~0.5 µs for them: an async task of ~1 µs per item ran at 1.0× a plain loop on 2 cores instead of
 *   1.6× (`node bench/probes/ab-map.mjs`). There the hook is enabled only while a tracked chunk runs, and a
 *   chunk is tracked unless its run's items are known to await (an earlier chunk of the run in this worker awaited
 *   one), and only until its first item that awaits, unless a worker of this process has died (the dispatcher then
 *   says `own`). A synchronous task's chunks
 *   are always tracked (they create hardly a promise), so the timers they leave behind carry their chunk; so do
 *   those of an async task's first chunk in each worker. What is left untagged (code set up by an async task's
 *   later chunks before any death, or set up later by untagged code) names no chunk: the progress slot decides,
 *   as for a death with no chunk's code running.
 *
 * A death whose code runs in no chunk's context (batchtools' own code, a context the platform lost) marks
 * nothing: the progress slot then decides, as before.
 */
import { AsyncLocalStorage, createHook, executionAsyncResource } from 'node:async_hooks';
import { SLOT_FOREIGN, slotItemAt } from '../transport/protocol.ts';

/** A chunk running in this worker: where its progress slot is. The object is the chunk's identity. */
export interface OwnedChunk {
  ints: Int32Array;
  slot: number;
}

/** Whether AsyncLocalStorage rides on AsyncContextFrame here (no per-promise hooks), from the version and flags. */
export function contextFramesIn(version: string, flags: readonly string[]): boolean {
  if (flags.includes('--no-async-context-frame')) return false;
  return Number(version.split('.')[0]) >= 24 || flags.includes('--experimental-async-context-frame');
}

const FRAMES = contextFramesIn(process.versions.node, [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]);

const frames = FRAMES ? new AsyncLocalStorage<OwnedChunk>() : undefined;

/** The tag of an async resource (hook mode): the chunk whose code created it. */
const OWNER = Symbol('batchtools.chunk');
type Tagged = { [OWNER]?: OwnedChunk };
/** Hook mode: the tracked chunk whose code runs synchronously now. */
let syncOwner: OwnedChunk | undefined;
/** Hook mode: tracked chunks running (the hook is enabled while there are any). */
let tracking = 0;
const hook = FRAMES
  ? undefined
  : createHook({
      init(_asyncId, _type, _triggerId, resource) {
        const owner = syncOwner ?? (executionAsyncResource() as Tagged)[OWNER];
        if (owner !== undefined) (resource as Tagged)[OWNER] = owner;
      },
    });

/** The chunk whose code runs now, if known. */
export function ownerNow(): OwnedChunk | undefined {
  if (frames !== undefined) return frames.getStore();
  return syncOwner ?? (executionAsyncResource() as Tagged)[OWNER];
}

/** Whether ownership tracking rides on cheap contexts here (every chunk is then tracked). */
export const cheapContexts = FRAMES;

const running = new Set<OwnedChunk>();
/** The owner seen by the uncaught-exception monitor, for the 'exit' that follows it in the same turn. */
let failing: OwnedChunk | undefined;

/**
 * Run one chunk's work, tagged with the chunk when `track` is true (always where contexts are cheap); the chunk
 * counts as running until the returned promise settles. `work` may call its `untrack` argument to stop tagging
 * what the chunk's code creates from then on (hook mode: when its items turn out to await; see the file's note).
 */
export async function runOwned<T>(chunk: OwnedChunk, track: boolean, work: (untrack: () => void) => Promise<T>): Promise<T> {
  listen();
  running.add(chunk);
  try {
    if (frames !== undefined) return await frames.run(chunk, work, noop);
    if (!track) return await work(noop);
    let tracked = true;
    const untrack = (): void => {
      if (!tracked) return;
      tracked = false;
      if (--tracking === 0) hook!.disable();
    };
    if (tracking++ === 0) hook!.enable();
    let pending: Promise<T>;
    const outer = syncOwner;
    syncOwner = chunk;
    try {
      pending = work(untrack);
    } finally {
      syncOwner = outer;
    }
    try {
      return await pending;
    } finally {
      untrack();
    }
  } finally {
    running.delete(chunk);
  }
}

const noop = (): void => {};

let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('uncaughtExceptionMonitor', () => {
    failing = ownerNow();
    // A task's own 'uncaughtException' handler may keep the worker alive: then this owner is stale next turn.
    queueMicrotask(() => {
      failing = undefined;
    });
  });
  process.on('exit', () => {
    const culprit = ownerNow() ?? failing;
    if (culprit === undefined) return;
    for (const chunk of running) if (chunk !== culprit) Atomics.store(chunk.ints, slotItemAt(chunk.slot), SLOT_FOREIGN);
  });
}
