import { describe, expect, it } from 'vitest';
import { ErrorCodes, InvalidOptionError } from '../src/errors.ts';
import { formatBytes, formatPlan, planToJson } from '../src/plan/format.ts';
import {
  HEAP_STEP_MB,
  MAX_DEFAULT_HEAP_MB,
  MEMORY_BUDGET_FRACTION,
  MIN_HEAP_MB,
  WORKER_OVERHEAD_MB,
  planPool,
} from '../src/plan/plan.ts';
import type { MachineProbe, PlanHints, PoolPlan } from '../src/plan/types.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** A roomy machine with no cgroup; tests override what they need. */
function fakeProbe(overrides: Partial<MachineProbe> = {}): MachineProbe {
  return {
    logicalCpus: 8,
    physicalCores: null,
    cgroupCpuQuota: null,
    cgroupVersion: null,
    totalMemoryBytes: 64 * GiB,
    availableMemoryBytes: 48 * GiB,
    cgroupMemoryLimitBytes: null,
    cgroupMemoryUsageBytes: null,
    constrainedMemoryBytes: null,
    ...overrides,
  };
}

/** The invariant every non-overridden plan keeps: its workers fit the budget (unless one worker alone does not). */
function expectFits(plan: PoolPlan): void {
  const footprint = plan.threads * (plan.maxHeapMb + WORKER_OVERHEAD_MB) * MiB;
  expect(footprint).toBeLessThanOrEqual(plan.memoryBudgetBytes);
  expect(plan.maxHeapMb % HEAP_STEP_MB).toBe(0);
  expect(plan.reasons.some((r) => r.startsWith('warning:'))).toBe(false);
}

describe('planPool: CPUs', () => {
  it('rounds a 2.5-CPU quota up to 3 threads on 8 CPUs', () => {
    const plan = planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 2.5 }));
    expect(plan.threads).toBe(3);
    expect(plan.effectiveCpus).toBe(3);
    expect(plan.reasons[0]).toBe('3 threads: cgroup quota 2.5 CPUs rounded up; 8 logical CPUs');
    expect(plan.figures['cgroupCpuQuota']).toEqual({ value: 2.5, source: 'cgroup v2 cpu.max' });
    expectFits(plan);
  });

  it('uses every logical CPU without a cgroup (not 1.5x) and says so', () => {
    const plan = planPool(fakeProbe({ physicalCores: 4 }));
    expect(plan.threads).toBe(8);
    expect(plan.effectiveCpus).toBe(8);
    expect(plan.reasons[0]).toBe('8 threads: 8 logical CPUs (4 physical cores); no cgroup CPU quota');
    expect(plan.figures['cgroupVersion']).toEqual({ value: null, source: 'no cgroup found' });
    expect(plan.figures['cgroupCpuQuota']).toEqual({ value: null, source: 'no cgroup CPU quota' });
    expect(plan.overridden).toEqual({ threads: false, maxHeapMb: false });
    expectFits(plan);
  });

  it('gives at least one thread for a quota below one CPU, and ignores a quota above the CPU count', () => {
    expect(planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 0.5 })).threads).toBe(1);
    const wide = planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 12 }));
    expect(wide.threads).toBe(8);
    expect(wide.reasons[0]).toBe('8 threads: 8 logical CPUs; cgroup quota 12 CPUs does not limit');
    const whole = planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 4 }));
    expect(whole.reasons[0]).toBe('4 threads: cgroup quota 4 CPUs; 8 logical CPUs');
  });
});

