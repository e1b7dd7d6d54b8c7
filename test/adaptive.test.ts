import { describe, expect, it } from 'vitest';
import { mulberry32, profiles, simulate } from '../bench/sim-controller.ts';
import { InvalidOptionError } from '../src/errors.ts';
import { AdaptivePolicy, createAdaptivePolicy, type TraceEntry } from '../src/schedule/adaptive.ts';
import { HeapBands } from '../src/schedule/heap-bands.ts';
import type { ChunkCompletion, ChunkPolicy } from '../src/schedule/policy.ts';

const P = 2;

/** Ask for a chunk as a pipelined dispatcher would (all workers busy, so no clean overhead sample). */
function ask(p: AdaptivePolicy, remaining: number | null = null): number {
  return p.next({ remaining, inFlight: 2 * P - 1, threads: P, elapsedMs: 0 });
}

/** Report a chunk of `items` at `costMs` per item. */
function done(p: AdaptivePolicy, items: number, costMs: number, extra: Partial<ChunkCompletion> = {}): void {
  const runMs = items * costMs;
  p.observe({ items, runMs, roundTripMs: runMs + 0.06, heapRatio: 0.2, workerId: 0, cold: false, outcome: 'ok', ...extra });
}

/** Drive ask/observe pairs, alternating workers (each worker's first chunk cold). */
function drive(p: AdaptivePolicy, rounds: number, costMs: number, heap: (w: number, i: number) => number = () => 0.2): number[] {
  const sizes: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const size = ask(p);
    sizes.push(size);
    const workerId = i % P;
    done(p, size, costMs, { workerId, heapRatio: heap(workerId, i), cold: false });
  }
  return sizes;
}

/** A policy warmed on 10 µs items until its size has settled; returns it and the settled size. */
function warmed(options = {}): { p: AdaptivePolicy; size: number } {
  const p = createAdaptivePolicy(options);
  const sizes = drive(p, 60, 0.01);
  return { p, size: sizes.at(-1)! };
}

function directionChanges(xs: readonly number[]): number {
  let changes = 0;
  let last = 0;
  for (let i = 1; i < xs.length; i++) {
    const d = Math.sign(xs[i]! - xs[i - 1]!);
    if (d === 0) continue;
    if (last !== 0 && d !== last) changes++;
    last = d;
  }
  return changes;
}

describe('AdaptivePolicy: options', () => {
  it('resolves documented defaults and implements ChunkPolicy', () => {
    const p: ChunkPolicy = createAdaptivePolicy();
    expect(p).toBeInstanceOf(AdaptivePolicy);
    expect((p as AdaptivePolicy).options).toMatchObject({
      inFlightPerWorker: 2, overheadFactor: 100, minTargetMs: 5, maxTargetMs: 50, deadBand: 2, maxGrowth: 2,
      maxShrink: 4, traceLimit: 10_000, maxChunk: 16_384,
    });
    expect(p.maxInFlight(4)).toBe(4); // probing: one per worker
  });

  it('rejects invalid options', () => {
    expect(() => createAdaptivePolicy({ inFlightPerWorker: 1.5 })).toThrow(InvalidOptionError);
    expect(() => createAdaptivePolicy({ costAlpha: 2 })).toThrow(InvalidOptionError);
    expect(() => createAdaptivePolicy({ minTargetMs: 60, maxTargetMs: 50 })).toThrow(InvalidOptionError);
    expect(() => createAdaptivePolicy({ deadBand: 0.5 })).toThrow(InvalidOptionError);
    expect(() => createAdaptivePolicy({ traceLimit: -1 })).toThrow(InvalidOptionError);
    expect(createAdaptivePolicy({ maxChunk: Infinity }).options.maxChunk).toBe(Infinity);
  });
});

