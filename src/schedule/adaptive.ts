/**
 * AdaptivePolicy: "FAC2 with a time budget", a pure chunk-size controller. FAC2 is factoring with factor 2
 * (Flynn Hummel, Schonberg and Flynn, "Factoring: a method for scheduling parallel loops", CACM 35(8), 1992): each
 * batch of `threads` chunks takes half the remaining items. Here it only caps a size set by a time target.
 *
 * Numbers in, sizes out: no timers, no clock. Time arrives as `request.elapsedMs` (trace only) and as the
 * `runMs` / `roundTripMs` of completions.
 *
 * - Cost ĉ (ms per item): EWMA of in-worker `runMs / items`; a worker's first (cold) chunk gets weight `coldWeight`.
 * - Overhead o: `roundTripMs - runMs` of warm chunks that were dispatched while a worker was idle
 *   (`inFlight < threads` at `next()`), median of a window. Gaps of queued chunks include queue time, so they serve
 *   only as upper bounds. During the probe only one chunk per worker is in flight, so these clean samples exist.
 * - Target duration T = clamp(overheadFactor·o, minTargetMs, maxTargetMs); steady size = T/ĉ, capped by
 *   FAC2 = ceil(R / (2·threads)) for R known remaining items. FAC2 only caps, so sizes halve about once per batch
 *   of `threads` dispatches (per dispatch by 1 - 1/(2·threads)) as R → 0, down to 1: that is the tail.
 * - Probe: sizes start at `initialChunk` and double per dispatch (at most one doubling per completion seen) until
 *   a warm measurement says the next doubling would pass the floor duration (max(floorFactor·o, minFloorMs), at
 *   most T/4). From then on sizes stay ≥ T/deadBand by the dead band, so they are never tiny when cost is tiny
 *   (only the FAC2 tail, heap cuts, the OOM cap and `maxChunk` go lower).
 * - Damping: recompute at most once per `threads` completions; keep the size while its predicted duration is in
 *   [T/deadBand, T·deadBand]; grow ≤ maxGrowth×, shrink ≤ maxShrink× per step (heap cuts and the OOM cap excepted).
 * - Heap (see heap-bands.ts): `next()` does not know which worker piscina will pick (piscina hands a queued chunk
 *   to whichever worker frees first), so the bands act on the global size through the worst worker: level 1
 *   freezes growth; entering level 2 halves, level 3 quarters. Level-2 workers lose their prefetch slot and paused
 *   (level-3) workers all their slots in `maxInFlight()`, which never drops below 1, so a run cannot deadlock. A
 *   pause ends with that worker's first result below `heap.resumeBelow`, or when the worker has sent nothing for
 *   `heap.staleAfterPerThread × threads` results (then its state is forgotten).
 * - OOM: memCap = min(memCap, max(1, floor(items / 2))), never raised again. 'crash'/'timeout' teach nothing;
 *   'oom'/'crash'/'timeout' forget the worker's heap state (its replacement starts green).
 * - Main-thread pressure (`setMainPressure`): above the threshold, growth freezes and in-flight drops to `threads`.
 * - Split (with stealing and a prior cost): a run whose predicted work fits in one target duration per worker is
 *   cut at its first decision into one chunk per idle worker (ceil(R / idle workers)). Round trips then cost more
 *   than any imbalance could, and stealing corrects the imbalance item by item.
 */
import { checkBoolean, checkNumber, conflicting, type NumberRule, Rules } from '../base/validate.ts';
import { HeapBands, type HeapBandOptions } from './heap-bands.ts';
import type { ChunkCompletion, ChunkPolicy, ChunkRequest } from './policy.ts';

/** Why a decision came out the way it did: the last constraint that set the size. */
export type DecisionReason =
  | 'probe' | 'time-target' | 'dead-band' | 'fac2-cap' | 'tail' | 'heap-freeze' | 'heap-shrink'
  | 'pressure-freeze' | 'oom-cap' | 'max-cap' | 'split';

/** One decision, as plain JSON. */
export interface TraceEntry {
  /** `request.elapsedMs` of the decision. */ t: number;
  /** Items chosen. */ size: number;
  /** `request.remaining` (null when the source length is unknown). */ remaining: number | null;
  /** Estimated per-item cost in µs, or null before any measurement. */ estCostUs: number | null;
  /** Target chunk duration in ms. */ targetMs: number;
  /** Estimated per-chunk dispatch overhead in µs. */ overheadUs: number;
  /** The constraint that set the size. */ reason: DecisionReason;
}

