// The command line on a cluster, against a real redis-server and worker processes: kill -9 of the producer at 50 %
// and resume (byte-identical output), `info --connection`, and the errors: unreachable Redis, an evicting server,
// a worker with other code for the task. The password of the test server never shows.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkServer, parseRedisUrl } from '../../src/cluster/connection.ts';
import { cleanUp, cli, start, tempDir, waitForLines, workModule, writeItems } from '../fixtures/cli/spawn.ts';
import { queueName, redisUrl, startWorkers, stopWorkers, useWorkers, waitForWorkers } from './helpers.ts';
import { freePort, startRedis } from './redis-server.ts';

const ITEMS = 4000;
const GATE_AT = 3000;
// Last: after the describe blocks' own afterAll (which stops the cluster workers gracefully) and the later describes.
afterAll(cleanUp);

describe('batchtools run --connection', () => {
  const dir = tempDir();
  const gate = join(dir, 'gate-open');
  let password: string;
  // Items with n >= GATE_AT wait for the gate file in the workers: the run cannot end before the kill.
  const cluster = useWorkers(2, () => ({ BT_TEST_GATE: gate, BT_TEST_GATE_AT: String(GATE_AT) }));
  const { queue } = cluster;

  beforeAll(() => {
    password = parseRedisUrl(redisUrl()).options.password!;
    writeItems(join(dir, 'in.jsonl'), ITEMS);
  });

  it('killed with -9 mid-run (a job held at a gate), then resumed, writes byte for byte the output of a clean local run', async () => {
    const local = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'clean.jsonl'], { cwd: dir });
    expect(local.code).toBe(0);
    const ckpt = join(dir, 'ckpt');
    const args = ['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', '--checkpoint', ckpt, '--connection', redisUrl(), '--queue', queue];
    const running = start(args, { cwd: dir });
    // Kill once results are journaled and a job is held at the gate. Not at a fixed line count: jobs are sized by
    // time, so on a fast machine one job may span both sides of GATE_AT, and none of its results can come back.
    await waitForLines(join(ckpt, 'journal.jsonl'), 1, running, gate);
    while (!existsSync(`${gate}.waiting`)) await new Promise((r) => setTimeout(r, 5));
    running.child.kill('SIGKILL');
    expect((await running.ended).signal).toBe('SIGKILL');
    // The checkpoint keeps the URL without its password; resuming asks for it.
    expect(readFileSync(join(ckpt, 'manifest.json'), 'utf8')).not.toContain(password);
    const refused = await cli(['resume', ckpt], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('had a password');
    writeFileSync(gate, '');
    const resumed = await cli(['resume', ckpt, '--connection', redisUrl()], { cwd: dir });
    expect(resumed.stderr).not.toContain(password);
    expect(resumed.code).toBe(0);
    expect(readFileSync(join(dir, 'out.jsonl')).equals(readFileSync(join(dir, 'clean.jsonl')))).toBe(true);
    expect(existsSync(ckpt)).toBe(false);
  }, 120_000);

  it('resumes a local checkpoint on the cluster with --connection --queue: its --threads set aside with a notice', async () => {
    const localGate = join(dir, 'local-gate');
    const ckpt = join(dir, 'ckpt-local');
    // A local run on 1 thread, held at its own gate, killed with -9 once results are journaled.
    const running = start(['run', workModule, '--input', 'in.jsonl', '--output', 'out-local.jsonl', '--checkpoint', ckpt, '--threads', '1'], {
      cwd: dir,
      env: { BT_TEST_GATE: localGate, BT_TEST_GATE_AT: String(GATE_AT) },
    });
    await waitForLines(join(ckpt, 'journal.jsonl'), 1, running, localGate);
    while (!existsSync(`${localGate}.waiting`)) await new Promise((r) => setTimeout(r, 5));
    running.child.kill('SIGKILL');
    expect((await running.ended).signal).toBe('SIGKILL');
    const manifest = JSON.parse(readFileSync(join(ckpt, 'manifest.json'), 'utf8')) as { settings: { threads?: number } };
    expect(manifest.settings.threads).toBe(1);
    // --queue alone says what it lacks.
    const lacking = await cli(['resume', ckpt, '--queue', queue], { cwd: dir });
    expect(lacking.code).toBe(2);
    expect(lacking.stderr).toContain('--queue needs --connection');
    writeFileSync(gate, '');
    const local = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'clean-local.jsonl'], { cwd: dir });
    const itemsDone = async (): Promise<number> => {
      const info = JSON.parse((await cli(['info', '--json', '--connection', redisUrl(), '--queue', queue], { cwd: dir })).stdout) as { workers: Array<{ items: number }> };
      return info.workers.reduce((n, w) => n + w.items, 0);
    };
    const before = await itemsDone();
    const resumed = await cli(['resume', ckpt, '--connection', redisUrl(), '--queue', queue], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain("the checkpoint's --threads 1 does not apply with --connection");
    expect(resumed.stderr).not.toContain(password);
    expect(readFileSync(join(dir, 'out-local.jsonl')).equals(readFileSync(join(dir, 'clean-local.jsonl')))).toBe(true);
    expect(local.code).toBe(0);
    // The rest ran on the workers: their descriptions count its items.
    expect(await itemsDone()).toBeGreaterThan(before);
  }, 120_000);

  it('info --connection lists the live workers, their plans and the queue counts, without the password', async () => {
    const text = await cli(['info', '--connection', redisUrl(), '--queue', queue], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Queue ${queue} at redis://:***@127.0.0.1:`);
    expect(text.stdout).toMatch(/Workers: 2 alive, 2 threads in all/);
    expect(text.stdout).toContain(`${hostname()} pid ${cluster.workers[0]!.child.pid}: 1 threads`);
    const json = await cli(['info', '--json', '--connection', redisUrl(), '--queue', queue], { cwd: dir });
    const info = JSON.parse(json.stdout) as { workers: Array<{ pid: number; threads: number }>; counts: Record<string, number> };
    expect(info.workers.map((w) => w.pid).sort()).toEqual(cluster.workers.map((w) => w.child.pid).sort());
    expect(info.counts).toHaveProperty('waiting');
    expect(text.stdout + json.stdout).not.toContain(password);
  });

  it('stops with BT_TASK_MISMATCH naming the worker host and the path when a worker has other code', async () => {
    const producerDir = tempDir();
    const workerDir = tempDir();
    copyFileSync(workModule, join(producerDir, 'task.mjs'));
    writeFileSync(join(workerDir, 'task.mjs'), `${readFileSync(workModule, 'utf8')}\n// another version\n`);
    writeItems(join(producerDir, 'in.jsonl'), 50);
    const other = queueName();
    const [worker] = startWorkers(1, other, { cwd: workerDir });
    try {
      await waitForWorkers(cluster.redis, other, 1);
      const r = await cli(['run', 'task.mjs', '--input', 'in.jsonl', '--output', 'out.jsonl', '--connection', redisUrl(), '--queue', other], { cwd: producerDir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('[BT_TASK_MISMATCH]');
      expect(r.stderr).toContain(`worker ${hostname()} cannot run the task ${join(workerDir, 'task.mjs')}: its sha256 is`);
      expect(existsSync(join(producerDir, 'out.jsonl'))).toBe(false);
    } finally {
      expect(await stopWorkers([worker!])).toEqual([0]);
    }
  }, 60_000);
});

describe('options that mean nothing on a producer', () => {
  it('--threads or --max-heap-mb with --connection: exit 2 naming both options, before any connection', async () => {
    const dir = tempDir();
    writeItems(join(dir, 'in.jsonl'), 3);
    // An address nobody listens on: the refusal comes first, so no connection error can show.
    const url = `redis://127.0.0.1:${await freePort()}`;
    for (const [command, local] of [['run', ['--threads', '2']], ['retry', ['--max-heap-mb', '256']]] as const) {
      const args = command === 'run'
        ? ['run', workModule, '--input', 'in.jsonl', '--output', 'out.jsonl', ...local, '--connection', url]
        : ['retry', workModule, '--failed-items', 'failed.jsonl', '--output', 'out.jsonl', ...local, '--connection', url];
      const r = await cli(args, { cwd: dir });
      expect(r.code, `${command} ${local[0]}`).toBe(2);
      expect(r.stderr).toBe(
        `batchtools: ${local[0]} and --connection cannot be used together: with --connection the items run on the workers' threads, not on this machine's\n` +
          `  give ${local[0]} to each worker instead: batchtools worker --connection <url> ${local[0]} <n>\n`,
      );
      expect(existsSync(join(dir, 'out.jsonl'))).toBe(false);
    }
  });
});

describe('servers a cluster refuses', () => {
  it('an unreachable address: exit 2 with one line naming it, never the password', async () => {
    const port = await freePort();
    const r = await cli(['run', workModule, '--input', '-', '--output', '-', '--connection', `redis://:hunter2@127.0.0.1:${port}`], { cwd: tempDir(), stdin: '{"n":1}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`batchtools: cannot use Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} [BT_CLUSTER_UNAVAILABLE]\n`);
  });

  it('a server that accepts but never answers fails within 10 s', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const t0 = Date.now();
    try {
      await expect(checkServer(parseRedisUrl(`redis://127.0.0.1:${port}`))).rejects.toMatchObject({
        code: 'BT_CLUSTER_UNAVAILABLE',
        message: expect.stringContaining(`redis://127.0.0.1:${port}`),
      });
      expect(Date.now() - t0).toBeLessThan(12_000);
    } finally {
      silent.close();
    }
  });

  it('an eviction policy other than noeviction, with the reason', async () => {
    const evicting = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const r = await cli(['worker', '--connection', evicting.url], { cwd: tempDir() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('has maxmemory-policy allkeys-lru, which may evict queued jobs');
      expect(r.stderr).toContain('[BT_CLUSTER_UNAVAILABLE]');
      expect(r.stderr).not.toContain(evicting.password);
    } finally {
      await evicting.stop();
    }
  });
});
