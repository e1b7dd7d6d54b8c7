/**
 * The live workers of a queue: each worker keeps a description under a key with a TTL (refreshed by a heartbeat and
 * after every job) and its id in a sorted set scored by that expiry. Readers prune expired ids, so a worker killed
 * with `kill -9` drops out of `info` and out of the producers' capacity within one TTL.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './connection.ts';

/** What a worker says about itself (shown by `batchtools info --connection`). Never holds credentials. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** Worker threads of its local pool (its plan). */
  threads: number;
  /** Per-thread heap limit, MiB (its plan). */
  maxHeapMb: number;
  /** Jobs it takes at once (`worker.concurrency`). */
  concurrency: number;
  /** Directories it loads task modules from. */
  roots: string[];
  /** Jobs it finished (replied to), and their items. */
  jobs: number;
  items: number;
  /** Jobs in hand right now. */
  active: number;
  startedAt: string;
  /** Last heartbeat, ISO time. */
  seenAt: string;
  node: string;
}

/** A worker description lives this long without a refresh, ms. */
export const WORKER_TTL_MS = 10_000;
/** How often a worker refreshes its description, ms. */
export const HEARTBEAT_MS = 3_000;

/** Write (refresh) a worker's description. */
export async function announce(redis: Redis, keys: ClusterKeys, info: WorkerInfo): Promise<void> {
  const [key, json, ttl, score, id] = registration(keys, info);
  await redis.multi().set(key, json, 'PX', ttl).zadd(keys.workers, score, id).exec();
}

/** What {@link announce} writes: the description's key, its JSON, its TTL, its expiry (the set's score) and the id. */
export function registration(keys: ClusterKeys, info: WorkerInfo): [string, string, number, number, string] {
  const now = Date.now();
  return [keys.worker(info.id), JSON.stringify({ ...info, seenAt: new Date(now).toISOString() }), WORKER_TTL_MS, now + WORKER_TTL_MS, info.id];
}

/**
 * Announces a worker's changes (a job taken or finished) at most once per `intervalMs`, the last one always
 * (a trailing write), so a busy worker does not add two writes per job.
 */
export class Announcer {
  readonly #write: () => Promise<void>;
  readonly #intervalMs: number;
  #last = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  constructor(write: () => Promise<void>, intervalMs = 500) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }
  /** Something changed: write now or at the end of the interval. */
  soon(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#last + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#last = Date.now();
      void this.#write().catch(() => {});
    }, wait);
  }
  /** The description was written another way just now. */
  written(): void {
    this.#last = Date.now();
  }
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Remove a worker's description (it stopped cleanly). */
export async function retire(redis: Redis, keys: ClusterKeys, id: string): Promise<void> {
  await redis.multi().del(keys.worker(id)).zrem(keys.workers, id).exec();
}

/** The workers alive now, by id. */
export async function liveWorkers(redis: Redis, keys: ClusterKeys): Promise<WorkerInfo[]> {
  const now = Date.now();
  await redis.zremrangebyscore(keys.workers, '-inf', now);
  const ids = await redis.zrange(keys.workers, 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => keys.worker(id)));
  const out: WorkerInfo[] = [];
  for (const value of values) {
    if (value === null) continue;
    try {
      out.push(JSON.parse(value) as WorkerInfo);
    } catch {
      // Not ours: skip it.
    }
  }
  return out.sort((a, b) => (a.host === b.host ? a.pid - b.pid : a.host < b.host ? -1 : 1));
}
