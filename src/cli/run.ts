/**
 * `batchtools run <task-module> --input <file|-> --output <file|-> …`: checks every path before any work (a
 * missing module, an unreadable input, an output directory that does not exist are usage errors), sets up the
 * checkpoint (lock, copy of standard input, manifest with fingerprints), then runs the job.
 */
import { closeSync, createWriteStream, existsSync, fsyncSync, openSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  assertUnused,
  checkpointPaths,
  clearCheckpoint,
  ensureCheckpointDir,
  removeCheckpoint,
  writeManifest,
  type RunSettings,
} from './checkpoint.ts';
import { CliError } from './cli-error.ts';
import { fingerprint, requireModuleFile, requireParentDir } from './files.ts';
import { entries, inputError, openInput, readLines, scanInput } from './input.ts';
import { executeJob, type JobCheckpoint } from './job.ts';
import { acquireLock } from './lock.ts';
import { redactUrl } from '../cluster/url.ts';
import { checkReportFiles } from './report-files.ts';
import { resolveStages, stageFingerprints, type StageArg } from './stages.ts';

/** Options `run` and `retry` share, as parsed by commander. */
export interface JobOptions {
  output: string;
  export?: string;
  failures?: string;
  threads?: number;
  maxHeapMb?: number;
  retries?: number;
  timeout?: number;
  jsonReport?: string;
  /** --report: the run as an HTML page. */
  report?: string;
  /** --trace-events: the run as Trace Event Format JSON (Perfetto). */
  traceEvents?: string;
  quiet?: boolean;
  /** Redis URL: run the chunks on the workers of this queue (batchtools/cluster). */
  connection?: string;
  queue?: string;
  /** `--stage` / `--filter`: both hold the one list of stages, in the order given. */
  stage?: StageArg[];
  filter?: StageArg[];
}

/** Options of `batchtools run`, as parsed by commander. */
export interface RunOptions extends JobOptions {
  input: string;
  checkpoint?: string;
  strict?: boolean;
  force?: boolean;
}

const warn = (message: string): void => {
  process.stderr.write(`batchtools: ${message}\n`);
};

/** Check the input file can be read (as far as can be told without reading it all). */
function requireInputFile(path: string, display: string): void {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    closeSync(openSync(path, 'r'));
  } catch (error) {
    throw inputError(error, display);
  }
}

/** Resolve and check the settings; nothing is created here. */
export function checkRunSettings(modulePath: string | undefined, o: RunOptions): RunSettings {
  const stages = resolveStages(modulePath, o.export, o.stage ?? o.filter);
  const module = stages ? stages[0]!.module : resolve(modulePath!);
  if (!stages) requireModuleFile(module, modulePath!);
  const stdin = o.input === '-';
  if (!stdin) requireInputFile(resolve(o.input), o.input);
  if (o.output !== '-') requireParentDir(resolve(o.output), '--output');
  if (o.failures !== undefined) {
    if (o.failures === '-') throw new CliError('--failures cannot be standard output', 'give a file');
    requireParentDir(resolve(o.failures), '--failures');
  }
  if (o.jsonReport !== undefined) requireParentDir(resolve(o.jsonReport), '--json-report');
  const reports = checkReportFiles(o);
  const named = [
    ['--input', stdin ? undefined : resolve(o.input)],
    ['--output', o.output === '-' ? undefined : resolve(o.output)],
    ['--failures', o.failures === undefined ? undefined : resolve(o.failures)],
    ['--json-report', o.jsonReport === undefined ? undefined : resolve(o.jsonReport)],
    ['--report', reports.report],
    ['--trace-events', reports.traceEvents],
  ] as const;
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, pa] = named[i]!;
      const [b, pb] = named[j]!;
      if (pa !== undefined && pa === pb) throw new CliError(`${a} and ${b} name the same file: ${pa}`, 'give each its own file');
    }
  }
  const settings: RunSettings = {
    module,
    exportName: stages ? stages[0]!.exportName : (o.export ?? 'default'),
    input: stdin ? '-' : resolve(o.input),
    inputDisplay: stdin ? 'stdin' : o.input,
    output: o.output === '-' ? '-' : resolve(o.output),
    strict: o.strict === true,
  };
  if (o.failures !== undefined) settings.failures = resolve(o.failures);
  if (o.jsonReport !== undefined) settings.jsonReport = resolve(o.jsonReport);
  if (reports.report !== undefined) settings.report = reports.report;
  if (reports.traceEvents !== undefined) settings.traceEvents = reports.traceEvents;
  if (stages) settings.stages = stages;
  if (o.threads !== undefined) settings.threads = o.threads;
  if (o.maxHeapMb !== undefined) settings.maxHeapMb = o.maxHeapMb;
  if (o.retries !== undefined) settings.retries = o.retries;
  if (o.timeout !== undefined) settings.timeout = o.timeout;
  if (o.connection !== undefined) settings.connection = o.connection;
  if (o.queue !== undefined) settings.queue = o.queue;
  return settings;
}

