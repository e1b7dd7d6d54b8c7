import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProcCgroup, readCgroupLimits } from '../src/plan/cgroup.ts';
import { planPool } from '../src/plan/plan.ts';
import { probeMachine, refineProbe } from '../src/plan/probe.ts';
import type { MachineProbe } from '../src/plan/types.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/cgroup/${name}`, import.meta.url));
/** A fixed "machine" size, so the unlimited threshold does not depend on the test host. */
const read = (name: string, totalMemoryBytes = 64 * GiB) => readCgroupLimits({ root: fixture(name), totalMemoryBytes });

describe('parseProcCgroup', () => {
  it('parses v1, hybrid and v2 lines and skips garbage', () => {
    const text = '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/x:y\n0::/\nnot a line\n\n';
    expect(parseProcCgroup(text)).toEqual([
      { hierarchyId: 12, controllers: ['memory'], path: '/docker/abc' },
      { hierarchyId: 4, controllers: ['cpu', 'cpuacct'], path: '/docker/abc' },
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/x:y' },
      { hierarchyId: 0, controllers: [], path: '/' },
    ]);
  });
});

describe('readCgroupLimits: cgroup v2', () => {
  it('takes the tighter CPU quota and memory limit from the parent of a nested cgroup', () => {
    expect(read('v2-nested')).toEqual({
      version: 2,
      cpuQuota: 1.5,
      memoryLimitBytes: 512 * MiB,
      memoryUsageBytes: 100 * MiB,
      sources: {
        version: '/proc/self/cgroup',
        cpuQuota: '/sys/fs/cgroup/a/cpu.max',
        memoryLimitBytes: '/sys/fs/cgroup/a/memory.max',
        memoryUsageBytes: '/sys/fs/cgroup/a/memory.current',
      },
    });
  });

  it('reads a fractional quota at the leaf and prefers memory.high when it is below memory.max', () => {
    const limits = read('v2-leaf');
    expect(limits.cpuQuota).toBe(2.5);
    expect(limits.memoryLimitBytes).toBe(768 * MiB);
    expect(limits.memoryUsageBytes).toBe(256 * MiB);
    expect(limits.sources['cpuQuota']).toBe('/sys/fs/cgroup/app.slice/app.service/cpu.max');
    expect(limits.sources['memoryLimitBytes']).toBe('/sys/fs/cgroup/app.slice/app.service/memory.high');
  });

  it('judges a shared parent limit by the parent usage (least headroom wins, not the smallest limit)', () => {
    const limits = read('v2-shared-parent');
    expect(limits.memoryLimitBytes).toBe(GiB);
    expect(limits.memoryUsageBytes).toBe(900 * MiB);
    expect(limits.sources['memoryUsageBytes']).toBe('/sys/fs/cgroup/a/memory.current');
  });

  it("treats 'max' as unlimited at every level and still reports the leaf usage", () => {
    expect(read('v2-max')).toEqual({
      version: 2,
      cpuQuota: null,
      memoryLimitBytes: null,
      memoryUsageBytes: 12345678,
      sources: {
        version: '/proc/self/cgroup',
        memoryUsageBytes: '/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope/memory.current',
      },
    });
  });

  it('falls back to the mount root when the cgroup path is not visible (container)', () => {
    const limits = read('v2-container');
    expect(limits).toMatchObject({ version: 2, cpuQuota: 1, memoryLimitBytes: 256 * MiB, memoryUsageBytes: 32 * MiB });
    expect(limits.sources['cpuQuota']).toBe('/sys/fs/cgroup/cpu.max');
  });

  it('reports unknown figures for missing or unparsable files without throwing', () => {
    expect(read('v2-missing')).toEqual({
      version: 2,
      cpuQuota: null,
      memoryLimitBytes: null,
      memoryUsageBytes: null,
      sources: { version: '/proc/self/cgroup' },
    });
  });

  it('counts a limit at or above total memory as unlimited', () => {
    expect(read('v2-nested', 600 * MiB).memoryLimitBytes).toBe(512 * MiB);
    const unlimited = read('v2-nested', 512 * MiB);
    expect(unlimited.memoryLimitBytes).toBeNull();
    expect(unlimited.memoryUsageBytes).toBe(50 * MiB);
    expect(unlimited.sources['memoryUsageBytes']).toBe('/sys/fs/cgroup/a/b/memory.current');
  });
});

