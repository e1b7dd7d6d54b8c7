// Jobs the queue loses: workers started with --max-stalled 0 fail a job for good the first time its worker dies
// holding it, and the producer's sweep finds it gone. Killing workers that hold jobs, three times over, loses at
// least three jobs; the run sends them again (a worker killed while holding jobs is not a task that cannot start)
// and ends with the output of a clean local run. Synchronised on Redis state and a gate file, never on time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRuntime as createClusterRuntime, readClusterInfo } from '../../src/cluster/index.ts';
import { parseRedisUrl } from '../../src/cluster/connection.ts';
import { createRuntime, defineTask, type Runtime, type RunTrace } from '../../src/index.ts';
import { root, type Running } from '../fixtures/cli/spawn.ts';
import { client, queueName, redisUrl, startWorkers, stopWorkers, until, waitForWorkers } from './helpers.ts';

const fixture = join(root, 'test/fixtures/cluster-task.mjs');
const task = (name: string) => defineTask(fixture, name);
const WORKER_ARGS = ['--lock-ms', '1000', '--stall-ms', '500', '--max-stalled', '0'];

describe('workers killed with -9 while holding jobs, three times over', () => {
  const queue = queueName();
  const all: Running[] = [];
  let redis: Redis;
  let rt: Runtime;
  let dir: string;

  beforeAll(async () => {
    redis = client();
    // Four "machines": three to kill, one left to finish the run.
    all.push(...startWorkers(4, queue, { args: WORKER_ARGS }));
    await waitForWorkers(redis, queue, 4);
    rt = createClusterRuntime({ cluster: { connection: redisUrl(), queue } });
    dir = mkdtempSync(join(tmpdir(), 'bt-lost-'));
  }, 90_000);

  afterAll(async () => {
    await rt?.close();
    const codes = await stopWorkers(all.filter((w) => w.child.exitCode === null && w.child.signalCode === null));
    expect(codes.every((c) => c === 0)).toBe(true);
    redis?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('sends the lost jobs again (no BT_STARTUP_FAILED) and writes the output of a clean run', async () => {
    const open = join(dir, 'open');
    const gate = join(dir, 'gate');
    writeFileSync(open, '');
    // The first items pass an open gate, so results come back (the task loads on the workers); the rest wait.
    const items = Array.from({ length: 600 }, (_, n) => ({ n, steps: 500, gate: n < 8 ? open : gate }));
    const local = createRuntime({ threads: 1 });
    const expected = await local.map(items.map(({ n, steps }) => ({ n, steps })), task('mix'));
    await local.close();

    let answered!: () => void;
    const firstResult = new Promise<void>((resolve) => (answered = resolve));
    let trace: RunTrace | undefined;
    const run = rt.map(items, task('gated'), {
      onProgress: (p) => {
        if (p.done > 0) answered();
      },
      onTrace: (t) => (trace = t),
    });
    let failure: unknown;
    run.catch((error: unknown) => (failure = error));
    await firstResult;

    const alive = (): Running[] => all.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (let round = 0; round < 3; round++) {
      // A live worker holding a job (its tasks wait at the gate): kill it.
      const pids = new Set(alive().map((w) => w.child.pid));
      const victim = await until(`a live worker holding a job (round ${round + 1})`, async () => {
        // The run ended early (before the fix: BT_STARTUP_FAILED after three lost jobs): say so, not a time-out.
        if (failure !== undefined) throw failure;
        const info = await readClusterInfo(parseRedisUrl(redisUrl()), queue);
        return info.workers.find((w) => w.active > 0 && pids.has(w.pid));
      });
      const running = all.find((w) => w.child.pid === victim.pid)!;
      running.child.kill('SIGKILL');
      expect((await running.ended).signal).toBe('SIGKILL');
    }
    writeFileSync(gate, '');
    const out = await run;
    expect(out).toEqual(expected);
    // Each killed worker held at least one job, which the queue failed (no stall allowed): three lost at least.
    const lost = trace!.chunks.filter((c) => c.outcome === 'crash');
    expect(lost.length).toBeGreaterThanOrEqual(3);
  }, 150_000);
});
