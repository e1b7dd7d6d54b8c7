/**
 * The line workers' pool, started on its own (src/cli/early-start.ts): what it needs and nothing more (the pool
 * plan and piscina), so that the pool starts as soon as this small part of the command has loaded.
 */
import type { Piscina } from 'piscina';
import { resolveRuntimeOptions } from '../options.ts';
import { planPool } from '../plan/plan.ts';
import { probeMachine } from '../plan/probe.ts';
import type { PoolLimits, PoolPlan } from '../plan/types.ts';
import { createPool } from '../pool.ts';

/**
 * Young generation of a line worker, MiB. A line's objects (its parsed value, the task's garbage, its output
 * text) die with the line, so a small young generation costs no extra collection work, and it saves the fresh
 * pages V8's default (up to ~48 MiB per worker) would touch as it grows: on the 2-core machine here, `batchtools
 * run` over bench:cli's 300,000 lines of ~1 µs records took 1.38-1.53 s against 1.52-1.73 s (three runs of each
 * in turns, `/usr/bin/time`), with ~10,000 fewer page faults and ~40 MB less peak RSS.
 */
export const LINE_WORKER_YOUNG_MB = 8;

/** A started pool with the plan and limits it was made for. */
export interface StartedPool {
  readonly plan: PoolPlan;
  readonly limits: PoolLimits;
  readonly pool: Piscina;
}

/** The runtime options of a line workers' pool of these sizes (undefined: the pool plan decides). */
export function lineRuntimeOptions(sizes: { threads?: number | undefined; maxHeapMb?: number | undefined }): { threads?: number; maxHeapMb?: number } {
  const options: { threads?: number; maxHeapMb?: number } = {};
  if (sizes.threads !== undefined) options.threads = sizes.threads;
  if (sizes.maxHeapMb !== undefined) options.maxHeapMb = sizes.maxHeapMb;
  return options;
}

/**
 * Start the line workers' pool for these sizes, as the run's runtime would make it (block-engine.ts, `runtimeFor`).
 * Throws what the runtime would (an option out of range).
 */
export function startLinePool(sizes: { threads: number | undefined; maxHeapMb: number | undefined }): StartedPool {
  const plan = planPool(probeMachine(), resolveRuntimeOptions(lineRuntimeOptions(sizes)));
  const limits: PoolLimits = { youngGenerationMb: LINE_WORKER_YOUNG_MB };
  return { plan, limits, pool: createPool(plan, limits) };
}
