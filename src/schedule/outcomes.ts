/**
 * Outcomes, in one place: what a finished chunk's items become, and what a failed chunk becomes (pieces to run
 * again, and items that failed). Retries and the circuit breaker act on the failed items this returns; the
 * dispatcher only carries the decisions out.
 */
import { ErrorCodes, ItemError } from '../errors.ts';
import { fromEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { sliceItems, type Batch } from './source.ts';

/** A batch of items with its bookkeeping, as queued for (re)dispatch. */
export interface Work {
  batch: Batch;
  /** Attempt number of the items (1 for first runs; retries of a lone item count up). */
  attempts: number;
  /** Run in isolation mode: the worker verifies results can be cloned, and a lone item that fails is final. */
  isolating: boolean;
  /** Times this work was sent again as it was because its worker died before its first item began. */
  unstarted?: number;
  /** A piece of a chunk that gave way to a hungry worker (work stealing). */
  stolen?: boolean;
}

/** A chunk whose worker died before it began is sent again as it is at most this often, then split. */
const UNSTARTED_RESENDS = 2;

/** Why a whole chunk failed (no per-item results came back). */
export interface ChunkFailure {
  kind: 'oom' | 'crash' | 'clone' | 'timeout';
  /** The worker's exit code, for crashes that report one. */
  exitCode?: number;
  /** The error piscina or the platform reported. */
  error: unknown;
}

/** Classify the rejection of a chunk's pool task (timeouts are known to the dispatcher, not classified here). */
export function classifyChunkError(error: unknown): ChunkFailure {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { kind: 'oom', error };
  if (e?.name === 'DataCloneError') return { kind: 'clone', error };
  const exit = typeof e?.message === 'string' ? /worker exited with code: (-?\d+)/.exec(e.message) : null;
  if (exit?.[1] !== undefined) return { kind: 'crash', exitCode: Number(exit[1]), error };
  // An uncaught exception in the worker (thrown from a timer, say) ends it with exit code 1.
  return { kind: 'crash', exitCode: 1, error };
}

/** The error structured clone throws for `item` (a DataCloneError, or what a getter threw), or undefined. */
export function cloneError(item: unknown): unknown {
  try {
    structuredClone(item);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** What a failed chunk becomes. */
export interface FailureDecision {
  /** Pieces to run again, in input order. */
  requeue: Work[];
  /** Items that failed on this attempt (retries decide whether they run again). */
  failed: ItemError[];
}

const piece = (batch: Batch, from: number, to: number, attempts: number, isolating: boolean): Work[] =>
  to > from ? [{ batch: { start: batch.start + from, items: sliceItems(batch.items, from, to) }, attempts, isolating }] : [];

/**
 * What the untouched rest of a chunk that gave way becomes (work stealing): `pieces` equal consecutive pieces of
 * items `ran..`, in input order, one for each hungry worker and one for the worker that gave way.
 */
export function splitRest(work: Work, ran: number, pieces: number): Work[] {
  const { batch, attempts } = work;
  const rest = batch.items.length - ran;
  const count = Math.max(1, Math.min(rest, pieces));
  const out: Work[] = [];
  for (let p = 0, at = ran; p < count; p++) {
    const size = Math.floor(rest / count) + (p < rest % count ? 1 : 0);
    out.push({ batch: { start: batch.start + at, items: sliceItems(batch.items, at, at + size) }, attempts, isolating: false, stolen: true });
    at += size;
  }
  return out;
}

/** Where the worker was in its chunk when it died: the item it was running (null: none yet), and whether that item was awaiting. */
export interface DeathPoint {
  /** Offset of the running item; the chunk length when it died while replying; null when no item had started. */
  item: number | null;
  /** The item was awaiting a promise, so other code (an earlier item's timer, say) may have run and killed it. */
  awaiting: boolean;
  /** The worker said the code that ended it was another chunk's (another run's timer, say): no item here is to blame. */
  foreign?: true;
  /** The pipeline stage it was in (fused stages record it in the progress slot); undefined for a single task. */
  stage?: number | undefined;
}

/**
 * Own, non-enumerable field of an ItemError for a worker that died (crash, out of memory, timeout) inside fused
 * pipeline stages: the number of the stage that was running, as the worker recorded it in its progress slot.
 */
export const FAILED_STAGE = Symbol('batchtools.failedStage');

/**
 * Decide what a failed chunk becomes, given where its worker was when it died (from the progress slot).
 *
 * - timeout: the running item failed; the items before it (results lost) and after it run again.
 * - crash while an item ran synchronously (not awaiting): only that item's own code ran, so it is the culprit
 *   (a `process.exit()`, say): it fails at once; the items before and after it run again. (A native
 *   `process.abort()` ends the whole process, workers included: nothing can isolate it.)
 * - crash while an item awaited, or out of memory (which earlier items' garbage can bring about): that item runs
 *   again alone, in isolation mode, and the items before and after it run again as two pieces. A lone item that
 *   fails in isolation mode fails for good.
 * - died while replying: a result could not be cloned; the chunk runs again in isolation mode, where the worker
 *   checks each result and fails only the bad ones.
 * - died before its first item (the worker died loading the task or running its `setup()`, or was terminated
 *   from outside, before the item began): no item is to blame; it runs again as it is (twice at most, then it is
 *   split in halves; a task that cannot load at all ends the run through the dispatcher's start-up crash limit).
 * - killed by another chunk's code (the worker says so: a timer left by another run, or by an earlier chunk whose
 *   items have their outcomes): nothing of it is to blame; it runs again as it was (same attempt, not isolated).
 *   Each such death is some other chunk's code running, so this ends when that code does.
 * - an item could not be sent: the chunk is split in halves.
 * Every path either fails an item or runs strictly smaller pieces (or the same chunk once more in isolation
 * mode), so isolation always ends.
 */
export function decideChunkFailure(work: Work, failure: ChunkFailure, at: DeathPoint): FailureDecision {
  const { batch, attempts, isolating } = work;
  const n = batch.items.length;
  if (at.foreign && failure.kind === 'crash') return { requeue: [work], failed: [] };
  const k = at.item;
  if (k === null && failure.kind !== 'clone' && (work.unstarted ?? 0) < UNSTARTED_RESENDS) {
    // No item of it had begun: it is not to blame.
    return { requeue: [{ batch, attempts, isolating, unstarted: (work.unstarted ?? 0) + 1 }], failed: [] };
  }
  const culprit = k !== null && k < n && (failure.kind === 'timeout' || (failure.kind === 'crash' && !at.awaiting));
  if (culprit) {
    return {
      requeue: [...piece(batch, 0, k, attempts, isolating), ...piece(batch, k + 1, n, attempts, isolating)],
      failed: [chunkFailureToItemError(batch.start + k, failure, attempts, at.stage)],
    };
  }
  if (n === 1) {
    return isolating || failure.kind === 'clone'
      ? { requeue: [], failed: [chunkFailureToItemError(batch.start, failure, attempts, k === 0 ? at.stage : undefined)] }
      : { requeue: [{ ...work, isolating: true }], failed: [] };
  }
  if (k !== null && k < n && failure.kind !== 'clone') {
    return {
      requeue: [
        ...piece(batch, 0, k, attempts, isolating),
        ...piece(batch, k, k + 1, attempts, true),
        ...piece(batch, k + 1, n, attempts, isolating),
      ],
      failed: [],
    };
  }
  if (k === n && !isolating) return { requeue: [{ ...work, isolating: true }], failed: [] };
  const mid = Math.ceil(n / 2);
  return { requeue: [...piece(batch, 0, mid, attempts, true), ...piece(batch, mid, n, attempts, true)], failed: [] };
}

function chunkFailureToItemError(index: number, failure: ChunkFailure, attempts: number, stage: number | undefined): ItemError {
  const error = chunkError(index, failure, attempts);
  if (stage !== undefined) Object.defineProperty(error, FAILED_STAGE, { value: stage });
  return error;
}

function chunkError(index: number, failure: ChunkFailure, attempts: number): ItemError {
  const cause = failure.error;
  const detail = String((cause as { message?: unknown } | null)?.message ?? cause);
  switch (failure.kind) {
    case 'oom':
      return new ItemError(ErrorCodes.WORKER_OOM, `item ${index} ran its worker out of memory (heap limit reached)`, {
        index,
        attempts,
        cause,
      });
    case 'clone':
      return new ItemError(ErrorCodes.DATA_CLONE, `item ${index} cannot be sent to a worker: ${detail}`, {
        index,
        attempts,
        cause,
      });
    case 'timeout':
      return new ItemError(ErrorCodes.TIMEOUT, `item ${index} ${detail}; its worker was terminated`, {
        index,
        attempts,
        cause,
      });
    case 'crash': {
      const info = { index, attempts, cause, ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }) };
      return new ItemError(
        ErrorCodes.WORKER_CRASHED,
        `item ${index} crashed its worker (exit code ${failure.exitCode ?? 'unknown'}): ${detail}`,
        info,
      );
    }
  }
}

/** The per-item error for a task that threw (or rejected) on one item. */
export function taskErrorToItemError(index: number, envelope: ErrorEnvelope, attempts: number): ItemError {
  const cause = fromEnvelope(envelope);
  const remote = remoteItemError(index, envelope, cause, attempts);
  if (remote) return remote;
  if (envelope.code === ErrorCodes.INLINE_CLOSURE || envelope.code === ErrorCodes.DATA_CLONE) {
    return new ItemError(envelope.code, `item ${index}: ${cause.message}`, { index, attempts, cause });
  }
  return new ItemError(ErrorCodes.TASK_FAILED, `item ${index} failed: ${cause.name}: ${cause.message}`, {
    index,
    attempts,
    cause,
  });
}

/** Item failures a worker elsewhere (batchtools/cluster) decided itself, sent whole: they keep their code. */
const REMOTE_ITEM_CODES = new Set<string>([
  ErrorCodes.WORKER_CRASHED,
  ErrorCodes.WORKER_OOM,
  ErrorCodes.TIMEOUT,
  ErrorCodes.DATA_CLONE,
  ErrorCodes.INLINE_CLOSURE,
]);

/**
 * An ItemError decided by a remote runtime (its crash, OOM or timeout isolation ran there) comes back as the
 * envelope of that ItemError: rebuild it under this run's index and attempt count, with its code, message and cause.
 */
function remoteItemError(index: number, envelope: ErrorEnvelope, error: Error, attempts: number): ItemError | undefined {
  if (envelope.name !== 'ItemError' || envelope.code === undefined || !REMOTE_ITEM_CODES.has(envelope.code)) return undefined;
  if (typeof envelope.fields?.['index'] !== 'number') return undefined;
  const exitCode = envelope.fields['exitCode'];
  const message = error.message.replace(/^item \d+/, `item ${index}`);
  const info = { index, attempts, cause: error.cause, ...(typeof exitCode === 'number' ? { exitCode } : {}) };
  return new ItemError(envelope.code as ItemError['code'], message, info);
}

/** The first item of `work` alone, and the rest (null when it holds one item). */
export function splitFirst(work: Work): [Work, Work | null] {
  const { start, items } = work.batch;
  if (items.length === 1) return [work, null];
  return [
    { ...work, batch: { start, items: sliceItems(items, 0, 1) } },
    { ...work, batch: { start: start + 1, items: sliceItems(items, 1, items.length) } },
  ];
}
