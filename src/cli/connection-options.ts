/**
 * The options of the commands that reach a cluster (`run`, `retry`, `resume`, `worker`, `info`): `--connection`,
 * `--queue` and `--tls-ca`, declared, checked and turned into the cluster's options in one place. Loads no Redis
 * client (the cluster product is imported only when a command connects).
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseRedisUrl } from '../cluster/url.ts';
import { CliError } from './cli-error.ts';

/** The connection flags as commander parses them. */
export interface ConnectionFlags {
  connection?: string | undefined;
  queue?: string | undefined;
  /** `--tls-ca <file>`: PEM file of the CA that signed the server's certificate. */
  tlsCa?: string | undefined;
}

/** Which command the options are for: it words the help (and `worker` requires `--connection`). */
export type ConnectionRole = 'producer' | 'resume' | 'worker' | 'info';

const CONNECTION_HELP: Record<ConnectionRole, string> = {
  producer: 'run on the workers of a Redis queue (redis://[user:password@]host:port, rediss:// for TLS; see `batchtools worker`)',
  resume:
    'the Redis URL of a cluster run again (needed when it had a password, which is not stored); for a local ' +
    'checkpoint: run the rest on the workers of that queue',
  worker: 'Redis URL: redis://[user:password@]host:port[/db], rediss:// for TLS',
  info: "instead: a cluster queue's live workers, their plans and its job counts",
};

const QUEUE_HELP: Record<ConnectionRole, string> = {
  producer: 'the queue name with --connection (default: batchtools)',
  resume: 'the queue name with --connection (default: the checkpoint\'s, else batchtools)',
  worker: "queue name, the same as the producer's (default: batchtools)",
  info: 'the queue name with --connection (default: batchtools)',
};

/** Declare `--connection`, `--queue` and `--tls-ca` on a command. */
export function addConnectionOptions(cmd: Command, role: ConnectionRole): Command {
  if (role === 'worker') cmd.requiredOption('--connection <url>', CONNECTION_HELP[role]);
  else cmd.option('--connection <url>', CONNECTION_HELP[role]);
  return cmd
    .option('--queue <name>', QUEUE_HELP[role])
    .option('--tls-ca <file>', "with a rediss:// URL: the PEM file of the CA that signed the server's certificate (when Node does not trust it)");
}

/**
 * Check `--tls-ca` (before any work): it needs a `rediss://` `--connection`, and a readable file holding a PEM
 * certificate. Returns its absolute path (what a checkpoint records), or undefined without one.
 *
 * @throws {CliError} naming the file or the option (exit 2).
 */
export function checkTlsCa(o: ConnectionFlags): string | undefined {
  if (o.tlsCa === undefined) return undefined;
  if (o.connection === undefined) {
    throw new CliError("--tls-ca needs --connection: it is the CA of a Redis server's TLS certificate", 'give --connection rediss://host:port as well');
  }
  const path = resolve(o.tlsCa);
  readTlsCa(path, o.tlsCa, o.connection);
  return path;
}

/**
 * The PEM text of a `--tls-ca` file, for a connection to `connection`.
 *
 * @throws {CliError} naming the file when it cannot be read or holds no certificate, or when the URL is not TLS.
 */
export function readTlsCa(path: string, display: string, connection: string): string {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message);
    throw new CliError(`--tls-ca ${display}: cannot read the file (${why})`, "give the PEM file of the CA that signed the Redis server's certificate");
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError(`--tls-ca ${display} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`, "give the PEM file of the CA that signed the Redis server's certificate");
  }
  if (!parseRedisUrl(connection, '--connection').options.tls) {
    throw new CliError('--tls-ca applies to TLS connections only: --connection is not a rediss:// URL', 'use rediss://host:port, or leave --tls-ca out');
  }
  return text;
}

/** The cluster options of a command: URL, queue, and the CA's PEM text read from its file. */
export function clusterOptions(o: ConnectionFlags & { connection: string }): { connection: string; queue?: string; ca?: string } {
  const out: { connection: string; queue?: string; ca?: string } = { connection: o.connection };
  if (o.queue !== undefined) out.queue = o.queue;
  if (o.tlsCa !== undefined) out.ca = readTlsCa(resolve(o.tlsCa), o.tlsCa, o.connection);
  return out;
}

/**
 * `run` / `retry` with `--connection`: the items run on the workers' pools, the producer has none, so the local
 * pool options mean nothing there. Refused (exit 2) rather than silently ignored; each worker takes its own.
 */
export function refuseLocalPoolOptions(o: { connection?: string | undefined; threads?: number | undefined; maxHeapMb?: number | undefined }): void {
  if (o.connection === undefined) return;
  const local = o.threads !== undefined ? '--threads' : o.maxHeapMb !== undefined ? '--max-heap-mb' : undefined;
  if (local === undefined) return;
  throw new CliError(
    `${local} and --connection cannot be used together: with --connection the items run on the workers' threads, not on this machine's`,
    `give ${local} to each worker instead: batchtools worker --connection <url> ${local} <n>`,
  );
}

/**
 * `resume --connection` of a checkpoint made by a local run: the items now run on the workers' threads, so the
 * local pool options it recorded (`--threads`, `--max-heap-mb`) do not apply. They are set aside for this resume
 * (a resume without `--connection` uses them again); returns the notice to print, or undefined.
 */
export function setAsideLocalPoolOptions(settings: { threads?: number; maxHeapMb?: number }): string | undefined {
  const recorded: string[] = [];
  if (settings.threads !== undefined) recorded.push(`--threads ${settings.threads}`);
  if (settings.maxHeapMb !== undefined) recorded.push(`--max-heap-mb ${settings.maxHeapMb}`);
  if (recorded.length === 0) return undefined;
  delete settings.threads;
  delete settings.maxHeapMb;
  return (
    `the checkpoint's ${recorded.join(' and ')} ${recorded.length > 1 ? 'do' : 'does'} not apply with --connection: ` +
    'the items run on the workers, each with its own threads and heap limit (batchtools worker --threads / --max-heap-mb)'
  );
}
