/**
 * The producer side: a RunEngine whose runner turns each chunk of a Run into a BullMQ job and each worker's reply
 * into the chunk's reply. The Run (retries, breaker, ordering, progress, isolation of failed chunks) is the local
 * one, unchanged; only where chunks compute differs.
 *
 * Per run: a liveness key (TTL, refreshed) without which workers skip the run's jobs, a result list (TTL) read by
 * one blocking connection, and a sweep that notices jobs the queue lost. A reply for a job no longer pending (a
 * chunk computed twice after a stall) is dropped: each chunk lands once.
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BatchtoolsError, ErrorCodes, InvalidOptionError } from '../errors.ts';
import type { ChunkRunner, EngineRun, OpenedRunner, RunEngine } from '../schedule/chunk-runner.ts';
import type { ChunkPolicy } from '../schedule/policy.ts';
import type { TaskSpec } from '../task.ts';
import { unpackValues, type Payload } from '../transport/pack.ts';
import { runStateViews, STATE_LOADED, type ChunkMessage, type ChunkReply } from '../transport/protocol.ts';
import { checkServer, clusterKeys, openRedis, PREFIX, type ClusterKeys, type RedisTarget } from './connection.ts';
import { encodeItems, decodeReply, type ChunkJobData, type ChunkJobReply, type TaskIdentity } from './protocol.ts';
import { FleetPolicies } from './fleet-policy.ts';
import { identifyTask } from './task-identity.ts';
import { liveWorkers } from './registry.ts';

/** A cluster worker cannot run the task as named: other code, outside its roots, or missing. The run stops. */
export class TaskMismatchError extends BatchtoolsError {
  /** Host name of the worker that refused. */
  readonly host: string;
  /** The task module path it looked for. */
  readonly path: string;
  constructor(host: string, path: string, reason: string) {
    super(ErrorCodes.TASK_MISMATCH, `worker ${host} cannot run the task ${path}: ${reason}`);
    this.host = host;
    this.path = path;
  }
}

/** Producer settings (validated by the door). */
export interface ProducerSettings {
  target: RedisTarget;
  queue: string;
  /** A run's liveness key lives this long without a refresh (a dead producer's jobs are skipped after it), ms. */
  runTtlMs: number;
  /** How often in-flight jobs are checked for having been lost by the queue, ms. */
  sweepMs: number;
}

interface Shared {
  redis: Redis;
  queue: Queue<ChunkJobData>;
}

/** Runs chunks as jobs on a Redis queue served by `batchtools worker` processes. */
export class ClusterEngine implements RunEngine {
  readonly settings: ProducerSettings;
  readonly keys: ClusterKeys;
  #ready: Promise<Shared> | undefined;
  #shared: Shared | undefined;
  #capacity = 0;
  #refresh: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #cleanups = new Set<Promise<void>>();
  readonly #policies = new FleetPolicies();

  constructor(settings: ProducerSettings) {
    this.settings = settings;
    this.keys = clusterKeys(settings.queue);
  }

  /** Connect (once): check the server, open the queue, learn the fleet's capacity. Rejects with ClusterUnavailableError. */
  connect(): Promise<Shared> {
    this.#ready ??= this.#connect();
    return this.#ready;
  }

  async #connect(): Promise<Shared> {
    await checkServer(this.settings.target);
    const redis = openRedis(this.settings.target);
    const queue = new Queue<ChunkJobData>(this.settings.queue, { connection: redis, prefix: PREFIX });
    queue.on('error', () => {});
    const shared = { redis, queue };
    this.#shared = shared;
    await this.#refreshCapacity();
    this.#refresh = setInterval(() => void this.#refreshCapacity().catch(() => {}), 2000);
    this.#refresh.unref();
    if (this.#closed) await this.#disconnect();
    return shared;
  }

