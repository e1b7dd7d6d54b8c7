/**
 * Errors of the suite runner: {@link BatchtoolsError}s (stable `code`, brand, `cause`) with the `BT_SUITE_` codes.
 */
import { BatchtoolsError, ErrorCodes } from '../errors.ts';

/** The stable codes of the suite runner. */
export const SuiteErrorCodes = {
  /** The suite file failed to import, or its default export is not a tinybench `Bench` (or a function returning one). */
  LOAD: ErrorCodes.SUITE_LOAD,
  /** The suite threw while running (`bench.run()` rejected, e.g. a task threw with `throws: true`). */
  FAILED: ErrorCodes.SUITE_FAILED,
  /** The suite's worker ended before the suite finished (`process.exit()`, an uncaught exception, out of heap). */
  CRASHED: ErrorCodes.SUITE_CRASHED,
  /** The suite ran past the `timeout` option; its worker was terminated. */
  TIMEOUT: ErrorCodes.SUITE_TIMEOUT,
  /** A result document (baseline) is unreadable, not a batchtools bench result, of another schema version, or malformed. */
  INVALID_RESULT: ErrorCodes.SUITE_INVALID_RESULT,
} as const;

/** One of {@link SuiteErrorCodes}. */
export type SuiteErrorCode = (typeof SuiteErrorCodes)[keyof typeof SuiteErrorCodes];

/** An error of the suite runner: a suite that failed, or a result document that cannot be used. */
export class SuiteError extends BatchtoolsError {
  /** The suite file (or result document) concerned, as given or as reported. */
  readonly file: string;
  /** Exit code of the worker, for {@link SuiteErrorCodes.CRASHED} when it exited. */
  readonly exitCode?: number;
  /** The field of a result document that is wrong (`suites[0].tasks[1].latency.mean`), for INVALID_RESULT. */
  readonly field?: string;

  constructor(
    code: SuiteErrorCode,
    message: string,
    info: { file: string; cause?: unknown; exitCode?: number; field?: string },
  ) {
    super(code, message, 'cause' in info ? { cause: info.cause } : undefined);
    this.file = info.file;
    if (info.exitCode !== undefined) this.exitCode = info.exitCode;
    if (info.field !== undefined) this.field = info.field;
  }
}
