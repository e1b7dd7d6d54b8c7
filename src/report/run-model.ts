/**
 * A run's trace, turned into what its report draws: timeline bars, time series and summary figures. Pure and
 * bounded: a trace of any length (a 1 M item run has up to hundreds of thousands of chunks) becomes at most
 * {@link MAX_BARS} timeline bars (neighbouring chunks of one worker merged; marked chunks kept apart while there is
 * room) and {@link SERIES_BINS} points per series, so the page stays small and draws fast.
 */
import { InvalidInputError, type ChunkTrace, type RunTrace, type TraceEntry } from '../index.ts';

/** Timeline bars kept at most. */
export const MAX_BARS = 4000;
/** Points per time series at most. */
export const SERIES_BINS = 800;

/** Bar flags. */
export const FLAG = { FAILED_ITEMS: 1, CHUNK_FAILED: 2, RETRIED: 4, STOLEN: 8, ISOLATED: 16 } as const;
/** Chunk outcomes in the order their codes use. */
export const OUTCOMES = ['ok', 'oom', 'crash', 'clone', 'timeout'] as const;

/** Timeline bars, column by column (row i of every array is one bar). Times in ms since the run started. */
export interface Bars {
  worker: number[];
  start: number[];
  end: number[];
  items: number[];
  runMs: number[];
  roundTripMs: number[];
  /** Chunks in the bar (1 for a single chunk). */
  chunks: number[];
  flags: number[];
  /** Index into {@link OUTCOMES} (the worst outcome of a merged bar). */
  outcome: number[];
  /** Input index of the first item (-1 unknown). */
  first: number[];
}

/** Time series on one x axis (seconds since the run started, bin centres). */
export interface Series {
  x: number[];
  /** Chunk size the controller decided (last decision in the bin; null before the first). */
  decided: Array<number | null>;
  /** Mean size of the chunks that finished in the bin. */
  completed: Array<number | null>;
  /** Items finished per second in the bin. */
  throughput: number[];
  /** Heap used / limit in percent, per worker (worst in the bin). */
  heap: Array<Array<number | null>>;
  /** Controller reasons as segments: [from s, to s, index into `reasons`]. */
  reasonSegments: Array<[number, number, number]>;
  reasons: string[];
}

/** Per worker figures. */
export interface WorkerFigures {
  worker: number;
  chunks: number;
  items: number;
  busyMs: number;
  busyFraction: number;
  /** Highest heap used / limit seen, 0..1. */
  maxHeapRatio: number;
  heapLimitMb: number | null;
}