describe('planPool: memory', () => {
  it('fits fewer threads than CPUs under a 512 MiB cgroup limit on 16 CPUs', () => {
    const plan = planPool(
      fakeProbe({ logicalCpus: 16, cgroupVersion: 2, cgroupMemoryLimitBytes: 512 * MiB, cgroupMemoryUsageBytes: 0 }),
    );
    expect(plan.memoryBudgetBytes).toBe(Math.floor(512 * MiB * MEMORY_BUDGET_FRACTION));
    expect(plan.threads).toBeLessThan(16);
    expect(plan.threads).toBe(4); // 409.6 MiB / (64 + 24) MiB
    expect(plan.maxHeapMb).toBe(MIN_HEAP_MB);
    expect(plan.reasons[0]).toBe('4 threads: the memory budget (410 MiB) fits 4 workers of 88 MiB; 16 logical CPUs');
    expectFits(plan);
  });

  it('sizes workers from expectedHeapMb: 1 thread of 280 MiB in a 410 MiB budget', () => {
    const probe = fakeProbe({ logicalCpus: 16, cgroupVersion: 2, cgroupMemoryLimitBytes: 512 * MiB });
    const plan = planPool(probe, { expectedHeapMb: 256 });
    expect(plan.threads).toBe(1);
    expect(plan.reasons[0]).toBe('1 thread: the memory budget (410 MiB) fits 1 worker of 280 MiB; 16 logical CPUs');
    expect(plan.maxHeapMb).toBe(384); // 409.6 - 24 = 385 -> 384
    expect(plan.figures['expectedHeapMb']).toEqual({ value: 256, source: 'hints.expectedHeapMb' });
    expectFits(plan);
  });

  it('subtracts cgroup v1 usage from the limit and names v1 sources', () => {
    const probe = fakeProbe({
      cgroupVersion: 1,
      cgroupCpuQuota: 2,
      cgroupMemoryLimitBytes: GiB,
      cgroupMemoryUsageBytes: 200 * MiB,
    });
    const plan = planPool(probe);
    expect(plan.threads).toBe(2);
    expect(plan.memoryBudgetBytes).toBe(Math.floor(824 * MiB * 0.8));
    expect(plan.maxHeapMb).toBe(304); // 659.2 / 2 - 24 = 305 -> 304
    expect(plan.figures['cgroupCpuQuota']?.source).toBe('cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us');
    expect(plan.figures['cgroupMemoryLimitBytes']?.source).toBe('cgroup v1 memory.limit_in_bytes');
    expect(plan.figures['cgroupMemoryUsageBytes']?.source).toBe('cgroup v1 memory.usage_in_bytes');
    expect(plan.reasons).toContain(
      'memory budget 659 MiB: 80% of the cgroup memory limit less usage (1.0 GiB − 200 MiB), the tightest memory figure',
    );
    expectFits(plan);
  });

  it('lets scarce available memory allow fewer workers than CPUs', () => {
    const plan = planPool(fakeProbe({ logicalCpus: 32, availableMemoryBytes: GiB }));
    expect(plan.threads).toBe(9); // 819.2 MiB / 88 MiB
    expect(plan.effectiveCpus).toBe(32);
    expect(plan.maxHeapMb).toBe(64);
    expect(plan.reasons[0]).toMatch(/^9 threads: the memory budget \(819 MiB\) fits 9 workers of 88 MiB; 32 logical CPUs$/);
    expectFits(plan);
  });

  it('respects process.constrainedMemory() when it is the tightest figure', () => {
    const plan = planPool(fakeProbe({ constrainedMemoryBytes: 256 * MiB }));
    expect(plan.threads).toBe(2);
    expect(plan.reasons).toContain('memory budget 205 MiB: 80% of process.constrainedMemory(), the tightest memory figure');
    expectFits(plan);
  });

  it('splits a roomy budget into heaps rounded down to 16 MiB, capped at 2048 MiB', () => {
    const roomy = planPool(fakeProbe({ availableMemoryBytes: 8 * GiB }));
    expect(roomy.maxHeapMb).toBe(784); // 6553.6 / 8 - 24 = 795 -> 784
    expectFits(roomy);
    const huge = planPool(fakeProbe({ availableMemoryBytes: 256 * GiB }));
    expect(huge.maxHeapMb).toBe(MAX_DEFAULT_HEAP_MB);
    expect(huge.reasons[1]).toMatch(/capped at 2048 MiB$/);
    expect(planPool(fakeProbe(), { expectedHeapMb: 3000 }).maxHeapMb).toBe(3008);
  });

  it('still plans one thread, with a warning, when not even one worker fits', () => {
    const probe = fakeProbe({ cgroupVersion: 2, cgroupMemoryLimitBytes: 64 * MiB, cgroupMemoryUsageBytes: 60 * MiB });
    const plan = planPool(probe);
    expect(plan.threads).toBe(1);
    expect(plan.maxHeapMb).toBe(MIN_HEAP_MB);
    expect(plan.reasons[0]).toMatch(/^1 thread: the memory budget \(3 MiB\) fits no worker of 88 MiB/);
    expect(plan.reasons.some((r) => r.startsWith('warning: 1 thread × (64 MiB heap + 24 MiB overhead)'))).toBe(true);
  });
});

