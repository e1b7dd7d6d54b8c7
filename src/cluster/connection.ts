/**
 * Redis for the cluster: parse a `redis://` / `rediss://` URL, show it without its password, open connections,
 * and refuse a server we cannot trust (unreachable within 10 s, older than 6.2, evicting keys, bad credentials).
 * Every error names the address, never the password, and never dumps an ioredis stack.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { BatchtoolsError, ErrorCodes, InvalidOptionError } from '../errors.ts';
import { formatValue } from '../task.ts';
import { redact, type RedisTarget } from './url.ts';

export { parseRedisUrl, redact, withCa, type RedisTarget } from './url.ts';

/** The cluster's Redis cannot be used (unreachable, too old, evicting, refused credentials). */
export class ClusterUnavailableError extends BatchtoolsError {
  /** The address, without its password. */
  readonly address: string;
  constructor(address: string, message: string) {
    super(ErrorCodes.CLUSTER_UNAVAILABLE, message);
    this.address = address;
  }
}

/** How long connecting and checking the server may take before it counts as unreachable, ms. */
export const CONNECT_DEADLINE_MS = 10_000;
/** The oldest Redis we accept (BullMQ's blocking timeouts need 6.2). */
const MIN_VERSION = [6, 2, 0] as const;

/** Options of long-lived connections: reconnect forever, commands wait for the connection (BullMQ needs both). */
function longLived(target: RedisTarget): RedisOptions {
  return {
    ...target.options,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
    connectTimeout: CONNECT_DEADLINE_MS,
  };
}

/**
 * A long-lived connection. Its `error` events are swallowed (ioredis would print a stack for an unhandled one);
 * `onError` hears them, already redacted. Call {@link checkServer} first so that a bad address fails fast.
 */
export function openRedis(target: RedisTarget, onError?: (message: string) => void): Redis {
  const redis = new Redis(longLived(target));
  redis.on('error', (error: unknown) => onError?.(redact(String((error as Error)?.message ?? error), target)));
  return redis;
}

/** What the server is. */
export interface ServerFacts {
  version: string;
  evictionPolicy: string;
  mode: string;
}

/**
 * Connect once, within {@link CONNECT_DEADLINE_MS}, and check that the server can hold a cluster's state:
 * Redis >= 6.2 and `maxmemory-policy noeviction` (any other policy may drop queued jobs under memory pressure).
 *
 * @throws {ClusterUnavailableError} with a one-line message naming the address (never the password).
 */
export async function checkServer(target: RedisTarget): Promise<ServerFacts> {
  const redis = new Redis({
    ...target.options,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: CONNECT_DEADLINE_MS - 1000,
  });
  let lastError = '';
  redis.on('error', (error: unknown) => {
    lastError = String((error as Error)?.message ?? error);
  });
  const where = target.display;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_DEADLINE_MS / 1000} s`)), CONNECT_DEADLINE_MS);
  });
  try {
    const info = await Promise.race([
      (async () => {
        await redis.connect();
        return [await redis.info('server'), await redis.info('memory')] as const;
      })(),
      deadline,
    ]);
    const facts: ServerFacts = {
      version: field(info[0], 'redis_version') ?? '0.0.0',
      mode: field(info[0], 'redis_mode') ?? 'standalone',
      evictionPolicy: field(info[1], 'maxmemory_policy') ?? 'unknown',
    };
    const refused = refusal(facts, where);
    if (refused) throw refused;
    return facts;
  } catch (error) {
    if (error instanceof ClusterUnavailableError) throw error;
    const reason = redact(describeConnectError(error, lastError), target);
    throw new ClusterUnavailableError(where, `cannot use Redis at ${where}: ${reason}`);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

/**
 * Why a server that answered cannot hold a cluster's state, or undefined when it can: older than 6.2 (BullMQ's
 * blocking timeouts), or an eviction policy other than `noeviction` (queued jobs could be dropped).
 */
export function refusal(facts: ServerFacts, where: string): ClusterUnavailableError | undefined {
  if (!versionAtLeast(facts.version, MIN_VERSION)) {
    return new ClusterUnavailableError(where, `Redis at ${where} is version ${facts.version}; batchtools needs Redis 6.2 or newer`);
  }
  if (facts.evictionPolicy !== 'noeviction') {
    return new ClusterUnavailableError(
      where,
      `Redis at ${where} has maxmemory-policy ${facts.evictionPolicy}, which may evict queued jobs and results under memory ` +
        'pressure; set it to noeviction (CONFIG SET maxmemory-policy noeviction, or in redis.conf)',
    );
  }
  return undefined;
}

function describeConnectError(error: unknown, lastError: string): string {
  const message = String((error as Error)?.message ?? error);
  if (/WRONGPASS|invalid username-password/i.test(message + lastError)) return 'the server refused the user name or password';
  if (/NOAUTH/i.test(message + lastError)) return 'the server needs a password (put it in the URL: redis://:password@host:port)';
  const tls = /certificate|self[- ]signed|UNABLE_TO_VERIFY|ERR_TLS|SSL routines|wrong version number/i;
  if (tls.test(message) || tls.test(lastError)) {
    return `TLS: ${oneLine(tls.test(message) ? message : lastError)} (trust the CA that signed the server's certificate: ` +
      'NODE_EXTRA_CA_CERTS=ca.pem for the command line, the `ca` option in code)';
  }
  // "Connection is closed." hides the reason ioredis reported as an error event just before.
  if (/Connection is closed|connect ETIMEDOUT/i.test(message) && lastError !== '') return oneLine(lastError);
  return oneLine(message);
}

const oneLine = (text: string): string => text.split('\n')[0]!.trim();

function field(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

/** True when a dotted version is at least `min` (`"6.2.0"` vs [6, 2, 0]). */
export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

/** Queue names: letters, digits, `_`, `.` and `-` (no `:`, which Redis key names use as a separator). */
export function checkQueueName(name: unknown, option = 'queue'): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new InvalidOptionError(option, `\`${option}\` must be 1-100 letters, digits, "_", "." or "-", got ${formatValue(name)}`);
  }
  return name;
}

/** The default queue name. */
export const DEFAULT_QUEUE = 'batchtools';
/** BullMQ's key prefix for our queues. */
export const PREFIX = 'bt';

/** Names of the keys and channels batchtools keeps beside BullMQ's own, for one queue. */
export function clusterKeys(queue: string) {
  const base = `${PREFIX}:${queue}:_bt`;
  return {
    /** A run's liveness marker (TTL, refreshed by its producer); workers skip jobs of runs without one. */
    run: (runId: string) => `${base}:run:${runId}`,
    /** A run's result list (TTL); workers push replies, the producer pops them. */
    results: (runId: string) => `${base}:res:${runId}`,
    /** A worker's description (TTL, refreshed by its heartbeat). */
    worker: (workerId: string) => `${base}:w:${workerId}`,
    /** Sorted set of worker ids by the time their description expires. */
    workers: `${base}:workers`,
    /** Pub/sub channel: run ids whose jobs workers must stop. */
    cancel: `${base}:cancel`,
  };
}
export type ClusterKeys = ReturnType<typeof clusterKeys>;