describe('AdaptivePolicy: cold start and convergence', () => {
  it('probes 1, 2, 4, ... with one chunk per worker, then keeps two per worker', () => {
    const p = createAdaptivePolicy();
    const sizes = [0, 1].map((inFlight) => p.next({ remaining: null, inFlight, threads: P, elapsedMs: 0 }));
    expect(sizes).toEqual([1, 2]);
    expect(p.maxInFlight(P)).toBe(P);
    p.observe({ items: 1, runMs: 0.02, roundTripMs: 0.1, heapRatio: 0.1, workerId: 0, cold: true, outcome: 'ok' });
    expect(p.next({ remaining: null, inFlight: 1, threads: P, elapsedMs: 1 })).toBe(4);
    p.observe({ items: 2, runMs: 0.04, roundTripMs: 0.1, heapRatio: 0.1, workerId: 1, cold: true, outcome: 'ok' });
    expect(p.next({ remaining: null, inFlight: 1, threads: P, elapsedMs: 1 })).toBe(8);
    expect(p.trace().map((e) => e.reason)).toEqual(['probe', 'probe', 'probe', 'probe']);
    drive(p, 20, 0.01);
    expect(p.stats().probing).toBe(false);
    expect(p.maxInFlight(P)).toBe(2 * P);
  });

  it('does not double blindly while the first chunks of many workers are still out', () => {
    const p = createAdaptivePolicy();
    const fill = Array.from({ length: 8 }, (_, inFlight) => p.next({ remaining: 1e6, inFlight, threads: 8, elapsedMs: 0 }));
    expect(Math.max(...fill)).toBeLessThanOrEqual(2);
  });

  it.each([
    [0.01, 0.06, 6],
    [0.001, 0.06, 6],
    [0.1, 0.15, 15],
    [0.01, 0.01, 5], // 100 × 10 µs = 1 ms, clamped up to minTargetMs
  ])('converges from cold to target/cost (cost %f ms, overhead %f ms)', (costMs, overheadMs, targetMs) => {
    const n = Math.ceil(1000 / costMs);
    const r = simulate(new Float64Array(n).fill(costMs), { overheadMs, knownLength: false });
    const trace = r.trace;
    expect(trace[0]!.size).toBe(1);
    const last = trace.at(-1)!;
    expect(last.targetMs).toBeCloseTo(targetMs, 1);
    expect(last.overheadUs).toBeCloseTo(overheadMs * 1000, 0); // queued round trips did not inflate it
    expect(last.estCostUs!).toBeCloseTo(costMs * 1000, 3);
    const ideal = targetMs / costMs;
    const tailSizes = trace.slice(-20).map((e) => e.size);
    expect(new Set(tailSizes).size).toBe(1);
    expect(tailSizes[0]!).toBeGreaterThanOrEqual(ideal / 2);
    expect(tailSizes[0]!).toBeLessThanOrEqual(ideal * 2);
    for (let i = 1; i < trace.length; i++) expect(trace[i]!.size).toBeLessThanOrEqual(2 * trace[i - 1]!.size);
  });
});

describe('AdaptivePolicy: FAC2 cap and tail', () => {
  const capOk = (e: TraceEntry): boolean => e.remaining === null || e.size <= Math.ceil(e.remaining / (2 * P));

  it('shrinks toward the end: sizes never grow in the tail and end at 1', () => {
    const r = simulate(new Float64Array(5000).fill(0.1));
    const trace = r.trace;
    expect(trace.every(capOk)).toBe(true);
    const firstTail = trace.findIndex((e) => e.reason === 'tail');
    expect(firstTail).toBeGreaterThan(0);
    const tail = trace.slice(firstTail).map((e) => e.size);
    expect(tail.length).toBeGreaterThan(8);
    for (let i = 1; i < tail.length; i++) expect(tail[i]!).toBeLessThanOrEqual(tail[i - 1]!);
    expect(tail.slice(-3)).toEqual([1, 1, 1]);
    expect(tail[0]! / tail.at(-1)!).toBeGreaterThan(10);
  });

  it('with cost growing along the input, no chunk exceeds the FAC2 cap and the last chunks are short', () => {
    const costs = profiles()['growing cost']!;
    const r = simulate(costs);
    expect(r.trace.every(capOk)).toBe(true);
    const wp = r.idealMs;
    const last = r.chunks.slice(-2 * P);
    for (const c of last) expect(c.runMs).toBeLessThan(0.01 * wp);
    expect(r.efficiency).toBeGreaterThanOrEqual(0.95);
  });

  it('uses FAC2 from the start on a short input', () => {
    const p = createAdaptivePolicy({ initialChunk: 64 });
    expect(p.next({ remaining: 10, inFlight: 0, threads: P, elapsedMs: 0 })).toBe(3);
    expect(p.trace()[0]!.reason).toBe('fac2-cap');
  });
});

