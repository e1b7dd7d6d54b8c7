import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUp, cli, tempDir } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

describe('batchtools info', () => {
  it('--json prints the plan with every figure and its source', async () => {
    const r = await cli(['info', '--json'], { cwd: tempDir() });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Record<string, unknown> & {
      figures: Record<string, { value: number | null; source: string }>;
      reasons: string[];
    };
    expect(Object.keys(plan).sort()).toEqual(
      ['effectiveCpus', 'figures', 'maxHeapMb', 'memoryBudgetBytes', 'node', 'overridden', 'reasons', 'threads'].sort(),
    );
    expect(plan['node']).toBe(process.version);
    expect(plan['overridden']).toEqual({ threads: false, maxHeapMb: false });
    expect(plan.figures['logicalCpus']).toEqual({ value: availableParallelism(), source: 'os.availableParallelism()' });
    for (const key of ['physicalCores', 'cgroupCpuQuota', 'totalMemoryBytes', 'availableMemoryBytes', 'cgroupMemoryLimitBytes']) {
      expect(plan.figures[key]?.source, key).toMatch(/\S/);
    }
    expect(plan['threads']).toBeGreaterThanOrEqual(1);
    expect(plan['threads']).toBeLessThanOrEqual(availableParallelism());
    expect(plan.reasons[0]).toMatch(/^\d+ threads?: /);
  });

  it('reports overrides as such, and refuses bad ones with exit 2', async () => {
    const r = await cli(['info', '--json', '--threads', '3', '--max-heap-mb', '256'], { cwd: tempDir() });
    const plan = JSON.parse(r.stdout) as { threads: number; maxHeapMb: number; overridden: object; reasons: string[] };
    expect([plan.threads, plan.maxHeapMb]).toEqual([3, 256]);
    expect(plan.overridden).toEqual({ threads: true, maxHeapMb: true });
    expect(plan.reasons[0]).toMatch(/^3 threads: overridden by options.threads/);
    const bad = await cli(['info', '--threads', '0'], { cwd: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threads must be a positive integer, got "0"');
  });

  it('prints the plan for a person', async () => {
    const r = await cli(['info'], { cwd: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^threads +\d+\nheap per worker +\d+ MiB\neffective CPUs +\d+\nmemory budget +[\d.]+ [MG]iB\n/);
    expect(r.stdout).toContain('reasons\n  - ');
  });
});
