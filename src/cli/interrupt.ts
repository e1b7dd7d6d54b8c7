/**
 * Ctrl-C (SIGINT) during a run: the first one aborts the run (dispatch stops, finished results are kept and the
 * checkpoint is written by the caller); a second one exits at once with 130 after `onSecond` (which must be
 * quick and synchronous: flush the journal, drop temporary files).
 */
import { Interrupted } from './cli-error.ts';

/** A SIGINT watch for one run. */
export interface InterruptWatch {
  readonly signal: AbortSignal;
  /** True once Ctrl-C was pressed. */
  readonly interrupted: boolean;
  /** Stop listening. */
  dispose(): void;
}

/** Listen for SIGINT while a run goes on. */
export function watchInterrupts(onFirst: () => void, onSecond: () => void): InterruptWatch {
  const controller = new AbortController();
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      onFirst();
      controller.abort(new Interrupted());
      return;
    }
    try {
      onSecond();
    } finally {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    get interrupted() {
      return count > 0;
    },
    dispose() {
      process.removeListener('SIGINT', handler);
    },
  };
}