describe('AdaptivePolicy: a prior cost, and a tail with stealing', () => {
  it('with a prior cost there is no probe: the first chunks last the floor duration by that cost', () => {
    const p = createAdaptivePolicy({ priorCostMs: 0.001 });
    const floor = p.stats().floorMs;
    const size = p.next({ remaining: 1_000_000, inFlight: 0, threads: P, elapsedMs: 0 });
    expect(size).toBe(Math.ceil(floor / 0.001));
    expect(p.trace()[0]!.reason).toBe('time-target');
    expect(p.stats().probing).toBe(false);
    // Two chunks per worker in flight at once (the probe allows one).
    expect(p.maxInFlight(P)).toBe(2 * P);
    expect(() => createAdaptivePolicy({ priorCostMs: 0 })).toThrow(InvalidOptionError);
  });

  it('a warm sample replaces the prior: items 100x dearer shrink the next sizes', () => {
    const p = createAdaptivePolicy({ priorCostMs: 0.001 });
    const first = p.next({ remaining: 1_000_000, inFlight: 0, threads: P, elapsedMs: 0 });
    for (let w = 0; w < P; w++) {
      p.observe({ items: first, runMs: first * 0.1, roundTripMs: first * 0.1 + 0.1, heapRatio: 0.1, workerId: w, cold: false, outcome: 'ok' });
    }
    expect(p.warmCostMs()).toBeCloseTo(0.1);
    const next = p.next({ remaining: 900_000, inFlight: 0, threads: P, elapsedMs: 10 });
    expect(next).toBeLessThanOrEqual(Math.ceil(first / 4));
  });

  it('with stealing and a prior, a run that fits in one target duration per worker is split evenly, one chunk per worker', () => {
    const threads = 4;
    const p = createAdaptivePolicy({ priorCostMs: 0.001, stealing: true });
    const target = p.stats().targetMs;
    const n = Math.floor((threads * target) / 0.001) - 1; // just within threads × target
    const sizes: number[] = [];
    for (let left = n, inFlight = 0; left > 0; inFlight++) {
      const size = p.next({ remaining: left, inFlight, threads, elapsedMs: 0 });
      sizes.push(size);
      left -= size;
    }
    expect(sizes).toHaveLength(threads);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(p.trace().every((d) => d.reason === 'split')).toBe(true);
  });

  it('no split for a longer run, without stealing, or without a prior', () => {
    const threads = 4;
    const cases = [
      { options: { priorCostMs: 0.001, stealing: true }, work: 3 },
      { options: { priorCostMs: 0.001 }, work: 0.5 },
      { options: { stealing: true }, work: 0.5 },
    ];
    for (const { options, work } of cases) {
      const p = createAdaptivePolicy(options);
      const n = Math.floor((work * threads * p.stats().targetMs) / 0.001);
      const size = p.next({ remaining: n, inFlight: 0, threads, elapsedMs: 0 });
      expect(p.trace()[0]!.reason).not.toBe('split');
      expect(size).toBeLessThan(n / threads);
    }
  });

  it('the cost a later run starts from is the mean over warm chunks, not the estimate that follows the last small pieces', () => {
    const p = createAdaptivePolicy({ stealing: true });
    const obs = (items: number, costMs: number, cold = false): void =>
      p.observe({ items, runMs: items * costMs, roundTripMs: items * costMs + 0.5, heapRatio: 0.1, workerId: 0, cold, outcome: 'ok' });
    expect(p.warmCostMs()).toBeNull();
    obs(100, 0.05, true); // a cold chunk is not counted
    expect(p.warmCostMs()).toBeNull();
    obs(10_000, 0.001);
    obs(10_000, 0.001);
    for (let i = 0; i < 6; i++) obs(5, 0.02); // tail pieces: a fixed cost per chunk over few items
    expect(p.stats().estCostUs!).toBeGreaterThan(5);
    expect(p.warmCostMs()).toBeCloseTo((20_000 * 0.001 + 30 * 0.02) / 20_030, 9);
  });

  it('with stealing, the tail stops halving at the floor duration; without, it goes down to one item', () => {
    const costs = new Float64Array(5000).fill(0.1);
    const plain = simulate(costs).trace.map((e) => e.size);
    const stealing = simulate(costs, { policyOptions: { stealing: true } });
    expect(plain.at(-1)).toBe(1);
    // Each tail chunk is at least the floor size by the estimate of its decision, or what was left.
    const tail = stealing.trace.filter((e) => e.reason === 'tail');
    expect(tail.length).toBeGreaterThan(0);
    for (const e of tail) {
      const floorMs = Math.min(e.targetMs / 4, Math.max(1, (20 * e.overheadUs) / 1000));
      const floorItems = Math.floor(floorMs / (e.estCostUs! / 1000));
      expect(floorItems).toBeGreaterThan(4);
      expect(e.size).toBeGreaterThanOrEqual(Math.min(floorItems, e.remaining!));
    }
    expect(stealing.chunks.length).toBeLessThan(plain.length);
    expect(stealing.chunks.reduce((s, c) => s + c.size, 0)).toBe(5000);
  });
});

