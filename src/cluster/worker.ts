/**
 * A cluster worker: one process per machine. A BullMQ Worker with an in-process processor (never a sandboxed
 * one) takes chunk jobs and runs each on this machine's own runtime, so its pool plan, adaptive chunking and
 * crash / OOM / timeout isolation apply (a job's items are split further locally). `concurrency` follows the
 * local pool's capacity. Replies go to the run's result list; a cancelled run's jobs are aborted here.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ErrorCodes, InvalidOptionError, isBatchtoolsError, type ItemError } from '../errors.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { defineTask } from '../task.ts';
import { toEnvelope, type ErrorEnvelope } from '../transport/envelope.ts';
import { checkQueueName, checkServer, clusterKeys, DEFAULT_QUEUE, openRedis, parseRedisUrl, PREFIX, redact, withCa } from './connection.ts';
import { startRun } from '../pipeline/seam.ts';
import { JobResults, TaskPolicies } from './job-run.ts';
import { decodeItems, encodeReply, PUSH_IF_ALIVE, type ChunkJobData, type ChunkJobReply } from './protocol.ts';
import { announce, Announcer, HEARTBEAT_MS, registration, retire, type WorkerInfo } from './registry.ts';
import { resolveTask } from './task-identity.ts';

/** Options of {@link startWorker} (and `batchtools worker`). */
export interface ClusterWorkerOptions {
  /** Redis URL, `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. Required. */
  connection: string;
  /** Queue name. Default `'batchtools'`. */
  queue?: string;
  /**
   * PEM text of the CA that signed the server's TLS certificate (`rediss://`), when Node does not trust it.
   * Default: Node's trusted CAs plus `NODE_EXTRA_CA_CERTS` (how `batchtools worker` takes a private CA).
   */
  ca?: string | Buffer;
  /** Local worker threads. Default: this machine's pool plan. */
  threads?: number;
  /** Per-thread heap limit, MiB. Default: this machine's pool plan. */
  maxHeapMb?: number;
  /** Directories task modules may be loaded from. Default: the working directory. */
  roots?: string[];
  /**
   * Lock duration of a job in hand, ms (renewed at half of it while the job runs). A killed worker's jobs return
   * to the queue once their lock expires and a stall check runs: recovery takes about `lockMs + stallMs`.
   * Lower recovers faster but needs a responsive event loop (the work itself runs on threads). Default `5000`.
   */
  lockMs?: number;
  /** How often this worker checks the queue for stalled jobs (locks that expired), ms. Default `lockMs / 2`. */
  stallMs?: number;
  /** Times a job may stall (its worker died) before it fails for good. Default `3`. */
  maxStalled?: number;
  /** Where one-line log messages go (never credentials). Default: none. */
  log?: (line: string) => void;
}

/** A running worker. */
export interface ClusterWorker {
  readonly id: string;
  /** Its current description, as `info` shows it. */
  info(): WorkerInfo;
  /** Stop taking jobs, finish those in hand, close the pool and the connections. */
  close(): Promise<void>;
}

/** Lifetime of a run's result list after the last push, ms. */
const RESULTS_TTL_MS = 600_000;

/**
 * Connect to Redis (failing within 10 s with a one-line error), start the local pool and take jobs.
 *
 * @throws {ClusterUnavailableError} when the server cannot be used; {@link InvalidOptionError} for a bad option.
 */
