// `batchtools run` starts its worker pool from the executable's first line (src/cli/early-start.ts), while the
// rest of the command loads; the run then adopts that pool. These tests check what the command line must say for
// a head start, that the pool handed over is the one asked for (and a mismatch or an unclaimed pool is destroyed),
// and, end to end, that a run's lines are computed on the first threads the process started (no second pool).
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { earlySizes, releaseEarlyPool, startEarlyPool, takeEarlyPool } from '../src/cli/early-start.ts';
import { cleanUp, cli, readJsonLines, tempDir, workModule, writeItems } from './fixtures/cli/spawn.ts';

afterAll(cleanUp);

/** The threads a pool has started. */
const threadsOf = (pool: Piscina): number => pool.threads.length;

describe('early pool of batchtools run', () => {
  it('reads the sizes only from a plain `run` command line', () => {
    expect(earlySizes(['run', 'task.mjs', '--input', 'in.jsonl'])).toEqual({ threads: undefined, maxHeapMb: undefined });
    expect(earlySizes(['run', 'task.mjs', '--threads', '3', '--max-heap-mb=512'])).toEqual({ threads: 3, maxHeapMb: 512 });
    expect(earlySizes(['run', 'task.mjs', '--threads=2'])).toEqual({ threads: 2, maxHeapMb: undefined });
    // not plainly: the command decides (and reports what is wrong)
    for (const argv of [
      ['info'],
      ['resume', 'dir'],
      ['run', '--help'],
      ['run', 'task.mjs', '-h'],
      ['run', 'task.mjs', '--threads', '0'],
      ['run', 'task.mjs', '--threads', 'two'],
      ['run', 'task.mjs', '--threads'],
      ['run', 'task.mjs', '--threads', '2', '--threads', '3'],
      ['run', 'task.mjs', '--max-heap-mb', '-5'],
      ['run', 'task.mjs', '--connection', 'redis://localhost:6379'],
      ['run', 'task.mjs', '--retries', '2'],
      ['run', 'task.mjs', '--', '--threads', '2'],
    ]) {
      expect(earlySizes(argv), argv.join(' ')).toBeNull();
    }
  });

  it('hands over the pool made for the same sizes, with its threads started', async () => {
    await startEarlyPool(['run', 'task.mjs', '--threads', '2']);
    const started = takeEarlyPool({ threads: 2, maxHeapMb: undefined });
    expect(started?.plan.threads).toBe(2);
    expect(threadsOf(started!.pool)).toBe(2);
    expect(takeEarlyPool({ threads: 2, maxHeapMb: undefined })).toBeUndefined(); // handed over once
    await started!.pool.destroy();
  });

  it('destroys a pool made for other sizes, and one no command took, threads and all', async () => {
    // Every pool destroyed here, with the promise of its destruction: once that settles, no thread of it is left.
    const destroy = vi.spyOn(Piscina.prototype, 'destroy');
    try {
      await startEarlyPool(['run', 'task.mjs', '--threads', '1']);
      expect(takeEarlyPool({ threads: 2, maxHeapMb: undefined })).toBeUndefined();
      expect(destroy).toHaveBeenCalledTimes(1);
      await startEarlyPool(['run', 'task.mjs', '--max-heap-mb', '256']);
      await releaseEarlyPool();
      expect(takeEarlyPool({ threads: undefined, maxHeapMb: 256 })).toBeUndefined();
      expect(destroy).toHaveBeenCalledTimes(2);
      await Promise.all(destroy.mock.results.map((r) => r.value));
      const pools = destroy.mock.contexts as Piscina[];
      expect(pools[0]).not.toBe(pools[1]);
      expect(pools.map(threadsOf)).toEqual([0, 0]);
      // nothing is started for a command line that does not say plainly
      await startEarlyPool(['run', 'task.mjs', '--threads', 'x']);
      expect(takeEarlyPool({ threads: undefined, maxHeapMb: undefined })).toBeUndefined();
      expect(destroy).toHaveBeenCalledTimes(2);
    } finally {
      destroy.mockRestore();
    }
  });

  it('a run computes every line on the first threads of its process (it adopted the early pool)', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 200);
    const r = await cli(['run', workModule, '--export', 'thread', '--threads', '2', '--input', 'in.jsonl', '--output', 'out.jsonl', '--quiet'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = readJsonLines(join(dir, 'out.jsonl')) as Array<{ ok: boolean; value: number }>;
    expect(lines).toHaveLength(200);
    // Worker thread ids count up from 1 in each process: a second pool's threads would be 3 and 4. (Which of the
    // two ran the lines is the scheduler's business: cheap lines may all go to one.)
    expect(lines.every((l) => l.ok && (l.value === 1 || l.value === 2))).toBe(true);
  });
});
