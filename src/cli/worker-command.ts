/**
 * `batchtools worker --connection redis://host:6379 …`: serve a cluster queue from this machine until SIGTERM or
 * Ctrl-C, which stop taking jobs and finish the ones in hand (exit 0; a second Ctrl-C exits at once with 130).
 * The cluster product is loaded only here, when the command runs.
 */
import type { Command } from 'commander';
import { ExitCode } from '../base/exit-codes.ts';
import { addConnectionOptions, clusterOptions, type ConnectionFlags } from './connection-options.ts';
import { integerOption } from './flags.ts';

/** Options of `batchtools worker`, as parsed by commander. */
export interface WorkerCommandOptions extends ConnectionFlags {
  connection: string;
  threads?: number;
  maxHeapMb?: number;
  root: string[];
  lockMs?: number;
  stallMs?: number;
  maxStalled?: number;
  quiet?: boolean;
}

/** Register `worker` on the program. */
export function registerWorkerCommand(program: Command): void {
  const cmd = program.command('worker').description('take chunk jobs from a Redis queue and run them on this machine (one per machine)');
  addConnectionOptions(cmd, 'worker')
    .option('--threads <n>', 'worker threads (default: the pool plan, see `batchtools info`)', integerOption('--threads', 1))
    .option('--max-heap-mb <n>', 'per-thread heap limit in MiB (default: the pool plan)', integerOption('--max-heap-mb', 1))
    .option('--root <dir>', 'load task modules only from under this directory (repeatable; default: the working directory)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--lock-ms <ms>', 'job lock duration: a killed worker\'s jobs run elsewhere after about lock + stall ms (default 5000)', integerOption('--lock-ms', 1))
    .option('--stall-ms <ms>', 'how often to look for jobs whose worker died (default: lock / 2)', integerOption('--stall-ms', 1))
    .option('--max-stalled <n>', 'times a job may lose its worker before it fails (default 3)', integerOption('--max-stalled', 0))
    .option('--quiet', 'no log lines on stderr')
    .addHelpText(
      'after',
      `
Jobs name their task by path, export and sha256: a worker runs only modules under its --root
directories whose content matches the producer's (else the run stops with BT_TASK_MISMATCH).
SIGTERM or Ctrl-C: take no more jobs, finish those in hand, exit 0.

Exit codes: 0 stopped cleanly; 2 bad option or Redis unusable (unreachable, < 6.2, eviction policy); 130 second Ctrl-C

Examples:
  $ redis-server --maxmemory-policy noeviction
  $ batchtools worker --connection redis://localhost:6379
  $ batchtools worker --connection rediss://:secret@redis.internal:6380 --queue scores --root /srv/app
  $ batchtools worker --connection rediss://redis.internal:6380 --tls-ca ./redis-ca.pem`,
    )
    .action(async (opts: WorkerCommandOptions) => {
      process.exitCode = await workerCommand(opts);
    });
}

/** Run a worker until a signal; returns the exit code (throws for a setup error: exit 2). */
export async function workerCommand(o: WorkerCommandOptions): Promise<number> {
  const { startWorker } = await import('../cluster/index.ts');
  const log = o.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const options: Parameters<typeof startWorker>[0] = { ...clusterOptions(o), roots: o.root, log };
  if (o.threads !== undefined) options.threads = o.threads;
  if (o.maxHeapMb !== undefined) options.maxHeapMb = o.maxHeapMb;
  if (o.lockMs !== undefined) options.lockMs = o.lockMs;
  if (o.stallMs !== undefined) options.stallMs = o.stallMs;
  if (o.maxStalled !== undefined) options.maxStalled = o.maxStalled;
  // Listen before starting: a SIGTERM during start-up also ends in a clean stop (exit 0).
  let signals = 0;
  let active = (): number => 0;
  const stopAsked = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      if (++signals > 1) process.exit(ExitCode.INTERRUPTED);
      log(`batchtools worker: stopping; finishing ${active()} job(s) in hand (Ctrl-C again to quit at once)`);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const worker = await startWorker(options);
  active = () => worker.info().active;
  await stopAsked;
  await worker.close();
  log('batchtools worker: stopped');
  return 0;
}

/** `batchtools info --connection`: the queue's live workers, their plans and its job counts. */
export async function clusterInfoCommand(o: ConnectionFlags & { connection: string; json?: boolean }): Promise<number> {
  const { readClusterInfo, formatClusterInfo, parseRedisUrl, withCa } = await import('../cluster/index.ts');
  const { checkQueueName, DEFAULT_QUEUE } = await import('../cluster/connection.ts');
  const { connection, queue, ca } = clusterOptions(o);
  const info = await readClusterInfo(withCa(parseRedisUrl(connection, '--connection'), ca, '--tls-ca'), checkQueueName(queue ?? DEFAULT_QUEUE, '--queue'));
  process.stdout.write(o.json ? `${JSON.stringify(info, null, 2)}\n` : `${formatClusterInfo(info)}\n`);
  return 0;
}
