/**
 * Deterministic discrete-event simulation of a chunk policy on a worker pool.
 *
 * Model: P workers and one FIFO queue (piscina's). The dispatcher keeps `policy.maxInFlight(P)` chunks in flight;
 * on every completion it calls `observe` and then dispatches again, at the same instant. A free worker takes
 * the oldest queued chunk. Every chunk occupies its worker for `overheadMs` (dispatch + wake-up + result,
 * charged in full to the worker, so pipelining hides none of it: conservative) plus the sum of its items' costs.
 * A worker's first chunk is cold: its items cost `coldFactor`× (JIT warm-up). Optional per-chunk noise multiplies
 * a chunk's run time. Efficiency = (Σ cost / P) / makespan. Main-thread clone cost and heap are not modelled.
 *
 * Run: `npx tsx bench/sim-controller.ts` prints the table for P = 2, overhead 60 µs, W/P = 250 ms.
 */
import { createAdaptivePolicy, type AdaptivePolicyOptions, type TraceEntry } from '../src/schedule/adaptive.ts';
import type { ChunkPolicy } from '../src/schedule/policy.ts';

/** mulberry32: a small seeded PRNG returning [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  /** Worker threads. Default 2. */
  threads?: number;
  /** Per-chunk overhead charged to the worker, ms. Default 0.06. */
  overheadMs?: number;
  /** Cost multiplier of a worker's first chunk. Default 2. */
  coldFactor?: number;
  /** Pass `remaining` to the policy (false: an async-iterable source of unknown length). Default true. */
  knownLength?: boolean;
  /** Multiplier of each chunk's run time (e.g. noise); called once per chunk. Default: none. */
  chunkNoise?: () => number;
  /** The policy under test. Default: a fresh AdaptivePolicy with `policyOptions`. */
  policy?: ChunkPolicy;
  policyOptions?: AdaptivePolicyOptions;
}

export interface SimChunk {
  start: number;
  size: number;
  dispatchedAt: number;
  startedAt: number;
  endedAt: number;
  worker: number;
  runMs: number;
}

export interface SimResult {
  idealMs: number;
  makespanMs: number;
  efficiency: number;
  chunks: SimChunk[];
  trace: TraceEntry[];
}

/** Simulate one run over per-item costs (ms). */
export function simulate(costs: Float64Array, options: SimOptions = {}): SimResult {
  const threads = options.threads ?? 2;
  const overheadMs = options.overheadMs ?? 0.06;
  const coldFactor = options.coldFactor ?? 2;
  const knownLength = options.knownLength ?? true;
  const adaptive = options.policy === undefined ? createAdaptivePolicy(options.policyOptions ?? {}) : null;
  const policy: ChunkPolicy = options.policy ?? adaptive!;
  const n = costs.length;
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + costs[i]!;

  const queue: SimChunk[] = [];
  const running: (SimChunk | null)[] = new Array<SimChunk | null>(threads).fill(null);
  const warmed: boolean[] = new Array<boolean>(threads).fill(false);
  const chunks: SimChunk[] = [];
  let next = 0;
  let inFlight = 0;
  let t = 0;

  const assign = (): void => {
    for (let w = 0; w < threads && queue.length > 0; w++) {
      if (running[w] !== null) continue;
      const c = queue.shift()!;
      const work = prefix[c.start + c.size]! - prefix[c.start]!;
      c.runMs = work * (warmed[w] ? 1 : coldFactor) * (options.chunkNoise?.() ?? 1);
      c.startedAt = t;
      c.endedAt = t + overheadMs + c.runMs;
      c.worker = w;
      running[w] = c;
    }
  };
  const dispatch = (): void => {
    while (next < n && inFlight < policy.maxInFlight(threads)) {
      const remaining = n - next;
      const asked = policy.next({ remaining: knownLength ? remaining : null, inFlight, threads, elapsedMs: t });
      const size = Math.min(remaining, Math.max(1, Math.floor(asked)));
      const c: SimChunk = { start: next, size, dispatchedAt: t, startedAt: 0, endedAt: 0, worker: -1, runMs: 0 };
      next += size;
      inFlight += 1;
      queue.push(c);
      chunks.push(c);
      assign();
    }
  };

  dispatch();
  for (;;) {
    let w = -1;
    for (let k = 0; k < threads; k++) {
      const r = running[k];
      if (r && (w < 0 || r.endedAt < running[w]!.endedAt)) w = k;
    }
    if (w < 0) break;
    const c = running[w]!;
    t = c.endedAt;
    running[w] = null;
    inFlight -= 1;
    const cold = !warmed[w];
    warmed[w] = true;
    policy.observe({
      items: c.size, runMs: c.runMs, roundTripMs: t - c.dispatchedAt, heapRatio: 0.2, workerId: w, cold, outcome: 'ok',
    });
    assign();
    dispatch();
  }
  const idealMs = prefix[n]! / threads;
  return { idealMs, makespanMs: t, efficiency: idealMs / t, chunks, trace: adaptive?.trace() ?? [] };
}

/** Cost profiles (ms per item) with total work W = wpMs × threads. */
export function profiles(wpMs = 250, threads = 2): Record<string, Float64Array> {
  const w = wpMs * threads;
  const uniform = (costMs: number): Float64Array => new Float64Array(Math.ceil(w / costMs)).fill(costMs);
  // Heavy tail: Pareto α = 1.5 (seed 12345), capped at 100× the mean, rescaled to a
  // mean of 100 µs, sorted ascending so the expensive items sit at the end.
  const rnd = mulberry32(12345);
  const nTail = Math.ceil(w / 0.1);
  const raw = Array.from({ length: nTail }, () => (1 - rnd()) ** (-1 / 1.5));
  const rawMean = raw.reduce((a, b) => a + b, 0) / nTail;
  const capped = raw.map((x) => Math.min(x, 100 * rawMean));
  const cappedMean = capped.reduce((a, b) => a + b, 0) / nTail;
  const heavy = Float64Array.from(capped.map((x) => (x / cappedMean) * 0.1).sort((a, b) => a - b));
  // Growing: cost rises linearly from ~0 to 2× the mean (mean 20 µs) along the input.
  const nGrow = Math.ceil(w / 0.02);
  const growing = Float64Array.from({ length: nGrow }, (_, i) => (0.04 * (i + 0.5)) / nGrow);
  return {
    'uniform 1 µs': uniform(0.001),
    'uniform 10 µs': uniform(0.01),
    'uniform 100 µs': uniform(0.1),
    'uniform 1 ms': uniform(1),
    'heavy tail at end': heavy,
    'growing cost': growing,
    'decreasing cost': growing.slice().reverse(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, costs] of Object.entries(profiles())) {
    const r = simulate(costs);
    const max = r.chunks.reduce((m, c) => Math.max(m, c.size), 0);
    console.log(
      `${name.padEnd(18)} N=${String(costs.length).padStart(6)}  ideal ${r.idealMs.toFixed(1)} ms  makespan ` +
        `${r.makespanMs.toFixed(1)} ms  efficiency ${r.efficiency.toFixed(4)}  chunks ${r.chunks.length}  max ${max}`,
    );
  }
}
