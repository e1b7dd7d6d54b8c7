/**
 * Per-worker heap-pressure bands, as a small pure state machine used by the adaptive policy.
 *
 * Each worker's `heapRatio` (used / limit, reported with every result) maps to a level:
 * 0 normal (< freezeAt), 1 freeze growth (< halveAt), 2 halve the chunk (< quarterAt), 3 quarter it and pause.
 * A level rises at once; it falls only after `greenSamples` consecutive samples below it (hysteresis), and then
 * to the highest level seen during that streak. A paused worker gives up all its in-flight slots (see
 * `withheldSlots`) and is released by its first sample below `resumeBelow`.
 * V8 dies well before used = limit (an OOM was measured at 49.6 of 88 MB), hence thresholds far below 1.0.
 */

/** 0 normal, 1 freeze growth, 2 halve, 3 quarter + pause. */
export type HeapLevel = 0 | 1 | 2 | 3;

/** Thresholds of the heap bands (all ratios of heap used / heap limit). */
export interface HeapBandOptions {
  /** At or above this ratio, chunk growth is frozen. Default `0.6`. */
  freezeAt?: number;
  /** At or above this ratio, the chunk is halved and the worker's prefetch dropped. Default `0.75`. */
  halveAt?: number;
  /** Above this ratio, the chunk is quartered and the worker paused. Default `0.85`. */
  quarterAt?: number;
  /** A paused worker is released by a result whose ratio is below this. Default `0.7`. */
  resumeBelow?: number;
  /** Consecutive samples below the current level needed to step the level down. Default `3`. */
  greenSamples?: number;
  /**
   * A worker not heard from for this many × threads samples (of any worker) is forgotten: a dead worker whose
   * failure carried no id, or a paused worker that gets no work, must not hold the run back. Default `4`.
   */
  staleAfterPerThread?: number;
}

interface WorkerHeap {
  level: HeapLevel;
  paused: boolean;
  /** Consecutive samples below `level`. */
  streak: number;
  /** Highest level seen during the current below-level streak. */
  streakMax: HeapLevel;
  /** Sample clock at this worker's last sample. */
  seen: number;
}

/** Tracks the heap level of every live worker. */
export class HeapBands {
  readonly #o: Required<HeapBandOptions>;
  readonly #workers = new Map<number, WorkerHeap>();
  #clock = 0;

  constructor(options: HeapBandOptions = {}) {
    this.#o = {
      freezeAt: options.freezeAt ?? 0.6,
      halveAt: options.halveAt ?? 0.75,
      quarterAt: options.quarterAt ?? 0.85,
      resumeBelow: options.resumeBelow ?? 0.7,
      greenSamples: options.greenSamples ?? 3,
      staleAfterPerThread: options.staleAfterPerThread ?? 4,
    };
  }

  /** The band of one sample, without hysteresis. */
  levelOf(ratio: number): HeapLevel {
    const o = this.#o;
    if (!(ratio >= o.freezeAt)) return 0; // NaN counts as green: a missing sample must not stall the run
    if (ratio < o.halveAt) return 1;
    if (ratio <= o.quarterAt) return 2;
    return 3;
  }

  /** Feed one result's heap ratio; returns the worker's level after hysteresis. */
  observe(workerId: number, ratio: number): HeapLevel {
    const w = this.#workers.get(workerId) ?? { level: 0, paused: false, streak: 0, streakMax: 0, seen: 0 };
    this.#workers.set(workerId, w);
    w.seen = ++this.#clock;
    const s = this.levelOf(ratio);
    if (s >= w.level) {
      w.level = s;
      w.streak = 0;
      w.streakMax = 0;
    } else {
      w.streak += 1;
      if (s > w.streakMax) w.streakMax = s;
      if (w.streak >= this.#o.greenSamples) {
        w.level = w.streakMax;
        w.streak = 0;
        w.streakMax = 0;
      }
    }
    if (s === 3) w.paused = true;
    else if (w.paused && ratio < this.#o.resumeBelow) w.paused = false;
    return w.level;
  }

  /** Forget a worker that died (OOM, crash, timeout): its replacement starts green. */
  forget(workerId: number): void {
    this.#workers.delete(workerId);
  }

  /** Forget workers with no sample in the last `staleAfterPerThread × threads` samples. */
  expire(threads: number): void {
    const horizon = this.#clock - this.#o.staleAfterPerThread * Math.max(1, threads);
    for (const [id, w] of this.#workers) if (w.seen < horizon) this.#workers.delete(id);
  }

  /** The worst level over live workers (0 when none reported). */
  worst(): HeapLevel {
    let worst: HeapLevel = 0;
    for (const w of this.#workers.values()) if (w.level > worst) worst = w.level;
    return worst;
  }

  /** In-flight slots to withhold: a paused worker gives up all `perWorker`, a level-2 worker its prefetch. */
  withheldSlots(perWorker: number): number {
    let n = 0;
    for (const w of this.#workers.values()) {
      if (w.paused) n += perWorker;
      else if (w.level >= 2) n += Math.max(0, perWorker - 1);
    }
    return n;
  }
}