/** Everything the run page shows, as data. */
export interface RunModel {
  elapsedMs: number;
  threads: number;
  workers: number[];
  chunks: number;
  succeeded: number;
  merged: boolean;
  bars: Bars;
  series: Series;
  perWorker: WorkerFigures[];
  outcomes: Record<string, number>;
  marked: { failedItems: number; chunkFailed: number; retried: number; stolen: number; isolated: number };
  decisions: number;
  reasonCounts: Record<string, number>;
  main: RunTrace['main'] | null;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

function flagsOf(c: ChunkTrace): number {
  let f = 0;
  if ((c.failedItems ?? 0) > 0) f |= FLAG.FAILED_ITEMS;
  if (c.outcome !== 'ok') f |= FLAG.CHUNK_FAILED;
  if ((c.attempt ?? 1) > 1) f |= FLAG.RETRIED;
  if (c.stolen) f |= FLAG.STOLEN;
  if (c.isolated) f |= FLAG.ISOLATED;
  return f;
}

const startOf = (c: ChunkTrace): number => c.startMs ?? Math.max(0, c.t - c.runMs);
/** End of a chunk's bar: the worker's end of it (start + run time); for a chunk that failed as a whole, its failure. */
const endOf = (c: ChunkTrace): number => (c.outcome === 'ok' && c.startMs !== undefined ? c.startMs + c.runMs : c.t);
const succeededOf = (c: ChunkTrace): number => (c.outcome === 'ok' ? c.items - (c.failedItems ?? 0) : 0);

function emptyBars(): Bars {
  return { worker: [], start: [], end: [], items: [], runMs: [], roundTripMs: [], chunks: [], flags: [], outcome: [], first: [] };
}

/**
 * Timeline bars: every chunk while there are at most MAX_BARS; else per worker, neighbours closer than a time
 * bin are merged, and marked chunks (failed, retried, stolen, isolated) stay single while they fit in a quarter.
 */
function buildBars(chunks: readonly ChunkTrace[], elapsedMs: number, workers: number): { bars: Bars; merged: boolean } {
  const bars = emptyBars();
  const merged = chunks.length > MAX_BARS;
  const marked = chunks.reduce((n, c) => n + (flagsOf(c) !== 0 ? 1 : 0), 0);
  const keepMarked = marked <= MAX_BARS / 4;
  const binMs = merged ? (elapsedMs * workers) / (MAX_BARS - (keepMarked ? marked : 0)) : 0;
  const byWorker = new Map<number, ChunkTrace[]>();
  for (const c of chunks) {
    const list = byWorker.get(c.worker) ?? [];
    list.push(c);
    byWorker.set(c.worker, list);
  }
  for (const [worker, list] of [...byWorker].sort(([a], [b]) => a - b)) {
    list.sort((a, b) => startOf(a) - startOf(b));
    let open: { start: number; end: number; items: number; run: number; rt: number; n: number; flags: number; outcome: number; first: number } | undefined;
    const flush = (): void => {
      if (!open) return;
      bars.worker.push(worker);
      bars.start.push(r2(open.start));
      bars.end.push(r2(open.end));
      bars.items.push(open.items);
      bars.runMs.push(r2(open.run));
      bars.roundTripMs.push(r2(open.rt));
      bars.chunks.push(open.n);
      bars.flags.push(open.flags);
      bars.outcome.push(open.outcome);
      bars.first.push(open.first);
      open = undefined;
    };
    for (const c of list) {
      const flags = flagsOf(c);
      const outcome = Math.max(0, OUTCOMES.indexOf(c.outcome));
      const start = startOf(c);
      const single = !merged || (keepMarked && flags !== 0);
      if (open && (single || start - open.start > binMs)) flush();
      if (!open) {
        open = { start, end: endOf(c), items: c.items, run: c.runMs, rt: c.roundTripMs, n: 1, flags, outcome, first: c.first ?? -1 };
      } else {
        open.end = Math.max(open.end, endOf(c));
        open.items += c.items;
        open.run += c.runMs;
        open.rt = Math.max(open.rt, c.roundTripMs);
        open.n += 1;
        open.flags |= flags;
        open.outcome = Math.max(open.outcome, outcome);
        open.first = Math.min(open.first, c.first ?? open.first);
      }
      if (single) flush();
    }
    flush();
  }
  return { bars, merged };
}

function buildSeries(chunks: readonly ChunkTrace[], decisions: readonly TraceEntry[], elapsedMs: number, workers: number[]): Series {
  // About six chunks per bin, so a rate per bin is a rate and not a count of one or two chunks.
  const bins = Math.max(1, Math.min(SERIES_BINS, Math.ceil(chunks.length / 6)));
  const width = Math.max(elapsedMs, 1e-3) / bins;
  const at = (t: number): number => Math.min(bins - 1, Math.max(0, Math.floor(t / width)));
  const x = Array.from({ length: bins }, (_, i) => Math.round(((i + 0.5) * width) / 1e-3) / 1e6);
  const done = new Array<number>(bins).fill(0);
  const sizeSum = new Array<number>(bins).fill(0);
  const sizeCount = new Array<number>(bins).fill(0);
  const row = new Map(workers.map((w, i) => [w, i]));
  const heap = workers.map(() => new Array<number | null>(bins).fill(null));
  for (const c of chunks) {
    const b = at(c.t);
    done[b]! += succeededOf(c);
    sizeSum[b]! += c.items;
    sizeCount[b]! += 1;
    const w = row.get(c.worker);
    if (w !== undefined && c.outcome === 'ok' && c.heapRatio > 0) {
      const h = heap[w]!;
      h[b] = Math.max(h[b] ?? 0, Math.round(c.heapRatio * 1000) / 10);
    }
  }
  const decided = new Array<number | null>(bins).fill(null);
  const reasonVotes: Array<Map<string, number>> = Array.from({ length: bins }, () => new Map());
  for (const d of decisions) {
    const b = at(d.t);
    decided[b] = d.size;
    reasonVotes[b]!.set(d.reason, (reasonVotes[b]!.get(d.reason) ?? 0) + 1);
  }
  let last: number | null = null;
  for (let b = 0; b < bins; b++) {
    if (decided[b] === null) decided[b] = last;
    else last = decided[b]!;
  }
  const reasons: string[] = [];
  const reasonSegments: Array<[number, number, number]> = [];
  for (let b = 0; b < bins; b++) {
    let best: string | undefined;
    let votes = 0;
    for (const [reason, n] of reasonVotes[b]!) if (n > votes) [best, votes] = [reason, n];
    if (best === undefined) continue;
    let k = reasons.indexOf(best);
    if (k < 0) k = reasons.push(best) - 1;
    const from = Math.round((b * width) / 1e-3) / 1e6;
    const to = Math.round(((b + 1) * width) / 1e-3) / 1e6;
    const prev = reasonSegments[reasonSegments.length - 1];
    if (prev && prev[2] === k && Math.abs(prev[1] - from) < 1e-9) prev[1] = to;
    else reasonSegments.push([from, to, k]);
  }
  return {
    x,
    decided,
    completed: sizeSum.map((s, b) => (sizeCount[b]! > 0 ? Math.round((s / sizeCount[b]!) * 10) / 10 : null)),
    throughput: done.map((n) => Math.round(n / (width / 1000))),
    heap,
    reasonSegments,
    reasons,
  };
}

/**
 * Check that `trace` has the shape of a run's trace (what `onTrace` receives), naming what is wrong.
 *
 * @throws {InvalidInputError} when it is not an object with `chunks` and `decisions` arrays, or a chunk lacks its
 *   numbers.
 */
export function checkTrace(trace: unknown, name = 'trace'): asserts trace is RunTrace {
  const t = trace as Partial<RunTrace> | null;
  if (t === null || typeof t !== 'object' || !Array.isArray(t.chunks) || !Array.isArray(t.decisions)) {
    throw new InvalidInputError(`${name} must be a run trace ({ chunks: [...], decisions: [...] }, as onTrace receives it), got ${t === null ? 'null' : typeof t}`);
  }
  t.chunks.forEach((c, i) => {
    const bad = (['t', 'items', 'runMs', 'roundTripMs', 'worker'] as const).find((k) => typeof c?.[k] !== 'number' || !Number.isFinite(c[k]));
    if (bad !== undefined) throw new InvalidInputError(`${name}.chunks[${i}].${bad} must be a finite number, got ${String(c?.[bad])}`);
  });
}

/** Turn a run's trace into the report's data. */
export function buildRunModel(trace: RunTrace): RunModel {
  checkTrace(trace);
  const chunks = trace.chunks;
  const decisions = (trace.decisions as TraceEntry[]).filter((d) => d !== null && typeof d === 'object' && Number.isFinite(d.t));
  const elapsedMs = trace.elapsedMs ?? chunks.reduce((m, c) => Math.max(m, c.t), 0);
  const workers = [...new Set(chunks.map((c) => c.worker))].sort((a, b) => a - b);
  const live = workers.filter((w) => w >= 0);
  const perWorker: WorkerFigures[] = live.map((worker) => {
    const mine = chunks.filter((c) => c.worker === worker);
    const busyMs = mine.reduce((s, c) => s + c.runMs, 0);
    return {
      worker,
      chunks: mine.length,
      items: mine.reduce((s, c) => s + succeededOf(c), 0),
      busyMs,
      busyFraction: elapsedMs > 0 ? busyMs / elapsedMs : 0,
      maxHeapRatio: mine.reduce((m, c) => Math.max(m, c.heapRatio), 0),
      heapLimitMb: mine.reduce<number | null>((m, c) => (c.heapLimitMb === undefined ? m : Math.max(m ?? 0, c.heapLimitMb)), null),
    };
  });
  const outcomes: Record<string, number> = {};
  const marked = { failedItems: 0, chunkFailed: 0, retried: 0, stolen: 0, isolated: 0 };
  for (const c of chunks) {
    outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    const f = flagsOf(c);
    if (f & FLAG.FAILED_ITEMS) marked.failedItems++;
    if (f & FLAG.CHUNK_FAILED) marked.chunkFailed++;
    if (f & FLAG.RETRIED) marked.retried++;
    if (f & FLAG.STOLEN) marked.stolen++;
    if (f & FLAG.ISOLATED) marked.isolated++;
  }
  const reasonCounts: Record<string, number> = {};
  for (const d of decisions) reasonCounts[d.reason] = (reasonCounts[d.reason] ?? 0) + 1;
  const { bars, merged } = buildBars(chunks, elapsedMs, Math.max(1, workers.length));
  return {
    elapsedMs,
    threads: trace.threads ?? live.length,
    workers,
    chunks: chunks.length,
    succeeded: chunks.reduce((s, c) => s + succeededOf(c), 0),
    merged,
    bars,
    series: buildSeries(chunks, decisions, elapsedMs, live),
    perWorker,
    outcomes,
    marked,
    decisions: decisions.length,
    reasonCounts,
    main: trace.main ?? null,
  };
}
