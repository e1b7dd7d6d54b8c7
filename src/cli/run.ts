/**
 * `batchtools run <task-module> --input <file|-> --output <file|-> …`: checks every path before any work (a
 * missing module, an unreadable input, an output directory that does not exist are usage errors), sets up the
 * checkpoint (lock, copy of standard input, manifest with fingerprints), then runs the job.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { fileSystem, PRIVATE_CREATE, writeAll } from '../base/atomic-file.ts';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
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
import { fingerprint, inputMode, isStreamInput, requireModuleFile, requireParentDir, type Fingerprint } from './files.ts';
import { inputError, openInput, scanInput } from './input.ts';
import { onBytePath, startBlockWorkers } from './block-engine.ts';
import type { JobCheckpoint } from './job.ts';
import { JournalIndex } from './journal-index.ts';
import { showsBar } from './progress.ts';
import { acquireLock } from './lock.ts';
import { redactUrl } from '../cluster/url.ts';
import { checkReportFiles } from './report-files.ts';
import { resolveStages, stageFingerprints, type StageArg } from './stages.ts';
import { checkTlsCa, refuseLocalPoolOptions } from './connection-options.ts';

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
  /** --tls-ca: PEM file of the CA of the server's TLS certificate. */
  tlsCa?: string;
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
    const stat = statSync(path);
    if (stat.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    // A pipe is not opened to check it: that would wait for its writer, and lose what it wrote on closing.
    if (stat.isFile()) closeSync(openSync(path, 'r'));
    else accessSync(path, fsConstants.R_OK);
  } catch (error) {
    throw inputError(error, display);
  }
}

/** Resolve and check the settings; nothing is created here. */
export function checkRunSettings(modulePath: string | undefined, o: RunOptions): RunSettings {
  refuseLocalPoolOptions(o);
  const tlsCa = checkTlsCa(o);
  const stages = resolveStages(modulePath, o.export, o.stage ?? o.filter);
  const module = stages ? stages[0]!.module : resolve(modulePath!);
  if (!stages) requireModuleFile(module, modulePath!);
  const stdin = o.input === '-';
  if (o.checkpoint !== undefined) {
    const paths = {
      input: stdin ? '-' : resolve(o.input),
      output: o.output === '-' ? '-' : resolve(o.output),
      failures: o.failures === undefined ? undefined : resolve(o.failures),
      jsonReport: o.jsonReport === undefined ? undefined : resolve(o.jsonReport),
    };
    assertApart(paths, resolve(o.checkpoint), o.checkpoint);
  }
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
  if (tlsCa !== undefined) settings.tlsCa = tlsCa;
  return settings;
}

/** Where a path really is: symlinks resolved as far as the path exists, the rest appended. */
function canonical(path: string): string {
  const tail: string[] = [];
  let head = resolve(path);
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.push(basename(head));
      head = parent;
    }
  }
}

/**
 * Refuse an output, failures file, report or input that is the checkpoint folder or inside it: the checkpoint's
 * files are removed when the run ends (and the folder is the run's private space).
 */
export function assertApart(
  settings: { input: string; output: string; failures?: string | undefined; jsonReport?: string | undefined },
  checkpointDir: string,
  display: string,
): void {
  const dir = canonical(checkpointDir);
  const named: Array<[string, string | undefined]> = [
    ['--output', settings.output === '-' ? undefined : settings.output],
    ['--failures', settings.failures],
    ['--json-report', settings.jsonReport],
    ['--input', settings.input === '-' ? undefined : settings.input],
  ];
  for (const [option, path] of named) {
    if (path === undefined) continue;
    const real = canonical(path);
    const rel = relative(dir, real);
    if (rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel))) {
      throw new CliError(
        `${option} ${path} is ${rel === '' ? 'the checkpoint folder itself' : `inside the checkpoint folder ${display}`}`,
        'the checkpoint folder is private to the run and removed when it ends; write outside it',
      );
    }
  }
}

/** The id of a run: from the fingerprints of its input and task module (stable across resume), or random. */
export function runIdOf(input: Fingerprint | undefined, module: Fingerprint, exportName: string): string {
  if (input === undefined) return randomBytes(8).toString('hex');
  return createHash('sha256').update(`${input.sha256}\n${module.sha256}\n${exportName}`).digest('hex').slice(0, 16);
}

/** The bytes of a stream input: standard input, or the pipe or device `--input` names. */
function streamOf(settings: RunSettings): AsyncIterable<Buffer | string> {
  return settings.input === '-' ? process.stdin : openInput(settings.input, settings.inputDisplay);
}

