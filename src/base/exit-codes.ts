/**
 * Process exit codes of every command (`run`, `resume`, `retry`, `info`, `bench`), defined once and documented in
 * `--help` and the README.
 */
export const ExitCode = {
  /** Every item (or suite) succeeded. */
  OK: 0,
  /** The run completed, but some items failed; for `bench`: a suite failed or a regression passed the threshold. */
  ITEMS_FAILED: 1,
  /** Usage, input or setup error: nothing was run, no output file is written. */
  USAGE: 2,
  /** Disk full or I/O error while writing: nothing half-written was committed (a checkpoint keeps the results so far). */
  IO_ERROR: 3,
  /** Interrupted (Ctrl-C, SIGINT): 128 + 2. */
  INTERRUPTED: 130,
  /** Terminated (SIGTERM): 128 + 15. */
  TERMINATED: 143,
} as const;

/** One of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