describe('planPool: overrides', () => {
  it('honours threads and maxHeapMb overrides and reports them', () => {
    const plan = planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 2.5 }), { threads: 2, maxHeapMb: 512 });
    expect(plan).toMatchObject({ threads: 2, maxHeapMb: 512, overridden: { threads: true, maxHeapMb: true } });
    expect(plan.reasons[0]).toBe('2 threads: overridden by options.threads (planned: 3)');
    expect(plan.reasons[1]).toBe('512 MiB heap per worker: overridden by options.maxHeapMb (planned: 2048 MiB)');
    expect(formatPlan(plan)).toContain('threads          2 (overridden)');
  });

  it('sizes the thread count from an overridden heap', () => {
    const plan = planPool(fakeProbe({ availableMemoryBytes: 4 * GiB }), { maxHeapMb: 1000 });
    expect(plan.threads).toBe(3); // 3276.8 MiB / 1024 MiB
    expect(plan.overridden).toEqual({ threads: false, maxHeapMb: true });
  });

  it('warns, but obeys, when overrides exceed the budget or the CPUs', () => {
    const plan = planPool(fakeProbe({ availableMemoryBytes: 4 * GiB }), { threads: 12, maxHeapMb: 1024 });
    expect(plan.threads).toBe(12);
    expect(plan.maxHeapMb).toBe(1024);
    expect(plan.reasons).toContain(
      'warning: 12 threads × (1024 MiB heap + 24 MiB overhead) = 12.3 GiB exceeds the memory budget (3.2 GiB); workers may run out of memory',
    );
    expect(plan.reasons).toContain('warning: 12 threads on 8 effective CPUs: CPU-bound threads beyond 8 only time-share');
  });

  const bad: Array<[PlanHints, string]> = [
    [{ threads: -1 }, '`options.threads` must be a positive integer, got -1 (number)'],
    [{ threads: 0 }, '`options.threads` must be a positive integer, got 0 (number)'],
    [{ threads: 1.5 }, '`options.threads` must be a positive integer, got 1.5 (number)'],
    [{ threads: Number.NaN }, '`options.threads` must be a positive integer, got NaN (number)'],
    [{ threads: '4' as unknown as number }, '`options.threads` must be a positive integer, got "4" (string)'],
    [{ threads: null as unknown as number }, '`options.threads` must be a positive integer, got null (null)'],
    [{ maxHeapMb: 8 }, '`options.maxHeapMb` must be an integer >= 16, got 8 (number)'],
    [{ maxHeapMb: 100.5 }, '`options.maxHeapMb` must be an integer >= 16, got 100.5 (number)'],
    [{ maxHeapMb: Infinity }, '`options.maxHeapMb` must be an integer >= 16, got Infinity (number)'],
    [{ maxHeapMb: true as unknown as number }, '`options.maxHeapMb` must be an integer >= 16, got true (boolean)'],
    [{ expectedHeapMb: 0 }, '`options.expectedHeapMb` must be a positive number, got 0 (number)'],
  ];
  it.each(bad)('rejects %j', (hints, message) => {
    let error: unknown;
    try {
      planPool(fakeProbe(), hints);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).message).toBe(message);
    expect((error as InvalidOptionError).code).toBe(ErrorCodes.INVALID_OPTION);
    expect((error as InvalidOptionError).option).toBe(`options.${Object.keys(hints)[0] ?? ''}`);
  });
});

describe('planPool: figures and purity', () => {
  it('gives every figure a source and passes probe sources through', () => {
    const probe = fakeProbe({
      cgroupVersion: 2,
      cgroupCpuQuota: 2.5,
      sources: { cgroupCpuQuota: 'cgroup v2 cpu.max (/sys/fs/cgroup/a/b)' },
    });
    const plan = planPool(probe);
    expect(plan.figures['cgroupCpuQuota']).toEqual({ value: 2.5, source: 'cgroup v2 cpu.max (/sys/fs/cgroup/a/b)' });
    expect(Object.keys(plan.figures)).toHaveLength(9);
    for (const figure of Object.values(plan.figures)) expect(figure.source.length).toBeGreaterThan(0);
  });

  it('is pure: same inputs, same plan, probe untouched', () => {
    const probe = fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 2.5, cgroupMemoryLimitBytes: GiB });
    const copy = structuredClone(probe);
    expect(planPool(probe, { expectedHeapMb: 100 })).toEqual(planPool(probe, { expectedHeapMb: 100 }));
    expect(probe).toEqual(copy);
  });
});

describe('format', () => {
  const sources = { logicalCpus: 'os.availableParallelism()' };
  const plan = planPool(fakeProbe({ cgroupVersion: 2, cgroupCpuQuota: 2.5, sources }));

  it('formats bytes as KiB/MiB/GiB', () => {
    expect([formatBytes(0), formatBytes(2048), formatBytes(409.6 * MiB), formatBytes(12.34 * GiB)]).toEqual([
      '0 B',
      '2 KiB',
      '410 MiB',
      '12.3 GiB',
    ]);
  });

  it('prints the headline, the figures with sources and the reasons', () => {
    const text = formatPlan(plan);
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'threads          3',
      'heap per worker  2048 MiB',
      'effective CPUs   3',
      'memory budget    38.4 GiB',
    ]);
    expect(text).toMatch(/^ {2}logical CPUs +8 +os\.availableParallelism\(\)$/m);
    expect(text).toMatch(/^ {2}cgroup CPU quota +2\.5 +cgroup v2 cpu\.max$/m);
    expect(text).toMatch(/^ {2}available memory +48\.0 GiB +os\.freemem\(\)$/m);
    expect(text).toContain('  - 3 threads: cgroup quota 2.5 CPUs rounded up; 8 logical CPUs');
  });

  it('turns the plan into stable, JSON-able data', () => {
    const json = planToJson(plan, { node: 'v20.20.2' });
    expect(Object.keys(json)).toEqual([
      'node',
      'threads',
      'maxHeapMb',
      'effectiveCpus',
      'memoryBudgetBytes',
      'overridden',
      'figures',
      'reasons',
    ]);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.figures['cgroupCpuQuota']).toEqual({ value: 2.5, source: 'cgroup v2 cpu.max' });
    expect(planToJson(plan).node).toBe(process.version);
    json.reasons.push('changed');
    expect(plan.reasons).not.toContain('changed');
  });
});