/** Copy a stream input to a private file (0600, never through a symlink), fsync'd. */
async function spool(path: string, from: AsyncIterable<Buffer | string>): Promise<void> {
  const fd = fileSystem().openSync(path, PRIVATE_CREATE, 0o600);
  try {
    for await (const chunk of from) writeAll(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, null, path);
    fileSystem().fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What a run knows before it starts. */
interface Prepared {
  checkpoint: JobCheckpoint | undefined;
  total: number | null;
  /** Bytes of the input read by the pre-pass (the run reads exactly these; lines appended later are not items). */
  size: number | undefined;
  runId: string;
}

/** Set up a new checkpoint: directory, lock, input copy, manifest. */
async function createCheckpoint(dirArg: string, settings: RunSettings, force: boolean): Promise<Prepared> {
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
    if (isStreamInput(settings.input)) {
      await spool(paths.input, streamOf(settings));
      settings.input = paths.input;
    }
    const scan = await scanInput(settings.input, settings.inputDisplay, settings.strict);
    const module = await fingerprint(settings.module);
    const runId = runIdOf(scan, module, settings.exportName);
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
      runId,
    });
    const checkpoint = { dir: dirArg, lock, ownsDir, journal: new JournalIndex() };
    return { checkpoint, total: scan.items, size: scan.size, runId };
  } catch (error) {
    removeCheckpoint(dir, ownsDir, lock);
    throw error;
  }
}

/**
 * The run id of a run without a checkpoint that reads a file with no pre-pass: the input's hash is computed from
 * the file's first `size` bytes (those the run reads) the first time an item fails, through a descriptor opened
 * now (so a file renamed or removed meanwhile still hashes as it was). A run where nothing fails never reads the
 * input twice.
 */
class LazyRunId {
  readonly #fd: number;
  readonly #size: number;
  readonly #module: Fingerprint;
  readonly #exportName: string;
  #id: string | undefined;

  constructor(path: string, display: string, module: Fingerprint, exportName: string) {
    try {
      this.#fd = openSync(path, 'r');
      this.#size = fstatSync(this.#fd).size;
    } catch (error) {
      throw inputError(error, display);
    }
    this.#module = module;
    this.#exportName = exportName;
  }

  /** Bytes of the input this run reads (lines appended later are not items). */
  get size(): number {
    return this.#size;
  }

  get id(): string {
    if (this.#id === undefined) {
      const hash = createHash('sha256');
      const buffer = Buffer.allocUnsafe(Math.min(this.#size, 1 << 20));
      let at = 0;
      while (at < this.#size) {
        const n = readSync(this.#fd, buffer, 0, Math.min(buffer.length, this.#size - at), at);
        if (n === 0) break;
        hash.update(buffer.subarray(0, n));
        at += n;
      }
      this.#id = runIdOf({ size: this.#size, sha256: hash.digest('hex') }, this.#module, this.#exportName);
    }
    return this.#id;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** `batchtools run`. Returns the exit code. */
export async function runCommand(modulePath: string | undefined, o: RunOptions): Promise<number> {
  const settings = checkRunSettings(modulePath, o);
  const fileMode = inputMode(settings.input);
  // The workers boot and load the task while the input is checked and the files are opened.
  const runtime = onBytePath(settings) ? startBlockWorkers(settings) : undefined;
  let spooled: string | undefined;
  let lazy: LazyRunId | undefined;
  try {
    let prepared: Prepared;
    if (o.checkpoint !== undefined) {
      prepared = await createCheckpoint(o.checkpoint, settings, o.force === true);
    } else {
      const stream = isStreamInput(settings.input);
      if (stream && settings.strict) {
        // --strict checks every line before any work: a stream is read in full first, into a private file.
        spooled = join(tmpdir(), `batchtools-stdin-${process.pid}-${randomBytes(6).toString('hex')}.jsonl`);
        await spool(spooled, streamOf(settings));
      }
      const path = spooled ?? settings.input;
      // Read once, as it comes (standard input, a pipe): no pre-pass, no size, no hash of it afterwards.
      const once = stream && spooled === undefined;
      // A pre-pass over the input only when something needs it before the run: --strict, or the total of a bar.
      const prePass = !once && (settings.strict || showsBar(o.quiet === true, settings.output));
      const scan = prePass ? await scanInput(path, settings.inputDisplay, settings.strict) : undefined;
      const module = await fingerprint(settings.module);
      if (!once && !prePass) {
        lazy = new LazyRunId(path, settings.inputDisplay, module, settings.exportName);
        prepared = { checkpoint: undefined, total: null, size: lazy.size, runId: '' };
      } else prepared = { checkpoint: undefined, total: scan?.items ?? null, size: scan?.size, runId: runIdOf(scan, module, settings.exportName) };
    }
    const path = spooled ?? settings.input;
    const source = path === '-' ? process.stdin : openInput(path, settings.inputDisplay, prepared.size);
    const runId = lazy;
    // Loaded once the workers are starting: the output, journal and progress modules are not needed before.
    const { executeJob } = await import('./job.ts');
    return await executeJob({
      command: 'run',
      settings,
      get runId() {
        return runId ? runId.id : prepared.runId;
      },
      total: prepared.total,
      bytes: source,
      checkpoint: prepared.checkpoint,
      fileMode,
      quiet: o.quiet === true,
      runtime,
    });
  } finally {
    lazy?.close();
    await runtime?.close();
    if (spooled !== undefined) {
      try {
        unlinkSync(spooled);
      } catch {
        // gone
      }
    }
  }
}