describe('readCgroupLimits: cgroup v1', () => {
  it('reads cfs quota/period and the memory limit under the per-cgroup path (hybrid /proc/self/cgroup)', () => {
    expect(read('v1-quota')).toEqual({
      version: 1,
      cpuQuota: 2,
      memoryLimitBytes: GiB,
      memoryUsageBytes: 200 * MiB,
      sources: {
        version: '/proc/self/cgroup',
        cpuQuota: '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us',
        memoryLimitBytes: '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes',
        memoryUsageBytes: '/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes',
      },
    });
  });

  it('treats a -1 quota and the huge "unlimited" memory limit as no limit', () => {
    expect(read('v1-unlimited')).toEqual({
      version: 1,
      cpuQuota: null,
      memoryLimitBytes: null,
      memoryUsageBytes: 100 * MiB,
      sources: { version: '/proc/self/cgroup', memoryUsageBytes: '/sys/fs/cgroup/memory/memory.usage_in_bytes' },
    });
  });

  it('falls back to the controller roots when the per-path directories do not exist (container)', () => {
    const limits = read('v1-container');
    expect(limits).toMatchObject({ version: 1, cpuQuota: 0.5, memoryLimitBytes: 256 * MiB, memoryUsageBytes: 64 * MiB });
    expect(limits.sources['cpuQuota']).toBe('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  });

  it('locates mounts through mountinfo, strips the mount root and prefers v1 on a hybrid host', () => {
    const limits = read('v1-mountinfo');
    expect(limits).toMatchObject({ version: 1, cpuQuota: 3, memoryLimitBytes: 512 * MiB, memoryUsageBytes: 10 * MiB });
    expect(limits.sources['cpuQuota']).toBe('/sys/fs/cgroup/cpu and acct/sub/cpu.cfs_quota_us');
  });
});

describe('readCgroupLimits: nothing to read', () => {
  it('returns version null for a missing root or a v2 line without cgroup.controllers', () => {
    const none = { version: null, cpuQuota: null, memoryLimitBytes: null, memoryUsageBytes: null, sources: {} };
    expect(read('does-not-exist')).toEqual(none);
    expect(read('no-controllers')).toEqual(none);
  });

  it('reads the real machine without throwing', () => {
    const limits = readCgroupLimits();
    expect([1, 2, null]).toContain(limits.version);
    if (limits.cpuQuota !== null) expect(limits.cpuQuota).toBeGreaterThan(0);
    if (limits.memoryLimitBytes !== null) expect(limits.memoryLimitBytes).toBeGreaterThan(0);
  });
});

describe('probeMachine', () => {
  it('combines injected readers and a fake cgroup tree, with sources', () => {
    const probe = probeMachine({
      root: fixture('v2-nested'),
      readers: {
        availableParallelism: () => 8,
        totalmem: () => 16 * GiB,
        freemem: () => 10 * GiB,
        constrainedMemory: () => 18446744073709552000, // what Node 20 returns when nothing constrains it
      },
    });
    expect(probe).toMatchObject({
      logicalCpus: 8,
      physicalCores: null,
      cgroupVersion: 2,
      cgroupCpuQuota: 1.5,
      totalMemoryBytes: 16 * GiB,
      availableMemoryBytes: 10 * GiB,
      cgroupMemoryLimitBytes: 512 * MiB,
      cgroupMemoryUsageBytes: 100 * MiB,
      constrainedMemoryBytes: null,
    });
    expect(probe.sources?.cgroupCpuQuota).toBe('cgroup v2 cpu.max (/sys/fs/cgroup/a)');
    expect(probe.sources?.cgroupMemoryLimitBytes).toBe('cgroup v2 memory.max (/sys/fs/cgroup/a)');
    expect(planPool(probe).reasons[0]).toBe('2 threads: cgroup quota 1.5 CPUs rounded up; 8 logical CPUs');
  });

  it('keeps a real memory constraint and drops a meaningless one', () => {
    const constrained = (value: number | undefined): number | null =>
      probeMachine({
        root: fixture('does-not-exist'),
        readers: { totalmem: () => 16 * GiB, constrainedMemory: () => value },
      }).constrainedMemoryBytes;
    expect(constrained(2 * GiB)).toBe(2 * GiB);
    expect(constrained(16 * GiB)).toBeNull();
    expect(constrained(0)).toBeNull();
    expect(constrained(undefined)).toBeNull();
  });

  it('returns sane numbers for the real machine, quickly', () => {
    const started = performance.now();
    const probe = probeMachine();
    expect(performance.now() - started).toBeLessThan(500);
    expect(Number.isInteger(probe.logicalCpus) && probe.logicalCpus >= 1).toBe(true);
    expect(probe.totalMemoryBytes).toBeGreaterThan(64 * MiB);
    expect(probe.availableMemoryBytes).toBeGreaterThan(0);
    expect(probe.availableMemoryBytes).toBeLessThanOrEqual(probe.totalMemoryBytes);
    if (probe.constrainedMemoryBytes !== null) expect(probe.constrainedMemoryBytes).toBeLessThan(probe.totalMemoryBytes);
    const plan = planPool(probe);
    expect(plan.threads).toBeGreaterThanOrEqual(1);
    expect(plan.threads).toBeLessThanOrEqual(probe.logicalCpus);
  });
});

describe('refineProbe', () => {
  const base: MachineProbe = {
    logicalCpus: 8,
    physicalCores: null,
    cgroupCpuQuota: null,
    cgroupVersion: null,
    totalMemoryBytes: 16 * GiB,
    availableMemoryBytes: 10 * GiB,
    cgroupMemoryLimitBytes: null,
    cgroupMemoryUsageBytes: null,
    constrainedMemoryBytes: null,
    sources: { availableMemoryBytes: 'os.freemem()' },
  };

  it('fills physical cores and available memory from the readers, without touching the input', async () => {
    const readers = { physicalCores: async () => 4, availableMemory: async () => 12 * GiB };
    const refined = await refineProbe(base, { readers });
    expect(refined.physicalCores).toBe(4);
    expect(refined.availableMemoryBytes).toBe(12 * GiB);
    expect(refined.sources?.physicalCores).toBe('systeminformation cpu().physicalCores');
    expect(refined.sources?.availableMemoryBytes).toBe('systeminformation mem().available');
    expect(base.physicalCores).toBeNull();
    expect(base.sources?.availableMemoryBytes).toBe('os.freemem()');
  });

  it('never rejects: failures, bad values and timeouts keep the sync figures', async () => {
    const failing = await refineProbe(base, {
      readers: { physicalCores: () => Promise.reject(new Error('no lscpu')), availableMemory: async () => Number.NaN },
    });
    expect(failing).toEqual(base);
    const throwing = await refineProbe(base, {
      readers: {
        physicalCores: () => {
          throw new Error('sync throw');
        },
        availableMemory: async () => 0,
      },
    });
    expect(throwing).toEqual(base);
    const never = (): Promise<number> => new Promise<number>(() => {});
    const hung = await refineProbe(base, { timeoutMs: 20, readers: { physicalCores: never, availableMemory: never } });
    expect(hung).toEqual(base);
  });

  it('resolves on the real machine and answers the same from its cached reading', async () => {
    const probe = probeMachine();
    const [first, second] = await Promise.all([refineProbe(probe), refineProbe(probe)]);
    expect(first).toEqual(second);
    if (first.physicalCores !== null) expect(Number.isInteger(first.physicalCores) && first.physicalCores >= 1).toBe(true);
    expect(first.availableMemoryBytes).toBeGreaterThan(0);
    const third = await refineProbe(probe);
    expect(third.physicalCores).toBe(first.physicalCores);
  });
});
