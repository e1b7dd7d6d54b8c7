/** Helpers of the cluster tests: worker processes standing in for machines, and waits on Redis state. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { Redis } from 'ioredis';
import { clusterKeys, parseRedisUrl } from '../../src/cluster/connection.ts';
import { liveWorkers, type WorkerInfo } from '../../src/cluster/registry.ts';
import { root, start, type Running } from '../fixtures/cli/spawn.ts';

/** The test server's URL (with its password); throws the reason when there is none. */
export function redisUrl(): string {
  const url = inject('redisUrl');
  if (!url) throw new Error(`no redis-server for the cluster tests: ${inject('redisError')}`);
  return url;
}

/** A fresh queue name per test. */
export function queueName(): string {
  return `t-${randomBytes(6).toString('hex')}`;
}

/** A plain client on the test server (the tests look at Redis state with it). */
export function client(url = redisUrl()): Redis {
  const redis = new Redis({ ...parseRedisUrl(url).options, maxRetriesPerRequest: 3 });
  redis.on('error', () => {});
  return redis;
}

/** Start `batchtools worker` processes (each one a "machine"), from the sources. */
export function startWorkers(n: number, queue: string, options: { threads?: number; args?: string[]; env?: Record<string, string>; cwd?: string; url?: string } = {}): Running[] {
  const args = ['worker', '--connection', options.url ?? redisUrl(), '--queue', queue, '--threads', String(options.threads ?? 1), ...(options.args ?? [])];
  return Array.from({ length: n }, () => start(args, { cwd: options.cwd ?? root, ...(options.env ? { env: options.env } : {}) }));
}

/** Wait until `condition` holds on Redis state (polled), or fail after `limitMs` naming `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, limitMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - t0 > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Wait until `n` workers of the queue are alive (registered in Redis). */
export function waitForWorkers(redis: Redis, queue: string, n: number): Promise<WorkerInfo[]> {
  return until(`${n} live workers on ${queue}`, async () => {
    const workers = await liveWorkers(redis, clusterKeys(queue));
    return workers.length >= n ? workers : undefined;
    // Starting from the sources (TypeScript compiled on the fly) is slow on a busy machine.
  }, 60_000);
}

/** Stop workers with SIGTERM and wait for their exit codes. */
export async function stopWorkers(workers: Running[]): Promise<Array<number | null>> {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return Promise.all(workers.map(async (w) => (await w.ended).code));
}

/** The workers of a describe block: its queue, a client on the server, and the worker processes (once started). */
export interface ClusterWorkers {
  readonly queue: string;
  redis: Redis;
  workers: Running[];
}

/**
 * Start `n` workers on a fresh queue before the tests of the enclosing describe block (their environment from
 * `env`, read then) and stop them after, each having to exit 0.
 */
export function useWorkers(n: number, env?: () => Record<string, string>): ClusterWorkers {
  const state = { queue: queueName(), workers: [] as Running[] } as ClusterWorkers;
  beforeAll(async () => {
    state.redis = client();
    state.workers = startWorkers(n, state.queue, env ? { env: env() } : {});
    await waitForWorkers(state.redis, state.queue, n);
  }, 90_000);
  afterAll(async () => {
    expect(await stopWorkers(state.workers)).toEqual(state.workers.map(() => 0));
    state.redis?.disconnect();
  }, 60_000);
  return state;
}