/** Copy standard input to a file, fsync'd. */
async function spoolStdin(path: string): Promise<void> {
  await pipeline(process.stdin, createWriteStream(path, { flags: 'wx' }));
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Set up a new checkpoint: directory, lock, input copy, manifest. */
async function createCheckpoint(dirArg: string, settings: RunSettings, force: boolean): Promise<{ checkpoint: JobCheckpoint; items: number }> {
  const dir = resolve(dirArg);
  const ownsDir = ensureCheckpointDir(dir, dirArg);
  const paths = checkpointPaths(dir);
  // Checked before taking the lock when there is none (a live owner is named by acquireLock), and again after.
  if (!force && !existsSync(paths.lock)) assertUnused(dir, dirArg);
  const lock = acquireLock(paths.lock, dirArg, warn);
  try {
    if (force) clearCheckpoint(dir);
    assertUnused(dir, dirArg);
  } catch (error) {
    lock.release();
    throw error;
  }
  // From here on the directory's checkpoint files are this run's own.
  try {
    if (settings.input === '-') {
      await spoolStdin(paths.input);
      settings.input = paths.input;
    }
    const scan = await scanInput(settings.input, settings.inputDisplay, settings.strict);
    const module = await fingerprint(settings.module);
    writeManifest(dir, {
      format: 'batchtools-checkpoint',
      version: 1,
      createdAt: new Date().toISOString(),
      // A Redis password is not stored: `resume --connection` gives it again.
      settings: settings.connection === undefined ? settings : { ...settings, connection: redactUrl(settings.connection) },
      input: { size: scan.size, sha256: scan.sha256, items: scan.items },
      module,
      ...(settings.stages ? { stageModules: await stageFingerprints(settings.stages) } : {}),
      ownsDir,
    });
    return { checkpoint: { dir: dirArg, lock, ownsDir, journal: { entries: new Map(), validBytes: 0, tornBytes: 0 } }, items: scan.items };
  } catch (error) {
    removeCheckpoint(dir, ownsDir, lock);
    throw error;
  }
}

/** `batchtools run`. Returns the exit code. */
export async function runCommand(modulePath: string | undefined, o: RunOptions): Promise<number> {
  const settings = checkRunSettings(modulePath, o);
  let spooled: string | undefined;
  try {
    let checkpoint: JobCheckpoint | undefined;
    let total: number | null = null;
    if (o.checkpoint !== undefined) {
      const made = await createCheckpoint(o.checkpoint, settings, o.force === true);
      checkpoint = made.checkpoint;
      total = made.items;
    } else if (settings.input !== '-') {
      total = (await scanInput(settings.input, settings.inputDisplay, settings.strict)).items;
    } else if (settings.strict) {
      // --strict checks every line before any work: standard input is read in full first.
      spooled = join(tmpdir(), `batchtools-stdin-${process.pid}-${Date.now()}.jsonl`);
      await spoolStdin(spooled);
      total = (await scanInput(spooled, 'stdin', true)).items;
    }
    const source = settings.input === '-' && spooled === undefined ? process.stdin : openInput(spooled ?? settings.input, settings.inputDisplay);
    return await executeJob({
      command: 'run',
      settings,
      total,
      entries: entries(readLines(source)),
      checkpoint,
      quiet: o.quiet === true,
    });
  } finally {
    if (spooled !== undefined) {
      try {
        unlinkSync(spooled);
      } catch {
        // gone
      }
    }
  }
}
