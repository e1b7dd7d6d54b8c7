// TLS: a real redis-server listening for TLS only, with a throwaway CA and server certificate made by openssl for
// this run. A worker process trusts the CA through NODE_EXTRA_CA_CERTS (how the command line takes it), the
// producer through the `ca` option; without the CA a connection fails fast with one line naming the address.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime as createClusterRuntime, parseRedisUrl, readClusterInfo, withCa } from '../../src/cluster/index.ts';
import { checkServer } from '../../src/cluster/connection.ts';
import { createRuntime, defineTask } from '../../src/index.ts';
import { root, type Running } from '../fixtures/cli/spawn.ts';
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
});
