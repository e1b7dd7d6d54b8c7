/**
 * The one error type of the command line: a problem the user can fix (usage, input, files, checkpoint). main.ts
 * prints it as one line, `batchtools: <message>`, plus what to do, without a stack trace, and exits with 2.
 */

/** A usage, input or setup error: printed as `batchtools: <message>` and exit code 2. */
export class CliError extends Error {
  /** What to do about it, printed on a second line when set. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }

  override get name(): string {
    return 'CliError';
  }
}

/** The run was interrupted (Ctrl-C): the reason given to the abort signal. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }

  override get name(): string {
    return 'Interrupted';
  }
}

/** Exit codes, documented in `--help` and the README: defined once, in the base. */
export { ExitCode } from '../base/exit-codes.ts';

/** Error codes of a file system that cannot take the writes (full, over quota, read-only, failing). */
const IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG']);

/** True for an error of writing to disk (exit code {@link ExitCode.IO_ERROR}). */
export function isIoError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && IO_CODES.has(code);
}
