/**
 * The `run`, `resume` and `retry` commands: their options, help texts (formats, exit codes, examples) and
 * actions. Parsing only; the work is in run.ts, resume.ts and retry.ts, loaded when their command runs.
 */
import type { Command } from 'commander';
import { addConnectionOptions } from './connection-options.ts';
import { integerOption } from './flags.ts';
import type { ResumeOptions } from './resume.ts';
import type { RetryOptions } from './retry.ts';
import type { RunOptions } from './run.ts';
import { stageOption, type StageArg } from './stages.ts';

/** The exit codes, as `--help` shows them. */
export const EXIT_CODES_HELP = `Exit codes:
  0    every item succeeded
  1    the run completed, but some items failed (see the output or --failures)
  2    usage, input or setup error (bad option, missing module or export, unreadable input,
       output directory missing, checkpoint in use or of another run): no output file is written
  3    disk full or I/O error while writing: nothing half-written is committed; with --checkpoint,
       the results so far are kept and \`batchtools resume <dir>\` continues once there is space
  130  interrupted (Ctrl-C); with --checkpoint, \`batchtools resume <dir>\` continues
  143  terminated (SIGTERM); the same graceful stop as Ctrl-C`;

const FORMATS_HELP = `Input: JSON Lines, one JSON value per line = one item (blank lines are skipped).
  A line that is not JSON fails as BT_INVALID_INPUT (the rest run), or with --strict stops
  the run before any work (exit 2).

Output: JSON Lines, one line per input item, in input order ("line" is the input line number):
  {"index":0,"line":1,"ok":true,"value":<the task's result>}
  {"index":2,"line":3,"ok":false,"error":{"code":"BT_TASK_FAILED","name":"TypeError","message":"...","attempts":1}}
  {"index":3,"line":4,"ok":true,"filtered":true,"value":null}   (dropped by a --filter stage)
  With --stage, a failure also says "stage" (0-based) and "stageName".
  The file appears complete or not at all (written under a temporary name, then renamed).

Failures (--failures): JSON Lines, one per failed item, read back by \`batchtools retry\`:
  {"index":2,"line":3,"input":<the item>,"error":{...}}   ("raw":"<text>" instead of input for a non-JSON line)

Checkpoint (--checkpoint <dir>): results are journaled as they finish (flushed per batch of results,
  fsync'd every 200 ms); \`batchtools resume <dir>\` runs only the rest and writes the same output an
  uninterrupted run would. The directory is locked while in use and removed when the run finishes.

On a terminal, a progress bar shows items done, items/s, ETA, threads and failures; otherwise (or with
  --quiet) only the final summary is printed, on stderr.`;

function addRunOptions(cmd: Command): Command {
  // One list for --stage and --filter, so their order on the command line is kept.
  const stages: StageArg[] = [];
  cmd
    .option('--threads <n>', 'worker threads (default: the pool plan, see `batchtools info`)', integerOption('--threads', 1))
    .option('--max-heap-mb <n>', 'per-worker heap limit in MiB (default: the pool plan)', integerOption('--max-heap-mb', 1))
    .option('--retries <n>', 'run a failed item up to n more times (crashes, timeouts, errors marked retryable; default 0)', integerOption('--retries', 0))
    .option('--timeout <ms>', 'fail an item that runs longer than this (BT_TIMEOUT)', integerOption('--timeout', 1))
    .option('--json-report <file>', 'write the summary as JSON, with the chunk-size trace');
  return addConnectionOptions(cmd, 'producer')
    .option('--report <file>', 'write an HTML report of the run (timeline, chunk sizes, heap, failures; opens from disk)')
    .option('--trace-events <file>', 'write the run as Trace Event Format JSON (open it in Perfetto or chrome://tracing)')
    .option('--quiet', 'no progress bar; only the final summary')
    .option('--stage <module#export>', 'a worker stage; repeat for several, run in order and fused into one task per item', stageOption('map', stages))
    .option('--filter <module#export>', 'a filter stage among the --stage ones: an item it returns falsy for is written as "filtered": true', stageOption('filter', stages));
}

