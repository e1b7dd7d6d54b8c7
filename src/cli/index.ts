/**
 * batchtools/cli: the `batchtools` command as a function, for tools that embed it or drive it in-process
 * (`process.exitCode = await main(['run', './score.mjs', '--input', 'in.jsonl', '--output', 'out.jsonl'])`).
 * The executable (`bin.ts`) is three lines over this door. Loading it loads commander and cli-progress; importing
 * `batchtools` does not.
 */
export { main } from './main.ts';
export { ExitCode } from '../base/exit-codes.ts';
