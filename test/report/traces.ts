/** Synthetic run traces for the report tests: deterministic, any size, with every kind of marked chunk. */
import type { ChunkTrace, RunTrace, TraceEntry } from '../../src/index.ts';

/** Options of {@link syntheticTrace}. */
export interface SyntheticOptions {
  items: number;
  /** Mean items per chunk. */
  chunkItems: number;
  workers: number;
  /** Per-item cost, ms. */
  itemMs: number;
  /** Every k-th chunk is marked (failed items, crash, retry, stolen, isolated in turn); 0 for none. */
  markEvery: number;
  seed?: number;
}

/** A trace as a traced run of `items` items would record it (chunks back to back per worker, decisions, heap). */
export function syntheticTrace(o: SyntheticOptions): RunTrace {
  let state = (o.seed ?? 7) >>> 0;
  const rand = (): number => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 4294967296;
  };
  const chunks: ChunkTrace[] = [];
  const decisions: TraceEntry[] = [];
  const free = new Array<number>(o.workers).fill(5);
  let next = 0;
  let k = 0;
  while (next < o.items) {
    const w = free.indexOf(Math.min(...free));
    const size = Math.min(o.items - next, Math.max(1, Math.round(o.chunkItems * (0.5 + rand()))));
    const sentMs = Math.max(0, free[w]! - 0.05);
    const startMs = free[w]!;
    const runMs = size * o.itemMs * (0.8 + 0.4 * rand());
    const t = startMs + runMs + 0.03;
    const c: ChunkTrace = {
      t, items: size, runMs, roundTripMs: t - sentMs, heapRatio: 0.1 + 0.7 * (k / Math.max(1, o.items / o.chunkItems)) * rand(),
      worker: w, outcome: 'ok', sentMs, startMs, first: next, attempt: 1, heapUsedMb: 20, heapLimitMb: 256,
    };
    const mark = o.markEvery > 0 && k % o.markEvery === o.markEvery - 1 ? Math.floor(k / o.markEvery) % 5 : -1;
    if (mark === 0) c.failedItems = 1;
    if (mark === 1) Object.assign(c, { outcome: 'crash', worker: -1, heapRatio: 0 });
    if (mark === 2) c.attempt = 2;
    if (mark === 3) c.stolen = true;
    if (mark === 4) c.isolated = true;
    chunks.push(c);
    decisions.push({ t: sentMs, size, remaining: o.items - next, estCostUs: o.itemMs * 1000, targetMs: 20, overheadUs: 80, reason: k < 8 ? 'probe' : 'time-target' });
    free[w] = t + 0.02;
    next += size;
    k++;
  }
  const elapsedMs = Math.max(...free);
  const failed = chunks.reduce((n, c) => n + (c.failedItems ?? 0), 0);
  return {
    chunks, decisions: decisions.slice(-10_000), threads: o.workers, elapsedMs, startedAt: '2026-01-01T00:00:00.000Z',
    main: { activeMs: elapsedMs * 0.1, utilization: 0.1 },
    failures: {
      byCode: failed > 0 ? { BT_TASK_FAILED: failed } : {},
      first: chunks.filter((c) => c.failedItems).slice(0, 20).map((c) => ({ index: c.first!, code: 'BT_TASK_FAILED', message: `item ${c.first} failed: Error: bad item ${c.first}`, attempts: 1 })),
    },
  };
}
