import { describe, expect, it, vi } from 'vitest';

// systeminformation stands in here (it spawns lscpu and friends): count how often each reading is asked.
const calls = vi.hoisted(() => ({ cpu: 0, mem: 0, osInfo: 0 }));
vi.mock('systeminformation', () => ({
  cpu: async () => {
    calls.cpu++;
    return { manufacturer: 'Acme', brand: ' Fast CPU ', speed: 3.2, physicalCores: 6 };
  },
  mem: async () => {
    calls.mem++;
    return { total: 64 * 2 ** 30, available: 48 * 2 ** 30 };
  },
  osInfo: async () => {
    calls.osInfo++;
    throw new Error('no os-release here');
  },
}));

const { probeMachine, refineProbe } = await import('../src/plan/probe.ts');
const { describeMachine } = await import('../src/suites/machine.ts');
const { cpuFacts } = await import('../src/base/machine.ts');

describe('machine facts: one systeminformation reader', () => {
  it('asks each reading once per process, whoever asks (plan refinement, bench documents)', async () => {
    const probe = probeMachine();
    const [a, b] = await Promise.all([refineProbe(probe), refineProbe(probe)]);
    expect(a.physicalCores).toBe(6);
    expect(a.availableMemoryBytes).toBe(48 * 2 ** 30);
    expect(a.sources?.physicalCores).toBe('systeminformation cpu().physicalCores');
    expect(b).toEqual(a);
    expect(calls).toEqual({ cpu: 1, mem: 1, osInfo: 0 }); // info needs no OS reading
    const machine = await describeMachine();
    await describeMachine();
    expect(machine.cpu).toMatchObject({ manufacturer: 'Acme', brand: 'Fast CPU', speedGHz: 3.2, physicalCores: 6 });
    expect(machine.memory.totalBytes).toBe(64 * 2 ** 30);
    // a failed reading falls back to node:os figures, and is not asked again
    expect(machine.os.distro).toBeNull();
    expect(machine.os.platform).toBe(process.platform);
    expect(calls).toEqual({ cpu: 1, mem: 1, osInfo: 1 });
    expect(await cpuFacts()).toEqual({ manufacturer: 'Acme', brand: 'Fast CPU', speedGHz: 3.2, physicalCores: 6 });
    expect(calls.cpu).toBe(1);
  });
});
