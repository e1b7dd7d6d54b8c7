/**
 * batchtools/cluster: the same maps and CLI runs across many machines, on BullMQ and Redis. The one door of the
 * cluster product; the core (`batchtools`) never loads it, so Redis clients are loaded only by those who use it.
 *
 * @example
 * import { createRuntime } from 'batchtools/cluster';
 * import { defineTask } from 'batchtools';
 * await using rt = createRuntime({ cluster: { connection: 'redis://localhost:6379' } });
 * const out = await rt.map(items, defineTask(new URL('./score.js', import.meta.url), 'score'));
 */
import { InvalidOptionError } from '../errors.ts';
import { planPool } from '../plan/plan.ts';
import { probeMachine } from '../plan/probe.ts';
import { Runtime } from '../runtime.ts';
import { checkQueueName, DEFAULT_QUEUE, parseRedisUrl, withCa } from './connection.ts';
import { ClusterEngine } from './producer.ts';

/** Where a cluster runtime sends its chunks. */
export interface ClusterOptions {
  /**
   * Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. Required. The password is never
   * shown (messages, logs, reports and `info` print `***`).
   */
  connection: string;
  /** Queue name, shared by the producer and its workers. Default `'batchtools'`. */
  queue?: string;
  /**
   * PEM text of the certificate authority (or authorities) that signed the server's TLS certificate, for a
   * `rediss://` URL whose server certificate is not signed by a CA Node trusts. Default: Node's trusted CAs
   * (plus the file named by `NODE_EXTRA_CA_CERTS`, which is how the command line takes a private CA).
   */
  ca?: string | Buffer;
  /**
   * A run's liveness key lasts this long without a refresh, ms: after a producer dies, workers skip its jobs within
   * this time. Default `30000`.
   */
  runTtlMs?: number;
}

/** Options of the cluster `createRuntime`. */
export interface ClusterRuntimeOptions {
  cluster: ClusterOptions;
}

const CLUSTER_KEYS = new Set(['connection', 'queue', 'ca', 'runTtlMs']);

function engineFor(options: unknown): ClusterEngine {
  const cluster = (options as { cluster?: unknown } | null)?.cluster;
  if (cluster === null || typeof cluster !== 'object') {
    throw new InvalidOptionError('cluster', '`cluster` must be an object: { connection: "redis://host:6379", queue?: "name" }');
  }
  for (const key of Object.keys(cluster)) {
    if (!CLUSTER_KEYS.has(key)) throw new InvalidOptionError(`cluster.${key}`, `unknown option \`cluster.${key}\` (expected connection, queue, ca, runTtlMs)`);
  }
  const o = cluster as Record<string, unknown>;
  const runTtlMs = o['runTtlMs'] ?? 30_000;
  if (typeof runTtlMs !== 'number' || !Number.isSafeInteger(runTtlMs) || runTtlMs < 1000) {
    throw new InvalidOptionError('cluster.runTtlMs', '`cluster.runTtlMs` must be an integer >= 1000');
  }
  return new ClusterEngine({
    target: withCa(parseRedisUrl(o['connection'], 'cluster.connection'), o['ca'], 'cluster.ca'),
    queue: checkQueueName(o['queue'] ?? DEFAULT_QUEUE, 'cluster.queue'),
    runTtlMs,
    sweepMs: 1000,
  });
}

/**
 * A runtime whose `map`, `mapSettled` and `stream` run on the workers of a Redis queue (`batchtools worker` on each
 * machine), with the same options, results in input order, and the same error codes as a local run. Connecting is
 * lazy: the first map rejects with `BT_CLUSTER_UNAVAILABLE` (within 10 s) when the server cannot be used. Tasks
 * must be module files (`defineTask`), deployed identically on every worker. `rt.plan` is this machine's plan.
 *
 * @throws {InvalidOptionError} for a bad option.
 */
export function createRuntime(options: ClusterRuntimeOptions): Runtime {
  const engine = engineFor(options);
  const rt = new Runtime(planPool(probeMachine(), {}), engine);
  engines.set(rt, engine);
  return rt;
}

const engines = new WeakMap<Runtime, ClusterEngine>();

/** Threads of the live workers serving a cluster runtime, as last seen (refreshed every 2 s once connected). */
export function fleetThreads(rt: Runtime): number {
  return engines.get(rt)?.threads() ?? 0;
}

/** Like {@link createRuntime}, but connects and checks the server first (rejects with `BT_CLUSTER_UNAVAILABLE`). */
export async function connectCluster(options: ClusterRuntimeOptions): Promise<Runtime> {
  const engine = engineFor(options);
  const rt = new Runtime(planPool(probeMachine(), {}), engine);
  engines.set(rt, engine);
  try {
    await engine.connect();
  } catch (error) {
    await rt.close();
    throw error;
  }
  return rt;
}

export { startWorker } from './worker.ts';
export { readClusterInfo, formatClusterInfo } from './info.ts';
export { ClusterUnavailableError, parseRedisUrl, withCa } from './connection.ts';
export { TaskMismatchError } from './producer.ts';
export type { ClusterWorker, ClusterWorkerOptions } from './worker.ts';
export type { ClusterInfo } from './info.ts';
export type { WorkerInfo } from './registry.ts';
export type { RedisTarget, ServerFacts } from './connection.ts';
