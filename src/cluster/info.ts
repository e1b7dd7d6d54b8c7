/** What `batchtools info --connection` shows: the server, the live workers with their plans, the queue's counts. */
import { Queue } from 'bullmq';
import { checkServer, clusterKeys, openRedis, PREFIX, type RedisTarget, type ServerFacts } from './connection.ts';
import { liveWorkers, type WorkerInfo } from './registry.ts';

/** A queue's state. */
export interface ClusterInfo {
  /** The address, without its password. */
  address: string;
  queue: string;
  server: ServerFacts;
  workers: WorkerInfo[];
  /** Jobs by state (waiting, active, delayed, completed, failed, paused, prioritized, waiting-children). */
  counts: Record<string, number>;
}

/** Read a queue's state. Rejects with ClusterUnavailableError when the server cannot be used. */
export async function readClusterInfo(target: RedisTarget, queueName: string): Promise<ClusterInfo> {
  const server = await checkServer(target);
  const redis = openRedis(target);
  const queue = new Queue(queueName, { connection: redis, prefix: PREFIX });
  queue.on('error', () => {});
  try {
    const [workers, counts] = await Promise.all([liveWorkers(redis, clusterKeys(queueName)), queue.getJobCounts()]);
    return { address: target.display, queue: queueName, server, workers, counts };
  } finally {
    await queue.close().catch(() => {});
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** The info as text for a person. */
export function formatClusterInfo(info: ClusterInfo): string {
  const lines = [
    `Queue ${info.queue} at ${info.address} (Redis ${info.server.version}, ${info.server.evictionPolicy})`,
    `Jobs: ${Object.entries(info.counts).map(([state, n]) => `${state} ${n}`).join(', ')}`,
    info.workers.length === 0
      ? 'Workers: none alive (start one with: batchtools worker --connection <url>)'
      : `Workers: ${info.workers.length} alive, ${info.workers.reduce((n, w) => n + w.threads, 0)} threads in all`,
  ];
  for (const w of info.workers) {
    lines.push(
      `  ${w.host} pid ${w.pid}: ${w.threads} threads, heap ${w.maxHeapMb} MiB/thread, concurrency ${w.concurrency}, ` +
        `${w.active} jobs in hand, ${w.jobs} jobs (${w.items} items) done, Node ${w.node}, roots ${w.roots.join(', ')}, ` +
        `since ${w.startedAt}`,
    );
  }
  return lines.join('\n');
}
