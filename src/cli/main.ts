/**
 * The `batchtools` command. Argument parsing and terminal output live in src/cli and never leak into the library.
 * Exit codes: 0 success; 1 some items failed; 2 usage or input error; 130 interrupted.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isBatchtoolsError } from '../errors.ts';
import { runInfo } from './info.ts';

/** Exit codes, documented in `--help` and the README. */
export const ExitCode = { OK: 0, ITEMS_FAILED: 1, USAGE: 2, INTERRUPTED: 130 } as const;

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    }
    return n;
  };
}

/** Build the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('batchtools')
    .description('Use every core for CPU-bound work: an adaptive, chunked parallel map on worker threads.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes:
  0    success (every item succeeded)
  1    the run completed but some items failed
  2    usage or input error
  130  interrupted (Ctrl-C)

Examples:
  $ batchtools info
  $ batchtools info --json --threads 4`,
    );

  program
    .command('info')
    .description('print the pool plan for this machine: threads, heap per worker, and why')
    .option('--json', 'print the plan as JSON')
    .option('--threads <n>', 'override the thread count', positiveInt('--threads'))
    .option('--max-heap-mb <n>', 'override the per-worker heap limit (MiB)', positiveInt('--max-heap-mb'))
    .addHelpText('after', '\nExamples:\n  $ batchtools info\n  $ batchtools info --json --max-heap-mb 512')
    .action(async (opts: { json?: boolean; threads?: number; maxHeapMb?: number }) => {
      process.exitCode = await runInfo(opts);
    });

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
    const message = isBatchtoolsError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`batchtools: ${message}\n`);
    return ExitCode.USAGE;
  }
}