  async #refreshCapacity(): Promise<void> {
    if (!this.#shared) return;
    const workers = await liveWorkers(this.#shared.redis, this.keys);
    this.#capacity = workers.reduce((sum, w) => sum + w.threads, 0);
  }

  /** Worker threads of the live workers (at least 1, so a run waits for workers rather than sending nothing). */
  threads(): number {
    return Math.max(1, this.#capacity);
  }

  /** A job of `task` was encoded to `bytes` (base64 text): later jobs stay under the payload cap. */
  noteBytes(task: TaskSpec, items: number, bytes: number): void {
    this.#policies.noteBytes(task, items, bytes);
  }

  /** Jobs sized by time from measured rates, starting from what earlier runs of the task learned (fleet-policy.ts). */
  policy(task: TaskSpec): ChunkPolicy {
    return this.#policies.forRun(task, () => this.threads());
  }

  open(run: EngineRun): OpenedRunner {
    if (this.#closed) throw new BatchtoolsError(ErrorCodes.RUNTIME_CLOSED, 'the cluster runtime is closed');
    if (run.host) {
      throw new InvalidOptionError('host', '`host` objects live in the producer process; a cluster run cannot reach them from other machines');
    }
    const identity = identifyTask(run.task);
    const clusterRun = new ClusterRun(this, run, identity);
    return {
      runner: clusterRun,
      end: (error) => {
        const done = clusterRun.end(error).catch(() => {});
        this.#cleanups.add(done);
        void done.then(() => this.#cleanups.delete(done));
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Runs cancelled by the runtime's close end on a later tick: let their clean-ups begin before waiting for them.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(this.#cleanups);
    await this.#ready?.catch(() => {});
    await this.#disconnect();
  }

  async #disconnect(): Promise<void> {
    if (this.#refresh) clearInterval(this.#refresh);
    this.#refresh = undefined;
    const shared = this.#shared;
    this.#shared = undefined;
    if (!shared) return;
    await shared.queue.close().catch(() => {});
    await shared.redis.quit().catch(() => shared.redis.disconnect());
  }
}

interface Pending {
  /** The run's shared load count (see `STATE_LOADED`): an answer from a worker that ran the task counts a load. */
  loads: Int32Array;
  resolve(reply: ChunkReply): void;
  reject(error: unknown): void;
  added: boolean;
  /** Consecutive sweeps that found the job neither waiting, active nor answered. */
  missing: number;
}


/** One run's runner: chunk messages out as jobs, replies in from the run's result list. */
class ClusterRun implements ChunkRunner {
  readonly threads = [] as const;
  readonly id = randomUUID();
  readonly #engine: ClusterEngine;
  readonly #run: EngineRun;
  readonly #task: TaskIdentity;
  readonly #pending = new Map<string, Pending>();
  #seq = 0;
  #ended = false;
  #started: Promise<Shared> | undefined;
  #reader: Redis | undefined;
  #timers: NodeJS.Timeout[] = [];

  constructor(engine: ClusterEngine, run: EngineRun, task: TaskIdentity) {
    this.#engine = engine;
    this.#run = run;
    this.#task = task;
  }

  async run(message: ChunkMessage): Promise<ChunkReply> {
    // Numbers travel as a Float64Array; other typed arrays and packed records as plain arrays of values.
    const list =
      message.items instanceof Float64Array ? message.items
      : ArrayBuffer.isView(message.items) ? Array.from(message.items as ArrayLike<unknown>)
      : unpackValues(message.items as Payload); // shared records go only to local workers
    const items = encodeItems(list);
    this.#engine.noteBytes(this.#run.task, list.length, items.length);
    const shared = await this.#start();
    if (this.#ended) throw new Error('the run has ended');
    const jobId = `${this.id}-${++this.#seq}`;
    const data: ChunkJobData = { v: 1, run: this.id, task: this.#task, items, count: list.length };
    if (this.#run.timeout !== undefined) data.timeout = this.#run.timeout;
    return new Promise<ChunkReply>((resolve, reject) => {
      const pending: Pending = { loads: runStateViews(message.state, message.slots).ints, resolve, reject, added: false, missing: 0 };
      this.#pending.set(jobId, pending);
      shared.queue.add('chunk', data, { jobId, attempts: 1, removeOnComplete: true, removeOnFail: true }).then(
        () => {
          pending.added = true;
        },
        (error: unknown) => {
          this.#pending.delete(jobId);
          reject(error);
        },
      );
    });
  }

  /** Connect, mark the run alive and start reading replies (once, on the first chunk). */
  #start(): Promise<Shared> {
    this.#started ??= (async () => {
      let shared: Shared;
      try {
        shared = await this.#engine.connect();
      } catch (error) {
        this.#run.cancel(error);
        throw error;
      }
      const { keys, settings } = this.#engine;
      await shared.redis.set(keys.run(this.id), '1', 'PX', settings.runTtlMs);
      const alive = setInterval(() => void shared.redis.pexpire(keys.run(this.id), settings.runTtlMs).catch(() => {}), settings.runTtlMs / 3);
      alive.unref();
      this.#timers.push(alive);
      this.#reader = openRedis(settings.target);
      void this.#read(this.#reader, keys.results(this.id));
      this.#scheduleSweep(shared);
      return shared;
    })();
    return this.#started;
  }

  async #read(reader: Redis, key: string): Promise<void> {
    while (!this.#ended) {
      try {
        const popped = await reader.blpopBuffer(key, 0);
        if (popped) this.#deliver(popped[1]);
        const more = await reader.lpopBuffer(key, 512);
        if (Array.isArray(more)) for (const bytes of more) this.#deliver(bytes);
      } catch {
        if (this.#ended) return;
        // The connection dropped: ioredis reconnects; the list kept what arrived meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #deliver(bytes: Buffer): void {
    const reply = decodeReply(bytes);
    if (!reply) return;
    const pending = this.#pending.get(reply.job);
    // Not pending: a duplicate (the job ran twice after a stall) or a reply to a run's earlier life. It lands once.
    if (!pending) return;
    this.#pending.delete(reply.job);
    // A worker ran the task: it loads there. Like a local chunk that began with the task loaded, this tells the
    // Run that later lost jobs (workers killed while holding them) are not a task that cannot start: they run again.
    if (reply.kind === 'ok') Atomics.add(pending.loads, STATE_LOADED, 1);
    pending.resolve(toChunkReply(reply, (error) => this.#run.cancel(error)));
  }

  #scheduleSweep(shared: Shared): void {
    const timer = setTimeout(async () => {
      try {
        await this.#sweep(shared);
      } catch {
        // Redis unreachable for a moment: the next sweep tries again.
      }
      if (!this.#ended) this.#scheduleSweep(shared);
    }, this.#engine.settings.sweepMs);
    timer.unref();
    this.#timers = this.#timers.filter((t) => t !== timer).concat(timer);
  }

  /**
   * A job whose record is gone (BullMQ removes it when it completes or fails) and that was not answered on two
   * sweeps in a row was lost: it failed after too many stalls. One pipelined EXISTS per job in flight.
   */
  async #sweep(shared: Shared): Promise<void> {
    const added = [...this.#pending].filter(([, pending]) => pending.added);
    if (added.length === 0 || this.#ended) return;
    const pipeline = shared.redis.pipeline();
    for (const [jobId] of added) pipeline.exists(`${PREFIX}:${this.#engine.settings.queue}:${jobId}`);
    const found = (await pipeline.exec()) ?? [];
    for (let i = 0; i < added.length; i++) {
      const [jobId, pending] = added[i]!;
      if (found[i]?.[1] === 1) {
        pending.missing = 0;
        continue;
      }
      if (++pending.missing < 2 || this.#pending.get(jobId) !== pending) continue;
      this.#pending.delete(jobId);
      pending.reject(new Error(`the queue lost job ${jobId}: its workers stopped (stalled) more often than allowed`));
    }
  }

  /** The run settled: stop its jobs everywhere (when it was stopped) and remove its keys. */
  async end(error: unknown): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    for (const timer of this.#timers) clearTimeout(timer);
    const ids = [...this.#pending.keys()];
    const reason = error ?? new Error('the run has ended');
    for (const pending of this.#pending.values()) pending.reject(reason);
    this.#pending.clear();
    const shared = await this.#started?.catch(() => undefined);
    if (!shared) return;
    const { keys } = this.#engine;
    try {
      // Without the liveness key, workers skip the run's jobs and push no more replies.
      await shared.redis.del(keys.run(this.id));
      if (ids.length > 0) {
        await shared.redis.publish(keys.cancel, this.id);
        // Waiting jobs go now; active ones are cancelled by their workers and removed when they end.
        await Promise.all(ids.map((id) => shared.queue.remove(id).catch(() => 0)));
      }
      await shared.redis.del(keys.results(this.id));
    } finally {
      this.#reader?.disconnect();
    }
  }
}

/** A worker's reply as the Run expects it; a mismatch stops the run. */
function toChunkReply(reply: ChunkJobReply, stop: (error: unknown) => void): ChunkReply {
  const empty: ChunkReply = { threadId: -1, values: [], errors: [], ran: 0, runMs: 0, heapUsed: 0, heapLimit: 0, cold: false };
  switch (reply.kind) {
    case 'ok':
      return {
        threadId: reply.worker,
        values: reply.values,
        errors: reply.errors,
        ran: reply.ran,
        runMs: reply.runMs,
        heapUsed: reply.heapRatio,
        heapLimit: 1,
        cold: reply.cold,
      };
    case 'load':
      return { ...empty, loadError: { ...reply.error, message: `on worker ${reply.host}: ${reply.error.message}` } };
    case 'mismatch': {
      const error = new TaskMismatchError(reply.host, reply.path, reply.reason);
      stop(error);
      return { ...empty, loadError: { isError: true, name: error.name, message: error.message, code: error.code } };
    }
  }
}