/** Options of {@link AdaptivePolicy}. Every field is optional; defaults are given per field. */
export interface AdaptivePolicyOptions {
  /** Chunks in flight per worker in steady state: one running, one queued, which hides the round trip. Default `2`. */
  inFlightPerWorker?: number | undefined;
  /** Chunks in flight per worker while probing: 1 makes every probe gap a clean overhead sample. Default `1`. */
  probeInFlightPerWorker?: number | undefined;
  /** Target duration = this × measured overhead, so dispatch costs ≈ 1/this of a chunk (1%). Default `100`. */
  overheadFactor?: number | undefined;
  /** Lower clamp of the target duration in ms; guards against an underestimated overhead (≤ 2% at o = 0.1 ms). Default `5`. */
  minTargetMs?: number | undefined;
  /** Upper clamp of the target duration in ms; bounds abort latency, chunk memory and reaction time. Default `50`. */
  maxTargetMs?: number | undefined;
  /** Floor duration = this × overhead (≤ 5% overhead), at least `minFloorMs`, at most target/4: probing stops there. Default `20`. */
  floorFactor?: number | undefined;
  /** Minimum floor duration in ms. Default `1`. */
  minFloorMs?: number | undefined;
  /** Overhead assumed before a clean sample, in ms (piscina round trip here: p50 70 µs, p99 141 µs). Default `0.1`. */
  overheadPriorMs?: number | undefined;
  /** Overhead samples kept (clean and queued, each) for the median / upper bound. Default `16`. */
  overheadWindow?: number | undefined;
  /** EWMA weight of a warm per-item cost sample. Default `0.3`. */
  costAlpha?: number | undefined;
  /** Relative weight of a cold (first per worker) sample; module load and JIT inflate it. Default `0.1`. */
  coldWeight?: number | undefined;
  /** First probe size in items. Default `1`. */
  initialChunk?: number | undefined;
  /** Hard maximum items per chunk: bounds clone size and the items held in flight (so a stream of any length runs in bounded memory); at 16k items even 1 µs items make 16 ms chunks. Default `16_384`. */
  maxChunk?: number | undefined;
  /** Dead band: keep the size while predicted duration is within [target/deadBand, target·deadBand]. Default `2`. */
  deadBand?: number | undefined;
  /** Maximum growth factor per decision. Default `2`. */
  maxGrowth?: number | undefined;
  /** Maximum shrink factor per decision (heap emergencies and the OOM cap excepted). Default `4`. */
  maxShrink?: number | undefined;
  /** Heap band thresholds; defaults 0.6 / 0.75 / 0.85, resume below 0.7, 3 green samples. Default `{}`. */
  heap?: HeapBandOptions | undefined;
  /** Main-thread pressure above which growth freezes and in-flight drops to `threads`. Default `0.8`. */
  mainPressureThreshold?: number | undefined;
  /** Decisions kept in the trace ring (0 disables tracing). Default `10_000`. */
  traceLimit?: number | undefined;
  /**
   * Per-item cost in ms learned by an earlier run of the same task (a runtime remembers it, see cost-memory.ts):
   * there is no probe (ten or so round trips of doubling sizes with one chunk per worker): the first chunks last
   * the floor duration by that cost, two per worker in flight, and grow from there as measured. The first warm
   * measurement replaces it; items that became much dearer make only those first chunks run long (and stealing
   * splits them among idle workers). Default: none.
   */
  priorCostMs?: number | undefined;
  /**
   * Workers give way to idle ones at item granularity (work stealing, as local runs do): the tail then stops
   * halving at the floor duration instead of going down to one item. Default `false`.
   */
  stealing?: boolean | undefined;
}

type Resolved = { [K in Exclude<keyof AdaptivePolicyOptions, 'heap' | 'priorCostMs' | 'stealing'>]-?: Exclude<AdaptivePolicyOptions[K], undefined> };

const DEFAULTS: Resolved = {
  inFlightPerWorker: 2, probeInFlightPerWorker: 1, overheadFactor: 100, minTargetMs: 5, maxTargetMs: 50,
  floorFactor: 20, minFloorMs: 1, overheadPriorMs: 0.1, overheadWindow: 16, costAlpha: 0.3, coldWeight: 0.1,
  initialChunk: 1, maxChunk: 16_384, deadBand: 2, maxGrowth: 2, maxShrink: 4, mainPressureThreshold: 0.8,
  traceLimit: 10_000,
};

/** Per-item costs are floored at 1 ns so a 0 ms timer reading cannot make the target size infinite. */
const MIN_COST_MS = 1e-6;

