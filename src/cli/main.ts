/**
 * The `batchtools` command. Argument parsing and terminal output live in src/cli and never leak into the library.
 * Exit codes: 0 success; 1 some items failed; 2 usage or input error; 3 disk full or I/O error; 130 interrupted
 * (SIGINT); 143 terminated (SIGTERM).
 *
 * Start-up matters (a short `run` is mostly start-up): this module and the command declarations load only
 * commander and small modules; each command's work loads when that command runs.
 */
import { Command, CommanderError } from 'commander';
import { isBatchtoolsError } from '../errors.ts';
import { CliError, ExitCode, isIoError } from './cli-error.ts';
import { EXIT_CODES_HELP, registerJobCommands } from './commands.ts';
import { integerOption } from './flags.ts';
import { printable } from './summary.ts';
import { registerBenchCommand } from './bench-command.ts';
import { packageVersion } from './version.ts';
import { addConnectionOptions, type ConnectionFlags } from './connection-options.ts';
import { clusterInfoCommand, registerWorkerCommand } from './worker-command.ts';

export { ExitCode } from './cli-error.ts';

/** What to do about a run-level library error, by its code. */
const HINTS: Record<string, string> = {
  BT_TASK_LOAD: 'check the task module and --export (the module must export a function under that name)',
  BT_STARTUP_FAILED: 'check that the task module can be imported on its own (node <module>)',
  BT_INVALID_OPTION: 'check the options (batchtools <command> --help)',
};

/** Build the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('batchtools')
    .description('Use every core for CPU-bound work: an adaptive, chunked parallel map on worker threads.')
    .version(packageVersion(), '-v, --version', 'print the version of batchtools')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
${EXIT_CODES_HELP}

Examples:
  $ batchtools info
  $ batchtools run ./score.mjs --input in.jsonl --output out.jsonl --failures failed.jsonl --checkpoint .ckpt
  $ batchtools resume .ckpt
  $ batchtools retry ./score.mjs --failed-items failed.jsonl --output out.jsonl`,
    );

  const info = program
    .command('info')
    .description('print the pool plan for this machine: threads, heap per worker, and why')
    .option('--json', 'print the plan as JSON')
    .option('--threads <n>', 'override the thread count', integerOption('--threads', 1))
    .option('--max-heap-mb <n>', 'override the per-worker heap limit (MiB)', integerOption('--max-heap-mb', 1));
  addConnectionOptions(info, 'info')
    .addHelpText('after', '\nExamples:\n  $ batchtools info\n  $ batchtools info --json --max-heap-mb 512\n  $ batchtools info --connection redis://localhost:6379')
    .action(async (opts: { json?: boolean; threads?: number; maxHeapMb?: number } & ConnectionFlags) => {
      const { connection } = opts;
      process.exitCode =
        connection === undefined ? await (await import('./info.ts')).runInfo(opts) : await clusterInfoCommand({ ...opts, connection });
    });

  registerJobCommands(program);
  registerWorkerCommand(program);
  registerBenchCommand(program);
  return program;
}

/** Run the CLI with `argv` (without node and script). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are printed by commander and exit 0; every other parse error is a usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    process.stderr.write(printable(describeFailure(error)));
    return isIoError(error) ? ExitCode.IO_ERROR : ExitCode.USAGE;
  }
}

/** One line (plus what to do, when known) for an error that ends the command; never a stack trace. */
function describeFailure(error: unknown): string {
  if (error instanceof CliError) return `batchtools: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`;
  if (isBatchtoolsError(error)) {
    const hint = HINTS[error.code];
    return `batchtools: ${error.message} [${error.code}]\n${hint ? `  ${hint}\n` : ''}`;
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const hint = isIoError(error)
    ? '  the disk is full or failing: nothing half-written was committed; free space and run again (with --checkpoint: batchtools resume <dir>)\n'
    : '';
  return `batchtools: ${message}${typeof code === 'string' ? ` [${code}]` : ''}\n${hint}`;
}