describe('AdaptivePolicy: damping', () => {
  const noisyRun = (deadBand: number) => {
    const rnd = mulberry32(42);
    const r = simulate(new Float64Array(200_000).fill(0.02), {
      knownLength: false, chunkNoise: () => 0.7 + 0.6 * rnd(), policyOptions: { deadBand },
    });
    const steady = r.trace.filter((e) => e.reason !== 'probe').slice(10).map((e) => e.size);
    return { steady, changes: directionChanges(steady) };
  };

  it('a ±30% noisy cost does not make sizes oscillate', () => {
    const { steady, changes } = noisyRun(2);
    expect(steady.length).toBeGreaterThan(100);
    expect(changes).toBeLessThanOrEqual(2);
    expect(Math.max(...steady) / Math.min(...steady)).toBeLessThanOrEqual(2);
  });

  it('(control) without the dead band the same signal does oscillate', () => {
    expect(noisyRun(1).changes).toBeGreaterThan(20);
  });

  it('recomputes at most once per `threads` completions and shrinks at most 4x per step', () => {
    const { p, size } = warmed();
    const sizes = [size, ...drive(p, 12, 1)]; // items become 100x more expensive
    const changes = sizes.flatMap((s, i) => (i > 0 && s !== sizes[i - 1] ? [i] : []));
    expect(changes.length).toBeGreaterThanOrEqual(2);
    for (let k = 1; k < changes.length; k++) expect(changes[k]! - changes[k - 1]!).toBeGreaterThanOrEqual(P);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThanOrEqual(Math.ceil(sizes[i - 1]! / 4));
    expect(sizes.at(-1)!).toBeLessThanOrEqual((2 * 6) / 1); // reached the band around target/cost = 6 items
  });
});

