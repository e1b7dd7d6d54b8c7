// TLS: a real redis-server listening for TLS only, with a throwaway CA and server certificate made by openssl for
// this run. A worker process trusts the CA through NODE_EXTRA_CA_CERTS (how the command line takes it), the
// producer through the `ca` option; without the CA a connection fails fast with one line naming the address.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime as createClusterRuntime, parseRedisUrl, readClusterInfo, withCa } from '../../src/cluster/index.ts';
import { checkServer } from '../../src/cluster/connection.ts';
import { createRuntime, defineTask } from '../../src/index.ts';
import { cli, root, workModule, writeItems, type Running } from '../fixtures/cli/spawn.ts';
import { queueName, startWorkers, stopWorkers, until } from './helpers.ts';
import { makeTlsFiles, startRedis, type RedisProcess, type TlsFiles } from './redis-server.ts';

const task = defineTask(join(root, 'test/fixtures/cluster-task.mjs'), 'mix');

describe('a cluster over TLS (rediss://)', () => {
  let dir: string;
  let tls: TlsFiles;
  let server: RedisProcess;
  let worker: Running | undefined;
  const queue = queueName();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bt-tls-'));
    tls = makeTlsFiles(dir);
    server = await startRedis([], tls);
  }, 60_000);

  afterAll(async () => {
    if (worker) expect(await stopWorkers([worker])).toEqual([0]);
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a server whose certificate it cannot verify, in one line naming the address, never the password', async () => {
    const error = await checkServer(parseRedisUrl(server.url)).then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(error?.code).toBe('BT_CLUSTER_UNAVAILABLE');
    expect(error?.message).toContain(`cannot use Redis at rediss://:***@127.0.0.1:${server.port}: TLS: `);
    expect(error?.message).toMatch(/certificate/);
    expect(error?.message).not.toContain(server.password);
    expect(error?.message).not.toContain('\n');
    // A plain connection to the TLS port is no Redis either.
    await expect(checkServer(parseRedisUrl(server.url.replace('rediss:', 'redis:')))).rejects.toMatchObject({ code: 'BT_CLUSTER_UNAVAILABLE' });
    expect(() => withCa(parseRedisUrl('redis://h:1'), readFileSync(tls.ca))).toThrow(/applies to TLS connections only/);
    expect(() => createClusterRuntime({ cluster: { connection: server.url, ca: 'not a certificate' } })).toThrow(/`cluster.ca` must be PEM text/);
  });

  it('runs a map on a worker that trusts the CA through NODE_EXTRA_CA_CERTS, the producer through `ca`', async () => {
    const ca = readFileSync(tls.ca);
    [worker] = startWorkers(1, queue, { url: server.url, env: { NODE_EXTRA_CA_CERTS: tls.ca } });
    const target = withCa(parseRedisUrl(server.url), ca);
    await until('the worker to register over TLS', async () => (await readClusterInfo(target, queue)).workers.length === 1, 60_000);
    await using rt = createClusterRuntime({ cluster: { connection: server.url, queue, ca } });
    const items = Array.from({ length: 500 }, (_, n) => ({ n, steps: 200 }));
    const local = createRuntime({ threads: 1 });
    const expected = await local.map(items, task);
    await local.close();
    expect(await rt.map(items, task)).toEqual(expected);
    const info = await readClusterInfo(target, queue);
    expect(info.address).toBe(`rediss://:***@127.0.0.1:${server.port}`);
    expect(info.workers[0]!.jobs).toBeGreaterThan(0);
  }, 90_000);

  it('--tls-ca on the command line: a worker and `run` trust the CA from its file; a missing file, a plain URL or no --connection exit 2', async () => {
    const other = queueName();
    // No NODE_EXTRA_CA_CERTS: the worker trusts the CA only through --tls-ca.
    const [tlsWorker] = startWorkers(1, other, { url: server.url, args: ['--tls-ca', tls.ca] });
    try {
      const target = withCa(parseRedisUrl(server.url), readFileSync(tls.ca));
      await until('the --tls-ca worker to register', async () => (await readClusterInfo(target, other)).workers.length === 1, 60_000);
      writeItems(join(dir, 'in.jsonl'), 300);
      const local = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'local.jsonl', '--quiet'], { cwd: dir });
      expect(local.code).toBe(0);
      const remote = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'remote.jsonl', '--quiet', '--connection', server.url, '--queue', other, '--tls-ca', tls.ca], { cwd: dir });
      expect(remote.stderr).not.toContain(server.password);
      expect(remote.code).toBe(0);
      expect(readFileSync(join(dir, 'remote.jsonl')).equals(readFileSync(join(dir, 'local.jsonl')))).toBe(true);
      const info = await cli(['info', '--json', '--connection', server.url, '--queue', other, '--tls-ca', tls.ca], { cwd: dir });
      expect(info.code).toBe(0);
      expect((JSON.parse(info.stdout) as { workers: Array<{ pid: number }> }).workers.map((w) => w.pid)).toEqual([tlsWorker!.child.pid]);
      // Without the CA the command line cannot verify the server: exit 2, one line naming the address.
      const untrusted = await cli(['run', workModule, '--input', 'in.jsonl', '--output', 'x.jsonl', '--quiet', '--connection', server.url, '--queue', other], { cwd: dir });
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(/certificate/);
    } finally {
      expect(await stopWorkers([tlsWorker!])).toEqual([0]);
    }
    const missing = join(dir, 'no-such-ca.pem');
    const plain = server.url.replace('rediss:', 'redis:');
    const cases: Array<[string[], RegExp]> = [
      [['run', workModule, '--input', 'in.jsonl', '--output', 'x.jsonl', '--connection', server.url, '--tls-ca', missing], /--tls-ca .*no-such-ca\.pem: cannot read the file \(no such file\)/],
      [['worker', '--connection', server.url, '--tls-ca', missing], /no-such-ca\.pem: cannot read the file/],
      [['retry', workModule, '--failed-items', 'in.jsonl', '--output', 'x.jsonl', '--connection', server.url, '--tls-ca', missing], /no-such-ca\.pem: cannot read the file/],
      [['run', workModule, '--input', 'in.jsonl', '--output', 'x.jsonl', '--connection', plain, '--tls-ca', tls.ca], /--tls-ca applies to TLS connections only/],
      [['run', workModule, '--input', 'in.jsonl', '--output', 'x.jsonl', '--tls-ca', tls.ca], /--tls-ca needs --connection/],
      [['run', workModule, '--input', 'in.jsonl', '--output', 'x.jsonl', '--connection', server.url, '--tls-ca', workModule], /holds no PEM certificate/],
    ];
    const ended = await Promise.all(cases.map(([args]) => cli(args, { cwd: dir })));
    ended.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toContain(server.password);
      expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    });
    expect(existsSync(join(dir, 'x.jsonl'))).toBe(false);
  }, 150_000);
});
