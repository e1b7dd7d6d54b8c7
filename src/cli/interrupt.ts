/**
 * Ctrl-C (SIGINT, or SIGTERM) during a run: the first one stops the run gracefully (`stopSignal`: no new items are sent, the
 * chunks in flight finish and their results are journaled), and after {@link INTERRUPT_GRACE_MS} it stops hard
 * (`signal`); the caller then writes the checkpoint. A second Ctrl-C exits at once after `onSecond` (which must be
 * quick and synchronous: flush the journal, drop temporary files). The exit code is 128 + the number of the first
 * signal, by convention: 130 for SIGINT, 143 for SIGTERM.
 */
import { constants } from 'node:os';
import { ExitCode, Interrupted } from './cli-error.ts';

/** How long chunks in flight may take to finish after the first Ctrl-C, ms. */
export const INTERRUPT_GRACE_MS = 5_000;

/** A SIGINT watch for one run. */
export interface InterruptWatch {
  /** Fires at the first Ctrl-C: take no new items, let what is in flight finish. */
  readonly stopSignal: AbortSignal;
  /** Fires {@link INTERRUPT_GRACE_MS} after the first Ctrl-C: stop at once. */
  readonly signal: AbortSignal;
  /** True once Ctrl-C was pressed. */
  readonly interrupted: boolean;
  /** The exit code for the first signal: 130 (SIGINT), 143 (SIGTERM); 130 before any. */
  readonly exitCode: number;
  /** Stop listening. */
  dispose(): void;
}

/** Listen for SIGINT while a run goes on. */
export function watchInterrupts(onFirst: (signal: NodeJS.Signals) => void, onSecond: () => void): InterruptWatch {
  const controller = new AbortController();
  const stop = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  let count = 0;
  let exitCode: number = ExitCode.INTERRUPTED;
  const handler = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      exitCode = 128 + (constants.signals[signal] ?? 2);
      onFirst(signal);
      stop.abort(new Interrupted());
      grace = setTimeout(() => controller.abort(new Interrupted()), INTERRUPT_GRACE_MS);
      grace.unref();
      return;
    }
    try {
      onSecond();
    } finally {
      process.exit(exitCode);
    }
  };
  // SIGTERM (a service manager stopping the job) gets the same graceful path as Ctrl-C.
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopSignal: stop.signal,
    signal: controller.signal,
    get interrupted() {
      return count > 0;
    },
    get exitCode() {
      return exitCode;
    },
    dispose() {
      clearTimeout(grace);
      process.removeListener('SIGINT', handler);
      process.removeListener('SIGTERM', handler);
    },
  };
}