describe('AdaptivePolicy: heap bands', () => {
  it('freezes, halves, quarters and pauses, then steps back up only after 3 green samples', () => {
    const { p, size } = warmed();
    // Cost drops 10x (the target asks for more) while worker 0 sits in the freeze band.
    const frozen = drive(p, 12, 0.001, (w) => (w === 0 ? 0.65 : 0.3));
    expect(Math.max(...frozen)).toBe(size);
    expect(p.trace().at(-1)!.reason).toBe('heap-freeze');
    expect(p.maxInFlight(P)).toBe(4);

    done(p, size, 0.001, { workerId: 1, heapRatio: 0.8 });
    expect(ask(p)).toBe(Math.ceil(size / 2));
    expect(p.trace().at(-1)!.reason).toBe('heap-shrink');
    expect(p.maxInFlight(P)).toBe(3); // worker 1 lost its prefetch

    done(p, size, 0.001, { workerId: 0, heapRatio: 0.9 });
    const quartered = ask(p);
    expect(quartered).toBe(Math.ceil(Math.ceil(size / 2) / 2));
    // Worker 0 is paused: it gives up both its slots, worker 1 (level 2) its prefetch: 4 - 2 - 1.
    expect(p.maxInFlight(P)).toBe(1);

    done(p, quartered, 0.001, { workerId: 0, heapRatio: 0.72 });
    expect(p.maxInFlight(P)).toBe(1); // still paused: not below 0.7 yet
    done(p, quartered, 0.001, { workerId: 0, heapRatio: 0.55 });
    // The pause ended; worker 0 is still at level 3 until 3 green samples, so it keeps only its running slot.
    expect(p.maxInFlight(P)).toBe(2);

    // Two more green samples per worker: still no growth.
    for (const w of [0, 1, 1]) done(p, quartered, 0.001, { workerId: w, heapRatio: 0.3 });
    expect(drive(p, 1, 0.001, () => 0.3)[0]).toBe(quartered); // that sample was worker 0's 3rd green
    expect(p.stats().heapLevel).toBe(2); // worker 1 has only 2 green so far
    const after = drive(p, 10, 0.001, () => 0.3);
    expect(p.stats().heapLevel).toBe(0);
    expect(Math.max(...after)).toBeGreaterThan(quartered);
    for (let i = 1; i < after.length; i++) expect(after[i]!).toBeLessThanOrEqual(2 * after[i - 1]!);
  });

  it('HeapBands: bands, hysteresis to the highest level of the streak, pause/resume, forget and expiry', () => {
    const h = new HeapBands();
    expect([0.1, 0.6, 0.75, 0.85, 0.86].map((r) => h.levelOf(r))).toEqual([0, 1, 2, 2, 3]);
    h.observe(1, 0.9);
    expect(h.worst()).toBe(3);
    expect(h.withheldSlots(2)).toBe(2); // paused: both of its slots
    h.observe(1, 0.65);
    h.observe(1, 0.3);
    expect(h.worst()).toBe(3);
    expect(h.withheldSlots(2)).toBe(1); // released (below 0.7) but still level 3: its prefetch only
    h.observe(1, 0.3);
    expect(h.worst()).toBe(1); // the streak's highest sample was in the freeze band
    expect(h.withheldSlots(2)).toBe(0);
    for (let i = 0; i < 3; i++) h.observe(1, 0.3);
    expect(h.worst()).toBe(0);
    h.observe(2, 0.95);
    expect(h.withheldSlots(2)).toBe(2);
    h.forget(2);
    expect(h.withheldSlots(2)).toBe(0);
    h.observe(3, 0.95);
    for (let i = 0; i < 8; i++) h.observe(1, 0.3);
    h.expire(2); // worker 3 silent for 8 samples = 4 × threads
    expect(h.withheldSlots(2)).toBe(2);
    h.observe(1, 0.3);
    h.expire(2);
    expect(h.withheldSlots(2)).toBe(0);
    expect(h.worst()).toBe(0);
  });
});

describe('AdaptivePolicy: failures', () => {
  it('an OOM halves a max-chunk cap that is never raised again', () => {
    const { p, size } = warmed();
    done(p, size, 0.01, { outcome: 'oom', workerId: -1 });
    const capped = Math.floor(size / 2);
    expect(p.stats().memCap).toBe(capped);
    expect(ask(p)).toBe(capped);
    expect(p.trace().at(-1)!.reason).toBe('oom-cap');
    expect(Math.max(...drive(p, 40, 0.0001))).toBe(capped); // much cheaper items: still capped
    done(p, 10, 0.01, { outcome: 'oom' });
    done(p, 100, 0.01, { outcome: 'oom' });
    expect(p.stats().memCap).toBe(5);
    done(p, 1, 0.01, { outcome: 'oom' });
    expect(p.stats().memCap).toBe(1);
    expect(ask(p)).toBe(1);
  });

  it("'crash' and 'timeout' teach no cost and no overhead", () => {
    const { p } = warmed();
    const before = p.stats();
    done(p, 10, 1000, { outcome: 'crash', roundTripMs: 1e5 });
    done(p, 10, 1000, { outcome: 'timeout', roundTripMs: 1e5 });
    expect(p.stats()).toEqual(before);
  });

  it('down-weights cold chunks', () => {
    const p = createAdaptivePolicy();
    done(p, 10, 0.01); // warm: 10 µs
    done(p, 10, 1, { cold: true, workerId: 1 }); // cold: 1 ms per item
    expect(p.stats().estCostUs!).toBeLessThan(10 + 0.3 * 0.1 * 990 + 1e-9);
  });
});