/** Register `run`, `resume` and `retry` on the program. */
export function registerJobCommands(program: Command): void {
  const run = program
    .command('run')
    .description('run a task over every line of a JSON Lines file, in parallel')
    .argument('[task-module]', 'the module whose export runs for each item (.js, .mjs, .cjs, .ts, .mts, .cts); with --stage, the first stage')
    .option('--export <name>', 'the export to run', 'default')
    .option('--input <file>', 'JSON Lines input; - for standard input', '-')
    .option('--output <file>', 'JSON Lines output, streamed in order; - for standard output', '-')
    .option('--failures <file>', 'also write the failed items here, for `batchtools retry`')
    .option('--checkpoint <dir>', 'journal results in <dir> so that an interrupted run can be resumed');
  addRunOptions(run)
    .option('--strict', 'stop before any work if a line is not valid JSON (exit 2)')
    .option('--force', 'use a checkpoint directory even if it holds an old checkpoint (discarding it)')
    .addHelpText(
      'after',
      `
${FORMATS_HELP}

${EXIT_CODES_HELP}

Examples:
  $ batchtools run ./score.mjs --export score --input texts.jsonl --output scores.jsonl
  $ batchtools run ./score.mjs --input texts.jsonl --output scores.jsonl --failures failed.jsonl \\
        --checkpoint .score-run --retries 2 --timeout 5000
  $ cat texts.jsonl | batchtools run ./score.ts --quiet | jq .value
  $ batchtools run --stage ./text.mjs#parse --filter ./text.mjs#isEnglish --stage ./text.mjs#score \\
        --input texts.jsonl --output scores.jsonl --checkpoint .score-run`,
    )
    .action(async (module: string | undefined, opts: RunOptions) => {
      if (opts.input === '-' && process.stdin.isTTY === true) {
        process.stderr.write('batchtools: reading JSON Lines items from standard input (Ctrl-D ends the input)\n');
      }
      const { runCommand } = await import('./run.ts');
      process.exitCode = await runCommand(module, opts);
    });

  const resume = program
    .command('resume')
    .description('continue an interrupted run from its checkpoint, with the same settings')
    .argument('<checkpoint-dir>', 'the directory given to `run --checkpoint`')
    .option('--force', 'resume even if the input file or the task module changed since');
  addConnectionOptions(resume, 'resume')
    .option('--quiet', 'no progress bar; only the final summary')
    .addHelpText(
      'after',
      `
Runs only the items that have no result in the checkpoint's journal, and writes the output
(and failures) exactly as an uninterrupted run would have. Refuses (exit 2) when the input file
or the task module changed since the checkpoint was made (size and sha256), unless --force.
With --connection, the rest runs on the workers of that queue (--queue, --tls-ca: default the
checkpoint's); a local run's --threads / --max-heap-mb then do not apply (a notice says so).

${EXIT_CODES_HELP}

Examples:
  $ batchtools run ./score.mjs --input big.jsonl --output out.jsonl --checkpoint .ckpt   # then Ctrl-C
  $ batchtools resume .ckpt
  $ batchtools resume .ckpt --connection redis://:secret@redis.internal:6379 --queue scores`,
    )
    .action(async (dir: string, opts: ResumeOptions) => {
      const { resumeCommand } = await import('./resume.ts');
      process.exitCode = await resumeCommand(dir, opts);
    });

  const retry = program
    .command('retry')
    .description('run the failed items of a run again and merge them into its output')
    .argument('[task-module]', 'the task module (after fixing what made the items fail); or the same --stage / --filter as the run')
    .option('--export <name>', 'the export to run', 'default')
    .requiredOption('--failed-items <file>', 'the failures file written by `run --failures`')
    .requiredOption('--output <file>', 'the output file of that run; updated in place, atomically')
    .option('--failures <file>', 'where to write the items that still fail (default: the --failed-items file)');
  addRunOptions(retry)
    .addHelpText(
      'after',
      `
The retried items' lines replace their old lines in the output (a new file renamed into place);
the failures file is rewritten with the items that still fail (empty when none do).

${EXIT_CODES_HELP}

Examples:
  $ batchtools run ./score.mjs --input in.jsonl --output out.jsonl --failures failed.jsonl
  $ batchtools retry ./score.mjs --failed-items failed.jsonl --output out.jsonl --retries 2`,
    )
    .action(async (module: string | undefined, opts: RetryOptions) => {
      const { retryCommand } = await import('./retry.ts');
      process.exitCode = await retryCommand(module, opts);
    });
}
