/**
 * The worker pool: one Piscina instance sized by the pool plan, running the batch worker. Nothing here decides
 * what to run; the dispatcher does.
 */
import { Piscina } from 'piscina';
import { workerEntryUrl } from './base/entry-url.ts';
import type { PoolLimits, PoolPlan } from './plan/types.ts';

/** Where the batch worker entry lives: `dist/workers/batch-entry.cjs` when built, the TypeScript sources otherwise. */
export function batchWorkerUrl(): URL {
  return workerEntryUrl('batch');
}

/** Create the Piscina pool for a plan. Idle workers do not keep the process alive. */
export function createPool(plan: PoolPlan, limits: PoolLimits = {}): Piscina {
  const pool = new Piscina({
    filename: batchWorkerUrl().href,
    minThreads: plan.threads,
    maxThreads: plan.threads,
    // Keep workers for the life of the runtime: respawning costs ~35 ms and loses the warmed task module.
    idleTimeout: Number.MAX_SAFE_INTEGER,
    // One chunk at a time per worker; the dispatcher keeps the next ones queued in piscina, which hands each to
    // whichever worker frees first (two per worker in the worker's own port measured no faster here, and balances
    // the tail worse).
    concurrentTasksPerWorker: 1,
    maxQueue: Number.POSITIVE_INFINITY,
    resourceLimits:
      limits.youngGenerationMb === undefined
        ? { maxOldGenerationSizeMb: plan.maxHeapMb }
        : { maxOldGenerationSizeMb: plan.maxHeapMb, maxYoungGenerationSizeMb: limits.youngGenerationMb },
    recordTiming: false,
  });
  // Piscina reports a worker death with no task attached as an 'error' event; the dispatcher learns of crashes
  // through the rejected chunk, so an unattached event must not take the process down.
  pool.on('error', () => {});
  return pool;
}
