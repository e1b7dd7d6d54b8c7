/**
 * Outcomes, in one place: what a finished chunk's items become, and what a failed chunk becomes (split and
 * re-run, or per-item failures). Retries, isolation and checkpoints hook in here, not in the dispatcher.
 */
import { ErrorCodes, ItemError } from '../errors.ts';
import { fromEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import type { Batch } from './source.ts';

/** Why a whole chunk failed (no per-item results came back). */
export interface ChunkFailure {
  kind: 'oom' | 'crash' | 'clone';
  /** The worker's exit code, for crashes that report one. */
  exitCode?: number;
  /** The error piscina or the platform reported. */
  error: unknown;
}

/** Classify the rejection of a chunk's pool task. */
export function classifyChunkError(error: unknown): ChunkFailure {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { kind: 'oom', error };
  if (e?.name === 'DataCloneError') return { kind: 'clone', error };
  const exit = typeof e?.message === 'string' ? /worker exited with code: (-?\d+)/.exec(e.message) : null;
  if (exit?.[1] !== undefined) return { kind: 'crash', exitCode: Number(exit[1]), error };
  // An uncaught exception in the worker (thrown from a timer, say) ends it with exit code 1.
  return { kind: 'crash', exitCode: 1, error };
}

/** What to do with a failed chunk: run these batches again (in isolation mode), or fail these items. */
export type FailureDecision = { split: Batch[] } | { fail: ItemError[] };

/**
 * Decide what a failed chunk becomes: a chunk of several items is split in halves and both are re-run in
 * isolation mode, so the item that fails the worker ends up alone; a lone item is re-run once in isolation mode
 * (which tells an uncloneable result from a crash), and fails with the failure's code if it fails again.
 */
export function decideChunkFailure(batch: Batch, failure: ChunkFailure, attempts: number, isolating: boolean): FailureDecision {
  const n = batch.items.length;
  if (n === 1 && !isolating) return { split: [batch] };
  if (n > 1) {
    const mid = Math.ceil(n / 2);
    return {
      split: [
        { start: batch.start, items: batch.items.slice(0, mid) },
        { start: batch.start + mid, items: batch.items.slice(mid) },
      ],
    };
  }
  return { fail: [chunkFailureToItemError(batch.start, failure, attempts)] };
}

function chunkFailureToItemError(index: number, failure: ChunkFailure, attempts: number): ItemError {
  const cause = failure.error;
  const detail = (cause as { message?: unknown } | null)?.message;
  switch (failure.kind) {
    case 'oom':
      return new ItemError(ErrorCodes.WORKER_OOM, `item ${index} ran its worker out of memory (heap limit reached)`, {
        index,
        attempts,
        cause,
      });
    case 'clone':
      return new ItemError(
        ErrorCodes.DATA_CLONE,
        `item ${index} or its result cannot be sent between threads: ${String(detail)}`,
        { index, attempts, cause },
      );
    case 'crash': {
      const info = { index, attempts, cause, ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }) };
      return new ItemError(
        ErrorCodes.WORKER_CRASHED,
        `item ${index} crashed its worker (exit code ${failure.exitCode ?? 'unknown'}): ${String(detail)}`,
        info,
      );
    }
  }
}

/** The per-item error for a task that threw (or rejected) on one item. */
export function taskErrorToItemError(index: number, envelope: ErrorEnvelope, attempts: number): ItemError {
  const cause = fromEnvelope(envelope);
  if (envelope.code === ErrorCodes.INLINE_CLOSURE || envelope.code === ErrorCodes.DATA_CLONE) {
    return new ItemError(envelope.code, `item ${index}: ${cause.message}`, { index, attempts, cause });
  }
  return new ItemError(ErrorCodes.TASK_FAILED, `item ${index} failed: ${cause.name}: ${cause.message}`, {
    index,
    attempts,
    cause,
  });
}

/** The per-item error for an item that was never run because the run stopped first. */
export function notRunError(index: number, why: string): ItemError {
  return new ItemError(ErrorCodes.NOT_RUN, `item ${index} was not run: ${why}`, { index, attempts: 0 });
}