const POS: NumberRule = Rules.positiveFinite;
const COUNT: NumberRule = { text: 'an integer >= 1', integer: true, min: 1 };
const FACTOR: NumberRule = Rules.atLeastOne;
const UNIT: NumberRule = Rules.unitInterval;
const RULES: Record<keyof Resolved, NumberRule> = {
  inFlightPerWorker: COUNT, probeInFlightPerWorker: COUNT, overheadFactor: POS, minTargetMs: POS, maxTargetMs: POS,
  floorFactor: POS, minFloorMs: POS, overheadPriorMs: POS, overheadWindow: COUNT, costAlpha: UNIT, coldWeight: UNIT,
  initialChunk: COUNT, maxChunk: { text: 'an integer >= 1 or Infinity', integer: true, min: 1, infinite: true },
  deadBand: FACTOR, maxGrowth: FACTOR, maxShrink: FACTOR, mainPressureThreshold: Rules.closedUnit,
  traceLimit: Rules.nonNegativeInteger,
};

function resolve(options: AdaptivePolicyOptions): Resolved {
  const r: Resolved = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Resolved)[]) {
    const v = checkNumber(`options.${key}`, options[key], RULES[key]);
    if (v !== undefined) r[key] = v;
  }
  if (r.minTargetMs > r.maxTargetMs) {
    throw conflicting('options.minTargetMs', '`options.minTargetMs` must be <= `options.maxTargetMs`');
  }
  return r;
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Adaptive chunk-size policy; see the module comment for the rules. */
export class AdaptivePolicy implements ChunkPolicy {
  readonly options: Readonly<Resolved>;
  readonly #heap: HeapBands;
  #est: number | null = null;
  #estWarm = false;
  readonly #cleanGaps: number[] = [];
  readonly #queuedGaps: number[] = [];
  /** Sizes of chunks dispatched while a worker was idle, not yet completed (size → count). */
  readonly #cleanPending = new Map<number, number>();
  #probing = true;
  readonly #stealing: boolean;
  #probeDispatches = 0;
  #base: number;
  #baseReason: DecisionReason = 'time-target';
  #threads = 1;
  #okCount = 0;
  #sinceRecompute = 0;
  #steadySeen = false;
  #memCap = Infinity;
  #mainPressure = 0;
  /** The run is split evenly among the workers (decided at the first decision; null before it). */
  #split: boolean | null = null;
  /** In-worker time and items of the warm chunks that completed: their ratio is the run's mean cost. */
  #warmRunMs = 0;
  #warmItems = 0;
  readonly #ring: TraceEntry[] = [];
  #ringStart = 0;

  constructor(options: AdaptivePolicyOptions = {}) {
    this.options = Object.freeze(resolve(options));
    this.#heap = new HeapBands(options.heap ?? {});
    this.#stealing = checkBoolean('options.stealing', options.stealing) ?? false;
    this.#base = this.options.initialChunk;
    const prior = checkNumber('options.priorCostMs', options.priorCostMs, POS);
    if (prior !== undefined) {
      // No probe: the floor duration by the prior cost, counted as a cold estimate (the first warm sample replaces
      // it, and the size follows from the next recompute).
      this.#est = Math.max(MIN_COST_MS, prior);
      this.#probing = false;
      this.#base = Math.min(this.options.maxChunk, Math.max(this.options.initialChunk, Math.ceil(this.#floorMs() / this.#est)));
      this.#baseReason = 'time-target';
    }
  }

  /**
   * The mean per-item cost (ms) measured on warm workers (their in-worker time over their items), or null before
   * such a measurement: what a later run may start from. Not the estimate itself: that follows the last chunks, and
   * a run's last chunks are the small pieces of its tail, whose fixed cost per chunk weighs on few items.
   */
  warmCostMs(): number | null {
    return this.#warmItems > 0 ? Math.max(MIN_COST_MS, this.#warmRunMs / this.#warmItems) : null;
  }

