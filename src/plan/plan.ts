/**
 * The pool planner: a pure function from a {@link MachineProbe} (plain numbers) and workload hints to a
 * {@link PoolPlan}: how many worker threads, how much heap each, and sentences saying why.
 */
import { checkNumber, Rules } from '../base/validate.ts';
import { formatBytes } from './format.ts';
import type { MachineProbe, PlanFigure, PlanHints, PoolPlan, ProbeField } from './types.ts';

const MiB = 1024 * 1024;

/**
 * Share of the tightest memory figure the pool may plan for. The other 20% is for what a heap limit does not
 * bound: the main thread, off-heap Buffers/ArrayBuffers, GC peaks while a worker nears its limit, and usage that
 * grows after the probe.
 */
export const MEMORY_BUDGET_FRACTION = 0.8;

/**
 * Memory a worker uses beyond its old-generation limit, in MiB: the young generation (up to two 8 MiB
 * semi-spaces), the thread stack (Node's default 4 MiB), compiled code and the isolate/context. Measured idle
 * workers take ~10 MiB; 24 is the busy-worker figure, so plans err on the safe side.
 */
export const WORKER_OVERHEAD_MB = 24;

/** Smallest default heap per worker, in MiB: below this V8 collects so often that CPU-bound work crawls. */
export const MIN_HEAP_MB = 64;

/**
 * Largest default heap per worker, in MiB. More rarely speeds CPU-bound work (it mostly delays GC) and a leaking
 * task should fail early rather than take the machine's memory. `expectedHeapMb` or `maxHeapMb` go higher.
 */
export const MAX_DEFAULT_HEAP_MB = 2048;

/** Default heaps are rounded down to a multiple of this, in MiB, so plans are stable across small memory changes. */
export const HEAP_STEP_MB = 16;

/** Smallest `maxHeapMb` override accepted, in MiB: V8 cannot start a worker's heap in much less. */
export const MIN_HEAP_OVERRIDE_MB = 16;

interface BudgetCandidate {
  bytes: number;
  what: string;
}

/**
 * Plans the worker pool for CPU-bound work. Pure: the same probe and hints always give the same plan.
 *
 * - effective CPUs = max(1, min(logical CPUs, ceil(cgroup CPU quota))): a 2.5-CPU quota rounds up to 3, as Go does.
 * - memory budget = {@link MEMORY_BUDGET_FRACTION} × the tightest of available memory, cgroup limit − usage, and
 *   `process.constrainedMemory()` (each when known).
 * - threads = min(effective CPUs, workers of (minimum heap + {@link WORKER_OVERHEAD_MB}) that fit the budget),
 *   at least 1. The default is effective CPUs, not piscina's 1.5×: extra threads only time-share CPU-bound work.
 *   The minimum heap is {@link MIN_HEAP_MB}, or `hints.expectedHeapMb` rounded up to 16 MiB when larger, or the
 *   `maxHeapMb` override.
 * - heap per worker = budget / threads − overhead, rounded down to {@link HEAP_STEP_MB}, between the minimum heap
 *   and {@link MAX_DEFAULT_HEAP_MB} (or the minimum heap when that is larger).
 * - `hints.threads` / `hints.maxHeapMb` win, are marked in `overridden` and named in `reasons`; a plan whose
 *   workers do not fit the budget, or that has more threads than effective CPUs, gets a `warning:` reason.
 *
 * @param probe Machine figures, from `probeMachine()` or made up in tests.
 * @param hints Overrides and workload hints. Default: none.
 * @throws InvalidOptionError when `threads` is not a positive integer, `maxHeapMb` not an integer >= 16, or
 *   `expectedHeapMb` not a positive number.
 */
