/**
 * Worker side: whose code ended this worker. Every chunk runs inside its own async context (AsyncLocalStorage),
 * which the timers, promise callbacks and listeners its items (or its task module, when the chunk loaded it) set
 * up inherit. When the worker ends (`process.exit()` anywhere, or an uncaught exception), the code that ended it
 * runs in some chunk's context; each chunk still running in the worker whose context it is not (a chunk of another
 * run, or an earlier chunk of the same run whose items have their outcomes already) is marked in its progress
 * slot as killed by foreign code. The dispatcher runs such a chunk again as it was: its items are not charged.
 *
 * A death whose code runs in no chunk's context (batchtools' own code, a context the platform lost) marks
 * nothing: the progress slot then decides, as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SLOT_FOREIGN, slotItemAt } from '../transport/protocol.ts';

/** A chunk running in this worker: where its progress slot is. The object is the chunk's identity. */
export interface OwnedChunk {
  ints: Int32Array;
  slot: number;
}

const owner = new AsyncLocalStorage<OwnedChunk>();
const running = new Set<OwnedChunk>();
/** The owner seen by the uncaught-exception monitor, for the 'exit' that follows it in the same turn. */
let failing: OwnedChunk | undefined;

/** Run one chunk's work in its own context; the chunk counts as running until the returned promise settles. */
export async function runOwned<T>(chunk: OwnedChunk, work: () => Promise<T>): Promise<T> {
  listen();
  running.add(chunk);
  try {
    return await owner.run(chunk, work);
  } finally {
    running.delete(chunk);
  }
}

let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('uncaughtExceptionMonitor', () => {
    failing = owner.getStore();
    // A task's own 'uncaughtException' handler may keep the worker alive: then this owner is stale next turn.
    queueMicrotask(() => {
      failing = undefined;
    });
  });
  process.on('exit', () => {
    const culprit = owner.getStore() ?? failing;
    if (culprit === undefined) return;
    for (const chunk of running) if (chunk !== culprit) Atomics.store(chunk.ints, slotItemAt(chunk.slot), SLOT_FOREIGN);
  });
}