export async function startWorker(options: ClusterWorkerOptions): Promise<ClusterWorker> {
  const target = withCa(parseRedisUrl(options.connection), options.ca);
  const queueName = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const lockMs = options.lockMs ?? 5000;
  const stallMs = options.stallMs ?? Math.max(100, Math.floor(lockMs / 2));
  const maxStalled = options.maxStalled ?? 3;
  for (const [name, value, min] of [['lockMs', lockMs, 200], ['stallMs', stallMs, 100], ['maxStalled', maxStalled, 0]] as const) {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new InvalidOptionError(name, `\`${name}\` must be an integer >= ${min}, got ${String(value)}`);
    }
  }
  const roots = (options.roots && options.roots.length > 0 ? options.roots : [process.cwd()]).map((r) => resolve(r));
  const log = options.log ?? (() => {});
  await checkServer(target);

  const runtimeOptions: { threads?: number; maxHeapMb?: number } = {};
  if (options.threads !== undefined) runtimeOptions.threads = options.threads;
  if (options.maxHeapMb !== undefined) runtimeOptions.maxHeapMb = options.maxHeapMb;
  const rt = createRuntime(runtimeOptions);
  // Start the pool's threads now, not on the first job (a cold start would count against that job's time).
  await rt.map([0], (x: number) => x);
  const keys = clusterKeys(queueName);
  let lastError = '';
  const onError = (message: string): void => {
    if (message === lastError) return;
    lastError = message;
    log(`batchtools worker: Redis at ${target.display}: ${message}`);
  };
  const redis = openRedis(target, onError);
  const host = hostname();
  const id = `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const info: WorkerInfo = {
    id,
    host,
    pid: process.pid,
    threads: rt.plan.threads,
    maxHeapMb: rt.plan.maxHeapMb,
    concurrency: rt.plan.threads + 1,
    roots,
    jobs: 0,
    items: 0,
    active: 0,
    startedAt: new Date().toISOString(),
    seenAt: new Date().toISOString(),
    node: process.version,
  };
  const state: ProcessorState = {
    rt,
    redis,
    keys,
    host,
    roots,
    info,
    workerNumber: numberOf(id),
    warm: new Set(),
    runs: new Map(),
    permits: new Permits(rt.plan.threads),
    policies: new TaskPolicies(),
    announcer: new Announcer(() => announce(redis, keys, info)),
  };

  // Cancelled runs: abort their jobs in hand.
  const sub = openRedis(target, onError);
  await sub.subscribe(keys.cancel);
  sub.on('message', (_channel: string, runId: string) => {
    for (const controller of state.runs.get(runId) ?? []) controller.abort(new Error('the run was cancelled by its producer'));
  });

  // BullMQ does not close a connection it was given: it is quit here after the worker closed.
  const workerConnection = openRedis(target, onError);
  const worker = new Worker<ChunkJobData>(queueName, (job, _token, signal) => processJob(state, job, signal), {
    connection: workerConnection,
    prefix: PREFIX,
    // Jobs in flight to the local pool: one per thread plus one, so a job's Redis round trip overlaps compute.
    concurrency: info.concurrency,
    lockDuration: lockMs,
    stalledInterval: stallMs,
    maxStalledCount: maxStalled,
  });
  worker.on('error', (error: unknown) => onError(redact(String((error as Error)?.message ?? error), target)));
  await announce(redis, keys, info);
  const heartbeat = setInterval(() => void announce(redis, keys, info).catch(() => {}), HEARTBEAT_MS);
  log(`batchtools worker ${id}: queue ${queueName} at ${target.display}, ${info.threads} threads, concurrency ${info.concurrency}`);

  let closing: Promise<void> | undefined;
  return {
    id,
    info: () => ({ ...info }),
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        await worker.close();
        state.announcer.stop();
        await rt.close();
        await retire(redis, keys, id).catch(() => {});
        sub.disconnect();
        await workerConnection.quit().catch(() => workerConnection.disconnect());
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

interface ProcessorState {
  rt: Runtime;
  redis: Redis;
  keys: ReturnType<typeof clusterKeys>;
  host: string;
  roots: string[];
  info: WorkerInfo;
  workerNumber: number;
  /** Tasks (sha256 + export) this worker has run: their next job is warm. */
  warm: Set<string>;
  /** Abort controllers of the jobs in hand, by run. */
  runs: Map<string, Set<AbortController>>;
  /** One per local thread: the jobs that run now. A job in hand beyond them waits here, in order (see below). */
  permits: Permits;
  /** Chunk policies learned per task, kept across jobs. */
  policies: TaskPolicies;
  /** Writes the description after jobs start and end, at most twice a second. */
  announcer: Announcer;
}

/**
 * Jobs in hand run one per local thread; the one more that `concurrency` lets in is fetched ahead and waits here
 * until a running job ends. Without this the local pool would interleave all of them, they would all end at about
 * the same time, and the threads would idle while every reply and the next jobs cross Redis: the extra job would
 * hide no round trip at all (and every job's run time would look longer than its work, misleading the producer's
 * job sizing).
 */
export class Permits {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(count: number) {
    this.#free = count;
  }
  /** Resolves true once a permit is held, false when `signal` aborts first (nothing is then held). */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

async function processJob(s: ProcessorState, job: Job<ChunkJobData>, signal: AbortSignal | undefined): Promise<void> {
  const data = job.data;
  const jobId = job.id ?? '';
  if (data?.v !== 1 || typeof data.run !== 'string') return;
  // A run without its liveness key ended (or its producer died): its jobs are skipped.
  if ((await s.redis.exists(s.keys.run(data.run))) === 0) return;
  const push = async (reply: ChunkJobReply): Promise<void> => {
    // The job counts as finished in the description written with the reply (the `finally` below catches up).
    if (reply.kind === 'ok') {
      s.info.jobs++;
      s.info.items += reply.ran;
    }
    const [key, json, ttl, score, id] = registration(s.keys, { ...s.info, active: s.info.active - 1 });
    s.announcer.written();
    await s.redis.eval(PUSH_IF_ALIVE, 4, s.keys.run(data.run), s.keys.results(data.run), key, s.keys.workers, encodeReply(reply), RESULTS_TTL_MS, json, ttl, score, id);
  };
  const found = resolveTask(data.task, s.roots);
  if (!found.ok) {
    await push({ kind: 'mismatch', job: jobId, host: s.host, path: found.path, reason: found.reason });
    return;
  }
  let items: unknown[] | Float64Array;
  try {
    items = decodeItems(data.items);
  } catch (error) {
    const reason = `its items cannot be decoded here (${(error as Error).message}; producer and workers need the same Node major version)`;
    await push({ kind: 'mismatch', job: jobId, host: s.host, path: found.url, reason });
    return;
  }
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let set = s.runs.get(data.run);
  if (!set) s.runs.set(data.run, (set = new Set()));
  set.add(controller);
  s.info.active++;
  s.announcer.soon();
  const taskKey = `${data.task.sha256}:${data.task.exportName}`;
  let held = false;
  try {
    held = await s.permits.acquire(controller.signal);
    if (!held) return;
    const t0 = performance.now();
    const task = defineTask(found.url, data.task.exportName);
    const results = new JobResults(items.length);
    const options = { signal: controller.signal, ...(data.timeout === undefined ? {} : { timeout: data.timeout }) };
    await s.rt[startRun](items, task, options, results, s.policies.forJob(taskKey)).done;
    const runMs = performance.now() - t0;
    // The threads are free: the job waiting in hand starts now, while this one's reply crosses Redis.
    s.permits.release();
    held = false;
    const { values, failures } = results.result();
    const errors = failures.map((reason): [number, ErrorEnvelope] => [reason.index, itemEnvelope(reason)]);
    const cold = !s.warm.has(taskKey);
    s.warm.add(taskKey);
    await push({ kind: 'ok', job: jobId, values, errors, ran: items.length, runMs, heapRatio: 0, worker: s.workerNumber, cold });
  } catch (error) {
    if (controller.signal.aborted) return;
    if (isBatchtoolsError(error) && (error.code === ErrorCodes.TASK_LOAD || error.code === ErrorCodes.STARTUP_FAILED)) {
      await push({ kind: 'load', job: jobId, host: s.host, error: toEnvelope(error) });
      return;
    }
    throw error;
  } finally {
    if (held) s.permits.release();
    s.info.active--;
    set.delete(controller);
    if (set.size === 0) s.runs.delete(data.run);
    signal?.removeEventListener('abort', onAbort);
    s.announcer.soon();
  }
}

/**
 * A task's own error travels as itself (the producer wraps it exactly as a local run would); an outcome this
 * worker's runtime decided (crash, OOM, timeout, clone) travels as the whole ItemError, code included.
 */
function itemEnvelope(reason: ItemError): ErrorEnvelope {
  return reason.code === ErrorCodes.TASK_FAILED && reason.cause !== undefined ? toEnvelope(reason.cause) : toEnvelope(reason);
}

/** A small stable number for a worker id (the producer's trace names workers by it). */
function numberOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  return Math.abs(h);
}