export function planPool(probe: MachineProbe, hints: PlanHints = {}): PoolPlan {
  checkNumber('options.threads', hints.threads, Rules.positiveInteger);
  checkNumber('options.maxHeapMb', hints.maxHeapMb, { text: `an integer >= ${MIN_HEAP_OVERRIDE_MB}`, integer: true, min: MIN_HEAP_OVERRIDE_MB });
  checkNumber('options.expectedHeapMb', hints.expectedHeapMb, { text: 'a positive number', min: 0, above: true });

  const logical = Math.max(1, Math.floor(probe.logicalCpus));
  const quota = positiveOrNull(probe.cgroupCpuQuota);
  const roundedQuota = quota === null ? null : Math.ceil(quota);
  const quotaBinds = roundedQuota !== null && roundedQuota < logical;
  const effectiveCpus = Math.max(1, roundedQuota === null ? logical : Math.min(logical, roundedQuota));

  const candidates: BudgetCandidate[] = [{ bytes: probe.availableMemoryBytes, what: 'available memory' }];
  if (probe.cgroupMemoryLimitBytes !== null) {
    const limit = probe.cgroupMemoryLimitBytes;
    const usage = probe.cgroupMemoryUsageBytes;
    candidates.push({
      bytes: Math.max(0, limit - (usage ?? 0)),
      what:
        usage === null
          ? `the cgroup memory limit (${formatBytes(limit)}; usage unknown)`
          : `the cgroup memory limit less usage (${formatBytes(limit)} − ${formatBytes(usage)})`,
    });
  }
  if (probe.constrainedMemoryBytes !== null) {
    candidates.push({ bytes: probe.constrainedMemoryBytes, what: 'process.constrainedMemory()' });
  }
  const tightest = candidates.reduce((a, b) => (b.bytes < a.bytes ? b : a));
  const memoryBudgetBytes = Math.max(0, Math.floor(tightest.bytes * MEMORY_BUDGET_FRACTION));
  const budgetMb = memoryBudgetBytes / MiB;
  const budgetText = formatBytes(memoryBudgetBytes);

  const expected = hints.expectedHeapMb;
  const minHeapMb = expected === undefined ? MIN_HEAP_MB : Math.max(MIN_HEAP_MB, roundUp(expected, HEAP_STEP_MB));
  const sizingHeapMb = hints.maxHeapMb ?? minHeapMb;
  const workersThatFit = Math.floor(memoryBudgetBytes / ((sizingHeapMb + WORKER_OVERHEAD_MB) * MiB));
  const plannedThreads = Math.max(1, Math.min(effectiveCpus, workersThatFit));
  const threads = hints.threads ?? plannedThreads;

  const perThreadMb = Math.floor(budgetMb / threads - WORKER_OVERHEAD_MB);
  const steppedMb = Math.floor(perThreadMb / HEAP_STEP_MB) * HEAP_STEP_MB;
  const capMb = Math.max(MAX_DEFAULT_HEAP_MB, minHeapMb);
  const plannedHeapMb = Math.min(capMb, Math.max(minHeapMb, steppedMb));
  const maxHeapMb = hints.maxHeapMb ?? plannedHeapMb;

  const cpuText = describeCpus(probe, logical, quota, roundedQuota);
  const reasons: string[] = [];
  if (hints.threads !== undefined) {
    reasons.push(`${count(threads, 'thread')}: overridden by options.threads (planned: ${plannedThreads})`);
  } else if (workersThatFit < effectiveCpus) {
    const fits = workersThatFit === 0 ? 'no worker' : count(workersThatFit, 'worker');
    const cpus = quotaBinds
      ? `${count(effectiveCpus, 'effective CPU')} (cgroup quota ${formatNumber(quota ?? 0)})`
      : logicalText(probe, logical);
    const budget = `the memory budget (${budgetText}) fits ${fits} of ${sizingHeapMb + WORKER_OVERHEAD_MB} MiB`;
    reasons.push(`${count(threads, 'thread')}: ${budget}; ${cpus}`);
  } else {
    reasons.push(`${count(threads, 'thread')}: ${cpuText}`);
  }

  if (hints.maxHeapMb !== undefined) {
    reasons.push(`${maxHeapMb} MiB heap per worker: overridden by options.maxHeapMb (planned: ${plannedHeapMb} MiB)`);
  } else {
    let how =
      `the memory budget (${budgetText}) over ${count(threads, 'thread')}, less ${WORKER_OVERHEAD_MB} MiB overhead ` +
      `each, rounded down to ${HEAP_STEP_MB} MiB steps`;
    if (steppedMb > capMb) how += `, capped at ${capMb} MiB`;
    if (steppedMb < minHeapMb) {
      how += hints.expectedHeapMb !== undefined && minHeapMb > MIN_HEAP_MB
        ? `, raised to the expected heap (${hints.expectedHeapMb} MiB, rounded up to ${minHeapMb} MiB)`
        : `, raised to the ${MIN_HEAP_MB} MiB minimum`;
    }
    reasons.push(`${maxHeapMb} MiB heap per worker: ${how}`);
  }

  reasons.push(
    `memory budget ${budgetText}: ${Math.round(MEMORY_BUDGET_FRACTION * 100)}% of ${tightest.what}, ` +
      'the tightest memory figure',
  );

  const footprintBytes = threads * (maxHeapMb + WORKER_OVERHEAD_MB) * MiB;
  if (footprintBytes > memoryBudgetBytes) {
    reasons.push(
      `warning: ${count(threads, 'thread')} × (${maxHeapMb} MiB heap + ${WORKER_OVERHEAD_MB} MiB overhead) = ` +
        `${formatBytes(footprintBytes)} exceeds the memory budget (${budgetText}); workers may run out of memory`,
    );
  }
  if (threads > effectiveCpus) {
    reasons.push(
      `warning: ${count(threads, 'thread')} on ${count(effectiveCpus, 'effective CPU')}: ` +
        `CPU-bound threads beyond ${effectiveCpus} only time-share`,
    );
  }

  return {
    threads,
    maxHeapMb,
    effectiveCpus,
    memoryBudgetBytes,
    overridden: { threads: hints.threads !== undefined, maxHeapMb: hints.maxHeapMb !== undefined },
    figures: figuresOf(probe, hints),
    reasons,
  };
}