describe('AdaptivePolicy: main-thread pressure', () => {
  it('drops in-flight to threads and freezes growth above the threshold', () => {
    const { p, size } = warmed();
    expect(p.maxInFlight(P)).toBe(4);
    p.setMainPressure(0.9);
    expect(p.maxInFlight(P)).toBe(P);
    expect(Math.max(...drive(p, 10, 0.001))).toBe(size);
    expect(p.trace().at(-1)!.reason).toBe('pressure-freeze');
    p.setMainPressure(0.2);
    expect(p.maxInFlight(P)).toBe(4);
    expect(Math.max(...drive(p, 10, 0.001))).toBeGreaterThan(size);
  });
});

describe('AdaptivePolicy: unknown-length source', () => {
  it('uses the time target only, bounded by maxChunk', () => {
    const r = simulate(new Float64Array(300_000).fill(0.001), { knownLength: false, policyOptions: { maxChunk: 500 } });
    const reasons = new Set(r.trace.map((e) => e.reason));
    expect(reasons.has('fac2-cap') || reasons.has('tail')).toBe(false);
    expect(reasons.has('max-cap')).toBe(true);
    expect(Math.max(...r.trace.map((e) => e.size))).toBe(500);
    expect(r.trace.every((e) => e.remaining === null)).toBe(true);
  });
});

describe('AdaptivePolicy: trace', () => {
  it('is a bounded ring of plain JSON decisions, returned as a copy', () => {
    const p = createAdaptivePolicy({ traceLimit: 5 });
    for (let i = 0; i < 12; i++) p.next({ remaining: 1000 - i, inFlight: 0, threads: P, elapsedMs: i });
    const t = p.trace();
    expect(t.map((e) => e.t)).toEqual([7, 8, 9, 10, 11]);
    expect(Object.keys(t[0]!).sort()).toEqual(['estCostUs', 'overheadUs', 'reason', 'remaining', 'size', 't', 'targetMs']);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
    t[0]!.size = -1;
    expect(p.trace()[0]!.size).not.toBe(-1);
    const off = createAdaptivePolicy({ traceLimit: 0 });
    off.next({ remaining: null, inFlight: 0, threads: P, elapsedMs: 0 });
    expect(off.trace()).toEqual([]);
  });
});

describe('simulation: P = 2, overhead 60 µs, W/P = 250 ms', () => {
  const results = Object.entries(profiles(250, P)).map(([name, costs]) => ({ name, n: costs.length, ...simulate(costs) }));

  it.each(results.map((r) => [r.name, r] as const))('%s: efficiency >= 0.95', (_name, r) => {
    expect(r.idealMs).toBeGreaterThanOrEqual(250 - 1e-6);
    expect(r.efficiency).toBeGreaterThanOrEqual(0.95);
  });

  it.each(results.map((r) => [r.name, r] as const))('%s: every item in exactly one chunk; dispatch overhead at most 1/20 of the work', (_name, r) => {
    const chunks = [...r.chunks].sort((a, b) => a.start - b.start);
    let next = 0;
    for (const c of chunks) {
      expect(c.start).toBe(next);
      expect(c.size).toBeGreaterThanOrEqual(1);
      next += c.size;
    }
    expect(next).toBe(r.n);
    // 60 µs of overhead per chunk (the simulation's), against the work of P workers for idealMs.
    expect(r.chunks.length * 0.06).toBeLessThanOrEqual(0.05 * r.idealMs * P);
  });
});
