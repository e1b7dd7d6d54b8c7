// The cluster producer end to end, against a real redis-server and `batchtools worker` processes standing in for
// machines: same results as a local run, the same error codes and indexes, abort, and a worker killed with -9.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createRuntime as createClusterRuntime, readClusterInfo } from '../../src/cluster/index.ts';
import { parseRedisUrl } from '../../src/cluster/connection.ts';
import { createRuntime, defineTask, type Runtime } from '../../src/index.ts';
import { root, type Running } from '../fixtures/cli/spawn.ts';
import { client, queueName, redisUrl, startWorkers, stopWorkers, until, waitForWorkers } from './helpers.ts';

const fixture = join(root, 'test/fixtures/cluster-task.mjs');
const task = (name: string) => defineTask(fixture, name);

describe('a cluster runtime with three workers', () => {
  const queue = queueName();
  let workers: Running[];
  let redis: Redis;
  let rt: Runtime;
  let local: Runtime;
  let dir: string;

  beforeAll(async () => {
    redis = client();
    // Short locks so that a killed worker's jobs come back in about 1.5 s.
    workers = startWorkers(3, queue, { args: ['--lock-ms', '1000', '--stall-ms', '500'] });
    await waitForWorkers(redis, queue, 3);
    rt = createClusterRuntime({ cluster: { connection: redisUrl(), queue } });
    local = createRuntime({ threads: 1 });
    dir = mkdtempSync(join(tmpdir(), 'bt-cluster-'));
  }, 90_000);

  afterAll(async () => {
    await rt?.close();
    await local?.close();
    const codes = await stopWorkers(workers ?? []);
    redis?.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // SIGTERM: every worker still alive finished its jobs and exited 0.
    expect(codes.filter((c) => c !== null)).toEqual(codes.filter((c) => c !== null).map(() => 0));
  }, 60_000);

  it('maps 10,000 items to the same output as a local run, every worker taking part', async () => {
    const items = Array.from({ length: 10_000 }, (_, n) => ({ n, steps: 3000 }));
    const [remote, expected] = [await rt.map(items, task('mix')), await local.map(items, task('mix'))];
    expect(remote).toHaveLength(10_000);
    expect(remote).toEqual(expected);
    const info = await readClusterInfo(parseRedisUrl(redisUrl()), queue);
    expect(info.workers).toHaveLength(3);
    for (const w of info.workers) expect(w.jobs, `worker ${w.pid} took no job`).toBeGreaterThan(0);
    expect(info.workers.reduce((n, w) => n + w.items, 0)).toBeGreaterThanOrEqual(10_000);
    expect(JSON.stringify(info)).not.toContain(parseRedisUrl(redisUrl()).options.password!);
  }, 90_000);

  it('keeps the codes, indexes, attempts and causes of a local run: thrown errors, crashes, timeouts, retries', async () => {
    const cases: Array<[string, unknown[], object]> = [
      ['failOnOdd', [0, 1, 2, 3, 4].map((n) => ({ n })), {}],
      ['poison', [{ n: 0 }, { n: 1, crash: true }, { n: 2 }], { retries: 1 }],
      ['poison', [{ n: 0 }, { n: 1, hang: true }], { timeout: 500 }],
    ];
    for (const [name, items, options] of cases) {
      const [remote, expected] = [await rt.mapSettled(items, task(name), options), await local.mapSettled(items, task(name), options)];
      const shape = (s: typeof remote) =>
        s.map((r) =>
          r.status === 'fulfilled'
            ? r.value
            : { code: r.reason.code, index: r.reason.index, attempts: r.reason.attempts, message: r.reason.message, cause: r.reason.cause instanceof Error ? [r.reason.cause.name, (r.reason.cause as { code?: unknown }).code, (r.reason.cause as { item?: unknown }).item] : undefined },
        );
      expect(shape(remote), name).toEqual(shape(expected));
    }
    // A thrown error is the task's own, rebuilt: name, code, own fields and stack.
    const settled = await rt.mapSettled([{ n: 7 }], task('failOnOdd'));
    const reason = settled[0]!.status === 'rejected' ? settled[0]!.reason : undefined;
    expect(reason?.code).toBe('BT_TASK_FAILED');
    expect(reason?.cause).toMatchObject({ name: 'RangeError', code: 'E_ODD', item: 7, message: 'odd item 7' });
    expect(String((reason?.cause as Error | undefined)?.stack)).toContain('failOnOdd');
    // A crash in a worker's thread: BT_WORKER_CRASHED with the exit code, at the item's index.
    const crashed = await rt.mapSettled([{ n: 0 }, { n: 1 }, { n: 2, crash: true }], task('poison'));
    expect(crashed[2]).toMatchObject({ status: 'rejected', reason: { code: 'BT_WORKER_CRASHED', index: 2, exitCode: 3 } });
    // Retries run on the producer's policy: a retryable error succeeds on its second attempt.
    const flaky = await rt.map([1, 2, 3].map((n) => ({ n, dir })), task('flaky'), { retries: 2 });
    expect(flaky).toEqual([10, 20, 30]);
    // map() rejects with the first failure, as locally.
    await expect(rt.map([{ n: 2 }, { n: 5 }], task('failOnOdd'))).rejects.toMatchObject({ code: 'BT_TASK_FAILED', index: 1 });
    // Each case runs locally and on the cluster; crashes and timeouts respawn threads: slow on a busy machine.
  }, 120_000);

  it('streams in input order, and as completed', async () => {
    const items = Array.from({ length: 300 }, (_, n) => ({ n, steps: 100 }));
    const ordered: number[] = [];
    for await (const r of rt.stream(items, task('mix'))) ordered.push(r.index);
    expect(ordered).toEqual(items.map((_, i) => i));
    const unordered: number[] = [];
    for await (const r of rt.stream(items, task('mix'), { ordered: false })) unordered.push(r.index);
    expect(unordered.sort((a, b) => a - b)).toEqual(ordered);
  });

  it('aborting stops the run on every worker and leaves no key of it in Redis but bounded-TTL ones', async () => {
    const gate = join(dir, 'abort-gate');
    const controller = new AbortController();
    const items = Array.from({ length: 2000 }, (_, n) => ({ n, gate }));
    const run = rt.map(items, task('gated'), { signal: controller.signal });
    run.catch(() => {});
    // Jobs are in hand: a task is waiting at its gate, and the queue shows active jobs.
    await until('a job in hand', async () => existsSync(`${gate}.waiting`) && ((await countsOf(queue))['active'] ?? 0) > 0);
    controller.abort(new Error('stop here'));
    await expect(run).rejects.toThrow('stop here');
    await until('the run to leave the queue and the workers', async () => {
      const counts = await countsOf(queue);
      const n = (state: string): number => counts[state] ?? 0;
      const busy = (await readClusterInfo(parseRedisUrl(redisUrl()), queue)).workers.some((w) => w.active > 0);
      return n('active') + n('waiting') + n('delayed') + n('prioritized') === 0 && !busy;
    });
    // What remains of runs: nothing, or keys with a TTL (a result list, a liveness key).
    const keys = await redis.keys(`bt:${queue}:*`);
    for (const key of keys.filter((k) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(k))) {
      expect(await redis.pttl(key), key).toBeGreaterThan(0);
    }
    expect(existsSync(gate)).toBe(false);
  });

  it('loses nothing when a worker holding jobs is killed with -9; each chunk lands once', async () => {
    const gate = join(dir, 'kill-gate');
    const items = Array.from({ length: 3000 }, (_, n) => ({ n, gate, steps: 1000 }));
    const expected = await local.map(items.map(({ n, steps }) => ({ n, steps })), task('mix'));
    const run = rt.map(items, task('gated'));
    // Kill a worker while it holds jobs (its tasks wait at the gate).
    const victim = await until('a worker holding a job', async () => {
      const info = await readClusterInfo(parseRedisUrl(redisUrl()), queue);
      return info.workers.find((w) => w.active > 0);
    });
    const running = workers.find((w) => w.child.pid === victim.pid)!;
    running.child.kill('SIGKILL');
    expect((await running.ended).signal).toBe('SIGKILL');
    writeFileSync(gate, '');
    const out = await run;
    expect(out).toHaveLength(items.length);
    expect(out).toEqual(expected);
  });
});

async function countsOf(queue: string): Promise<Record<string, number>> {
  return (await readClusterInfo(parseRedisUrl(redisUrl()), queue)).counts;
}