/** "cgroup quota 2.5 CPUs rounded up; 8 logical CPUs" and the like. */
function describeCpus(probe: MachineProbe, logical: number, quota: number | null, roundedQuota: number | null): string {
  const logicalPart = logicalText(probe, logical);
  if (quota === null || roundedQuota === null) return `${logicalPart}; no cgroup CPU quota`;
  const quotaPart = `cgroup quota ${formatNumber(quota)} ${quota === 1 ? 'CPU' : 'CPUs'}`;
  if (roundedQuota >= logical) return `${logicalPart}; ${quotaPart} does not limit`;
  return `${quotaPart}${roundedQuota === quota ? '' : ' rounded up'}; ${logicalPart}`;
}

function logicalText(probe: MachineProbe, logical: number): string {
  const physical = probe.physicalCores === null ? '' : ` (${count(probe.physicalCores, 'physical core')})`;
  return `${count(logical, 'logical CPU')}${physical}`;
}

/** The probe's figures with their sources, plus `expectedHeapMb` when given. */
function figuresOf(probe: MachineProbe, hints: PlanHints): Record<string, PlanFigure> {
  const v = probe.cgroupVersion;
  const v2 = `cgroup v${v ?? 2}`;
  const fallback: Record<ProbeField, [string, string]> = {
    logicalCpus: ['os.availableParallelism()', 'unknown'],
    physicalCores: ['systeminformation cpu().physicalCores', 'not read yet (refineProbe reads it)'],
    cgroupVersion: ['/proc/self/cgroup', 'no cgroup found'],
    cgroupCpuQuota: [
      v === 1 ? 'cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us' : `${v2} cpu.max`,
      'no cgroup CPU quota',
    ],
    totalMemoryBytes: ['os.totalmem()', 'unknown'],
    availableMemoryBytes: ['os.freemem()', 'unknown'],
    cgroupMemoryLimitBytes: [
      v === 1 ? 'cgroup v1 memory.limit_in_bytes' : `${v2} memory.max / memory.high`,
      'no cgroup memory limit',
    ],
    cgroupMemoryUsageBytes: [
      v === 1 ? 'cgroup v1 memory.usage_in_bytes' : `${v2} memory.current`,
      'no cgroup memory usage found',
    ],
    constrainedMemoryBytes: ['process.constrainedMemory()', 'process.constrainedMemory(): no constraint'],
  };
  const figures: Record<string, PlanFigure> = {};
  for (const key of Object.keys(fallback) as ProbeField[]) {
    const value = probe[key];
    const [known, unknown] = fallback[key];
    figures[key] = { value, source: probe.sources?.[key] ?? (value === null ? unknown : known) };
  }
  if (hints.expectedHeapMb !== undefined) {
    figures['expectedHeapMb'] = { value: hints.expectedHeapMb, source: 'hints.expectedHeapMb' };
  }
  return figures;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function formatNumber(n: number): string {
  return String(Number(n.toFixed(2)));
}

function positiveOrNull(n: number | null): number | null {
  return n !== null && Number.isFinite(n) && n > 0 ? n : null;
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}
