/** classifyChunkError and decideChunkFailure on their own: what a failed chunk becomes, for every death point. */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../src/errors.ts';
import { classifyChunkError, decideChunkFailure, type ChunkFailure, type DeathPoint, type Work } from '../src/schedule/outcomes.ts';

const work = (start: number, n: number, extra: Partial<Work> = {}): Work => ({
  batch: { start, items: Array.from({ length: n }, (_, k) => `item${start + k}`) },
  attempts: 1,
  isolating: false,
  ...extra,
});
const crash: ChunkFailure = { kind: 'crash', exitCode: 7, error: new Error('worker exited with code: 7') };
const oom: ChunkFailure = { kind: 'oom', error: Object.assign(new Error('heap'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }) };
const timeout: ChunkFailure = { kind: 'timeout', error: new Error('ran longer than its 10 ms deadline') };
const clone: ChunkFailure = { kind: 'clone', error: Object.assign(new Error('could not be cloned'), { name: 'DataCloneError' }) };
const at = (item: number | null, awaiting = false): DeathPoint => ({ item, awaiting });
/** A decision as [start, length, isolating] per piece, and the failed indexes with codes. */
const shape = (d: ReturnType<typeof decideChunkFailure>) => ({
  requeue: d.requeue.map((w) => [w.batch.start, w.batch.items.length, w.isolating]),
  failed: d.failed.map((e) => [e.index, e.code]),
});

describe('classifyChunkError', () => {
  it('tells out-of-memory, clone failures and crashes (with their exit code) apart', () => {
    expect(classifyChunkError(oom.error).kind).toBe('oom');
    expect(classifyChunkError(clone.error).kind).toBe('clone');
    expect(classifyChunkError(new Error('worker exited with code: 3'))).toMatchObject({ kind: 'crash', exitCode: 3 });
    expect(classifyChunkError(new Error('worker exited with code: -1'))).toMatchObject({ kind: 'crash', exitCode: -1 });
    // An uncaught exception in the worker ends it with exit code 1; so does anything unrecognised.
    expect(classifyChunkError(new TypeError('thrown from a timer'))).toMatchObject({ kind: 'crash', exitCode: 1 });
    expect(classifyChunkError(null)).toMatchObject({ kind: 'crash', exitCode: 1 });
    expect(classifyChunkError('a string')).toMatchObject({ kind: 'crash', exitCode: 1 });
  });
});

describe('decideChunkFailure', () => {
  it('died before its first item: runs again as it is, twice, then in halves', () => {
    const once = decideChunkFailure(work(10, 8), crash, at(null));
    expect(shape(once)).toEqual({ requeue: [[10, 8, false]], failed: [] });
    expect(once.requeue[0]!.unstarted).toBe(1);
    const twice = decideChunkFailure(once.requeue[0]!, crash, at(null));
    expect(twice.requeue[0]!.unstarted).toBe(2);
    expect(shape(decideChunkFailure(twice.requeue[0]!, crash, at(null)))).toEqual({ requeue: [[10, 4, true], [14, 4, true]], failed: [] });
  });

  it('a timeout fails the running item; the items before and after run again', () => {
    expect(shape(decideChunkFailure(work(0, 10), timeout, at(4)))).toEqual({
      requeue: [[0, 4, false], [5, 5, false]],
      failed: [[4, ErrorCodes.TIMEOUT]],
    });
    expect(shape(decideChunkFailure(work(0, 3), timeout, at(0)))).toEqual({ requeue: [[1, 2, false]], failed: [[0, ErrorCodes.TIMEOUT]] });
  });

  it('a crash while an item ran synchronously blames that item, with the exit code', () => {
    const d = decideChunkFailure(work(100, 5), crash, at(4));
    expect(shape(d)).toEqual({ requeue: [[100, 4, false]], failed: [[104, ErrorCodes.WORKER_CRASHED]] });
    expect(d.failed[0]!.exitCode).toBe(7);
    expect(d.failed[0]!.message).toBe('item 104 crashed its worker (exit code 7): worker exited with code: 7');
    expect(d.failed[0]!.attempts).toBe(1);
  });

  it('a crash while an item awaited, or an OOM, isolates that item and re-runs the rest in two pieces', () => {
    for (const [failure, point] of [[crash, at(3, true)], [oom, at(3)]] as const) {
      expect(shape(decideChunkFailure(work(0, 8), failure, point))).toEqual({
        requeue: [[0, 3, false], [3, 1, true], [4, 4, false]],
        failed: [],
      });
    }
  });

  it('a lone item: isolated first, failed for good when it fails again in isolation', () => {
    expect(shape(decideChunkFailure(work(5, 1), oom, at(0)))).toEqual({ requeue: [[5, 1, true]], failed: [] });
    const d = decideChunkFailure(work(5, 1, { isolating: true, attempts: 2 }), oom, at(0));
    expect(shape(d)).toEqual({ requeue: [], failed: [[5, ErrorCodes.WORKER_OOM]] });
    expect(d.failed[0]!.attempts).toBe(2);
  });

  it('died while replying (a result could not be cloned): the whole chunk again in isolation mode, then halves', () => {
    expect(shape(decideChunkFailure(work(0, 6), crash, at(6)))).toEqual({ requeue: [[0, 6, true]], failed: [] });
    expect(shape(decideChunkFailure(work(0, 6, { isolating: true }), crash, at(6)))).toEqual({ requeue: [[0, 3, true], [3, 3, true]], failed: [] });
  });

  it('an item that cannot be sent: halves, then the lone item fails with BT_DATA_CLONE', () => {
    expect(shape(decideChunkFailure(work(0, 5), clone, at(null)))).toEqual({ requeue: [[0, 3, true], [3, 2, true]], failed: [] });
    expect(shape(decideChunkFailure(work(2, 1), clone, at(null)))).toEqual({ requeue: [], failed: [[2, ErrorCodes.DATA_CLONE]] });
  });

  it('always ends: every item fails once or lands in strictly smaller work (or the same chunk, now isolating)', () => {
    let seed = 99;
    const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const kinds = [crash, oom, timeout, clone];
    for (let trial = 0; trial < 2000; trial++) {
      const n = 1 + Math.floor(random() * 12);
      const w = work(1000, n, { isolating: random() < 0.5, unstarted: Math.floor(random() * 3) });
      const r = Math.floor(random() * (n + 2));
      const point = at(r === n + 1 ? null : r, random() < 0.5);
      const d = decideChunkFailure(w, kinds[Math.floor(random() * kinds.length)]!, point);
      // Every item accounted for exactly once, in input order.
      const covered = [...d.requeue.flatMap((p) => Array.from({ length: p.batch.items.length }, (_, k) => p.batch.start + k)), ...d.failed.map((e) => e.index)];
      expect(covered.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => 1000 + k));
      d.requeue.forEach((p, k) => {
        expect(p.batch.items).toEqual(w.batch.items.slice(p.batch.start - 1000, p.batch.start - 1000 + p.batch.items.length));
        if (k > 0) expect(p.batch.start).toBeGreaterThan(d.requeue[k - 1]!.batch.start);
        const progress =
          p.batch.items.length < n || (p.isolating && !w.isolating) || (p.unstarted ?? 0) > (w.unstarted ?? 0);
        expect(progress).toBe(true);
      });
    }
  });
});
