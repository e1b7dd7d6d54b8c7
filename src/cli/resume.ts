/**
 * `batchtools resume <checkpoint-dir>`: continue an interrupted run with the settings stored in its checkpoint.
 * Refuses when the input file or the task module changed since (size and sha256), unless `--force`; runs only
 * the items without a journaled outcome, and writes the same output an uninterrupted run would have.
 */
import { resolve } from 'node:path';
import { checkpointPaths, compareFingerprints, describeChange, readManifest, writeManifest } from './checkpoint.ts';
import { CliError } from './cli-error.ts';
import { fingerprint, inputMode, requireModuleFile, requireParentDir } from './files.ts';
import { openInput, scanInput } from './input.ts';
import { executeJob } from './job.ts';
import { readJournal, truncateJournal } from './journal-index.ts';
import { acquireLock } from './lock.ts';
import { assertApart, runIdOf } from './run.ts';
import { checkReportFiles } from './report-files.ts';
import { checkTlsCa, setAsideLocalPoolOptions, type ConnectionFlags } from './connection-options.ts';
import { stageFingerprints } from './stages.ts';

/** Options of `batchtools resume`. */
export interface ResumeOptions extends ConnectionFlags {
  quiet?: boolean;
  force?: boolean;
}

const warn = (message: string): void => {
  process.stderr.write(`batchtools: ${message}\n`);
};

/** `batchtools resume`. Returns the exit code. */
export async function resumeCommand(dirArg: string, o: ResumeOptions): Promise<number> {
  const dir = resolve(dirArg);
  const manifest = readManifest(dir, dirArg);
  const paths = checkpointPaths(dir);
  const lock = acquireLock(paths.lock, dirArg, warn);
  try {
    const { settings } = manifest;
    const changes = await compareFingerprints(manifest);
    if (changes.length > 0) {
      const what = changes.map(describeChange).join('; ');
      const gone = changes.find((c) => c.after === undefined);
      if (gone) throw new CliError(`cannot resume ${dirArg}: ${what}`, 'restore the file, or start a new run');
      if (o.force !== true) {
        throw new CliError(
          `refusing to resume ${dirArg}: ${what}`,
          'resuming would mix results of two versions; start a new run, or pass --force to resume anyway ' +
            '(items already done keep their results)',
        );
      }
      for (const c of changes) warn(`${describeChange(c)}; resuming anyway (--force)`);
      const scan = await scanInput(settings.input, settings.inputDisplay, settings.strict);
      manifest.input = { size: scan.size, sha256: scan.sha256, items: scan.items };
      manifest.module = await fingerprint(settings.module);
      if (settings.stages) manifest.stageModules = await stageFingerprints(settings.stages);
      writeManifest(dir, manifest);
    }
    assertApart(settings, dir, dirArg);
    requireModuleFile(settings.module, settings.module);
    if (settings.output !== '-') requireParentDir(settings.output, '--output');
    if (settings.failures !== undefined) requireParentDir(settings.failures, '--failures');
    if (settings.jsonReport !== undefined) requireParentDir(settings.jsonReport, '--json-report');
    if (o.connection !== undefined) {
      // The new URL (and queue, CA) win: where the rest runs is the resumer's choice. A local run's pool options
      // do not apply on the workers: set aside, with a notice (refusing would leave no way to finish it there).
      const notice = settings.connection === undefined ? setAsideLocalPoolOptions(settings) : undefined;
      if (notice !== undefined) warn(notice);
      settings.connection = o.connection;
    } else if (settings.connection !== undefined && /:\*\*\*@/.test(settings.connection)) {
      throw new CliError(
        `cannot resume ${dirArg}: its Redis URL had a password, which the checkpoint does not store`,
        `give it again: batchtools resume ${dirArg} --connection redis://:<password>@host:port`,
      );
    }
    if (o.queue !== undefined || o.tlsCa !== undefined) {
      if (settings.connection === undefined) throw new CliError(`${o.queue !== undefined ? '--queue' : '--tls-ca'} needs --connection: ${dirArg} is a local run's checkpoint`, 'give --connection <url> as well');
      if (o.queue !== undefined) settings.queue = o.queue;
      if (o.tlsCa !== undefined) settings.tlsCa = o.tlsCa;
    }
    // The CA file (given now or recorded) must still be there and hold a certificate.
    const tlsCa = checkTlsCa({ connection: settings.connection, tlsCa: settings.tlsCa });
    if (tlsCa !== undefined) settings.tlsCa = tlsCa;
    checkReportFiles(settings);
    const journal = readJournal(paths.journal, manifest.input.items);
    if (journal.tornBytes > 0) truncateJournal(paths.journal, journal.validBytes);
    return await executeJob({
      command: 'resume',
      settings,
      runId: manifest.runId ?? runIdOf(manifest.input, manifest.module, settings.exportName),
      total: manifest.input.items,
      bytes: openInput(settings.input, settings.inputDisplay, manifest.input.size),
      fileMode: settings.inputDisplay === 'stdin' && settings.input === paths.input ? undefined : inputMode(settings.input),
      checkpoint: { dir: dirArg, lock, ownsDir: manifest.ownsDir, journal },
      quiet: o.quiet === true,
    });
  } catch (error) {
    lock.release();
    throw error;
  }
}