  /** Items for the next chunk (integer >= 1). Mutates state: probe doubling, periodic recompute, trace. */
  next(request: ChunkRequest): number {
    const o = this.options;
    const threads = Math.max(1, Math.floor(request.threads));
    this.#threads = threads;
    const remaining = request.remaining;
    if (this.#split === null) {
      this.#split = this.#stealing && !this.#probing && this.#est !== null && remaining !== null &&
        remaining * this.#est <= threads * this.#targetMs();
    }
    if (this.#split && remaining !== null && remaining > 0 && request.inFlight < threads) {
      const even = Math.ceil(remaining / (threads - request.inFlight));
      return this.#decided(request, Math.max(1, Math.min(even, this.#memCap, o.maxChunk)), 'split');
    }
    const frozen = this.#frozenReason();
    let reason: DecisionReason;
    if (this.#probing && this.#est !== null && (this.#estWarm || this.#okCount >= 2 * threads) &&
      this.#base * o.maxGrowth * this.#est >= this.#floorMs()) {
      this.#probing = false; // the next doubling would pass the floor duration: hand over to the damped loop
      this.#recompute();
    }
    if (this.#probing) {
      if (this.#probeDispatches > 0 && frozen === null) {
        // Double per dispatch, but never more than one doubling per completion seen (the first fill of P workers
        // learns nothing), and not past the floor duration by any estimate (a cold one overestimates: safe).
        let limit = o.initialChunk * o.maxGrowth ** (this.#okCount + 1);
        if (this.#est !== null) limit = Math.min(limit, Math.ceil(this.#floorMs() / this.#est));
        this.#base = Math.max(this.#base, Math.min(Math.ceil(this.#base * o.maxGrowth), limit));
      }
      this.#base = Math.min(this.#base, this.#memCap, o.maxChunk);
      this.#probeDispatches += 1;
      reason = frozen ?? 'probe';
    } else {
      if (this.#sinceRecompute >= threads) this.#recompute();
      reason = this.#baseReason;
    }
    let size = this.#base;
    if (size >= this.#memCap) [size, reason] = [this.#memCap, 'oom-cap'];
    if (size >= o.maxChunk) [size, reason] = [o.maxChunk, 'max-cap'];
    if (remaining !== null) {
      // The tail halves per batch of chunks. With stealing, not below the floor duration by the estimate: smaller
      // chunks cost more in round trips than the imbalance they would save, since a worker left with a long chunk
      // gives way to an idle one item by item (see item-loop.ts).
      const floorItems = !this.#stealing || this.#est === null ? 1 : Math.floor(this.#floorMs() / this.#est);
      const fac2 = Math.max(1, Math.ceil(remaining / (2 * threads)), Math.min(this.#base, floorItems, remaining));
      if (size > fac2) [size, reason] = [fac2, this.#steadySeen ? 'tail' : 'fac2-cap'];
    }
    if (!this.#probing && reason !== 'fac2-cap' && reason !== 'tail') this.#steadySeen = true;
    return this.#decided(request, Math.max(1, Math.floor(size)), reason);
  }

  #decided(request: ChunkRequest, size: number, reason: DecisionReason): number {
    if (request.inFlight < this.#threads) this.#cleanPending.set(size, (this.#cleanPending.get(size) ?? 0) + 1);
    this.#record({
      t: request.elapsedMs, size, remaining: request.remaining, estCostUs: this.#est === null ? null : this.#est * 1000,
      targetMs: this.#targetMs(), overheadUs: this.#overheadMs() * 1000, reason,
    });
    return size;
  }

  /** Learn from a finished chunk (cost, overhead, heap band, OOM cap). */
  observe(c: ChunkCompletion): void {
    const pending = this.#cleanPending.get(c.items) ?? 0;
    if (pending > 1) this.#cleanPending.set(c.items, pending - 1);
    else this.#cleanPending.delete(c.items);
    if (c.outcome !== 'ok') {
      this.#heap.forget(c.workerId); // the worker is gone or being replaced (an id < 0 is unknown: aging handles it)
      if (c.outcome === 'oom') {
        this.#memCap = Math.min(this.#memCap, Math.max(1, Math.floor(c.items / 2)));
        this.#base = Math.min(this.#base, this.#memCap);
        this.#baseReason = 'oom-cap';
      }
      return;
    }
    const before = this.#heap.worst();
    this.#heap.observe(c.workerId, c.heapRatio);
    this.#heap.expire(this.#threads);
    const after = this.#heap.worst();
    if (after > before && after >= 2) {
      // Emergency cut, exempt from maxShrink: level 2 is 1/2 and level 3 is 1/4 of the pre-pressure size.
      this.#base = Math.max(1, Math.ceil(this.#base / 2 ** (after - Math.max(before, 1))));
      this.#baseReason = 'heap-shrink';
      this.#sinceRecompute = 0;
    }
    if (c.items > 0 && Number.isFinite(c.runMs) && c.runMs >= 0) {
      const sample = Math.max(MIN_COST_MS, c.runMs / c.items);
      if (this.#est === null || (!c.cold && !this.#estWarm)) this.#est = sample; // a warm sample replaces cold ones
      else this.#est += this.options.costAlpha * (c.cold ? this.options.coldWeight : 1) * (sample - this.#est);
      if (!c.cold) {
        this.#estWarm = true;
        this.#warmRunMs += c.runMs;
        this.#warmItems += c.items;
      }
      const gap = c.roundTripMs - c.runMs;
      if (!c.cold && Number.isFinite(gap)) {
        const window = pending > 0 ? this.#cleanGaps : this.#queuedGaps;
        if (window.push(Math.max(0, gap)) > this.options.overheadWindow) window.shift();
      }
    }
    this.#okCount += 1;
    this.#sinceRecompute += 1;
  }

  /** Chunks allowed in flight: per-worker slots minus those withheld for heap pressure; `threads` under main pressure; ≥ 1. */
  maxInFlight(threads: number): number {
    const per = this.#probing ? this.options.probeInFlightPerWorker : this.options.inFlightPerWorker;
    let n = per * Math.max(1, Math.floor(threads)) - this.#heap.withheldSlots(per);
    if (this.#mainPressure > this.options.mainPressureThreshold) n = Math.min(n, threads);
    return Math.max(1, n);
  }

  /** Main-thread memory pressure, 0..1 (e.g. rss / budget); above `mainPressureThreshold` growth freezes. */
  setMainPressure(ratio: number): void {
    this.#mainPressure = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  }

  /** The decision trace, oldest first (a copy; bounded by `traceLimit`). */
  trace(): TraceEntry[] {
    const ring = this.#ring;
    return [...ring.slice(this.#ringStart), ...ring.slice(0, this.#ringStart)].map((e) => ({ ...e }));
  }

  /** A snapshot of the controller's state, for logs and tests. */
  stats(): {
    probing: boolean; estCostUs: number | null; overheadUs: number; targetMs: number; floorMs: number;
    baseSize: number; memCap: number; heapLevel: number; mainPressure: number;
  } {
    return {
      probing: this.#probing, estCostUs: this.#est === null ? null : this.#est * 1000,
      overheadUs: this.#overheadMs() * 1000, targetMs: this.#targetMs(), floorMs: this.#floorMs(),
      baseSize: this.#base, memCap: this.#memCap, heapLevel: this.#heap.worst(), mainPressure: this.#mainPressure,
    };
  }

  #overheadMs(): number {
    const clean = median(this.#cleanGaps) ?? this.options.overheadPriorMs;
    return Math.min(clean, ...this.#queuedGaps); // any gap is an upper bound on the overhead
  }

  #targetMs(): number {
    const o = this.options;
    return Math.min(o.maxTargetMs, Math.max(o.minTargetMs, o.overheadFactor * this.#overheadMs()));
  }

  #floorMs(): number {
    const o = this.options;
    return Math.min(this.#targetMs() / 4, Math.max(o.minFloorMs, o.floorFactor * this.#overheadMs()));
  }

  #frozenReason(): DecisionReason | null {
    if (this.#heap.worst() >= 1) return 'heap-freeze';
    if (this.#mainPressure > this.options.mainPressureThreshold) return 'pressure-freeze';
    return null;
  }

  #recompute(): void {
    this.#sinceRecompute = 0;
    const o = this.options;
    const est = Math.max(MIN_COST_MS, this.#est ?? MIN_COST_MS);
    const target = this.#targetMs();
    const predicted = this.#base * est;
    const ideal = Math.max(1, Math.round(target / est));
    if (predicted < target / o.deadBand) {
      const frozen = this.#frozenReason();
      if (frozen !== null) this.#baseReason = frozen;
      else [this.#base, this.#baseReason] = [Math.min(ideal, Math.ceil(this.#base * o.maxGrowth)), 'time-target'];
    } else if (predicted > target * o.deadBand) {
      [this.#base, this.#baseReason] = [Math.max(ideal, Math.ceil(this.#base / o.maxShrink)), 'time-target'];
    } else {
      this.#baseReason = 'dead-band';
    }
    this.#base = Math.min(this.#base, this.#memCap, o.maxChunk);
  }

  #record(entry: TraceEntry): void {
    const limit = this.options.traceLimit;
    if (limit === 0) return;
    if (this.#ring.length < limit) this.#ring.push(entry);
    else {
      this.#ring[this.#ringStart] = entry;
      this.#ringStart = (this.#ringStart + 1) % limit;
    }
  }
}

/** Create an {@link AdaptivePolicy}. */
export function createAdaptivePolicy(options: AdaptivePolicyOptions = {}): AdaptivePolicy {
  return new AdaptivePolicy(options);
}
