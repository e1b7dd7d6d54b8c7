/**
 * What a person sees while a run goes on. On a terminal (stderr is a TTY, no `--quiet`): a live bar drawn by
 * cli-progress with items done/total, items/s, ETA, threads and failures so far; notes are printed above it.
 * Otherwise nothing until the final summary.
 *
 * Why cli-progress: a dedicated, widely used bar library with one dependency that works on Node 20, writes to
 * stderr and (with `gracefulExit` off) installs no SIGINT handler of its own, so our Ctrl-C handling and exit code
 * 130 stay ours. Rejected: @clack/prompts (puts stdin in raw mode and exits 0 on Ctrl-C, breaking `--input -` and
 * the checkpoint on interrupt; needs Node >= 20.12) and log-update 8 (needs Node >= 22).
 */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';
import { progressLine, wrapNote, type ProgressFields } from './progress-layout.ts';

/** The live view of a run. */
export interface ProgressView {
  /** Start showing: `total` items (null when unknown), `done` of them already finished. */
  start(total: number | null, done: number, threads: number): void;
  /** Items finished so far (all of them, also those of an earlier run) and failures so far. */
  update(done: number, failed: number): void;
  /** A note for the person (a bad input line): above the bar on a terminal, dropped otherwise. */
  note(text: string): void;
  /** Remove the bar. Safe to call twice. */
  stop(): void;
}

/** A view that shows nothing (not a terminal, or `--quiet`). */
export const silentProgress: ProgressView = { start() {}, update() {}, note() {}, stop() {} };

/** cli-progress (CommonJS), loaded when a bar is first shown: a run without one does not pay for its modules. */
const load = (): typeof cliProgress => createRequire(import.meta.url)('cli-progress') as typeof cliProgress;

/** Redraws per second. */
const FPS = 8;

/** Format numbers for people: 12,345. */
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The live bar on a terminal. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  let multi: cliProgress.MultiBar | undefined;
  let bar: cliProgress.Bar | undefined;
  let startedAt = 0;
  let startDone = 0;
  let total: number | null = null;
  let threads = 0;
  let last = { done: 0, failed: 0 };
  let refresh: NodeJS.Timeout | undefined;
  const columns = (): number => stream.columns || 80;
  const payload = (done: number, failed: number): { fields: ProgressFields } => {
    const seconds = (performance.now() - startedAt) / 1000;
    const rate = seconds > 0 ? (done - startDone) / seconds : 0;
    const left = total === null ? NaN : (total - done) / rate;
    const fields: ProgressFields = {
      done: count(done),
      all: total === null ? null : count(total),
      fraction: total === null ? null : total > 0 ? Math.min(1, done / total) : 1,
      rate: count(rate),
      left: formatEta(left),
      threads,
      failed: count(failed),
    };
    return { fields };
  };
  return {
    start(t, done, th) {
      total = t;
      threads = th;
      startedAt = performance.now();
      startDone = done;
      // Laid out per redraw for the terminal's current width (progress-layout.ts): nothing is cut off.
      const format = (_options: unknown, _params: unknown, data: Record<string, unknown>): string =>
        progressLine(data['fields'] as ProgressFields, columns());
      multi = new (load().MultiBar)({
        stream,
        format,
        fps: FPS,
        hideCursor: true,
        clearOnComplete: true,
        gracefulExit: false,
      });
      bar = multi.create(t ?? 0, done, payload(done, 0));
      last = { done, failed: 0 };
      // Rate and ETA move with time also while no item finishes (a slow chunk): recompute them every second.
      refresh = setInterval(() => bar?.update(last.done, payload(last.done, last.failed)), 1000);
      refresh.unref();
    },
    update(done, failed) {
      last = { done, failed };
      bar?.update(done, payload(done, failed));
    },
    note(text) {
      multi?.log(`${wrapNote(text, columns())}\n`);
    },
    stop() {
      if (refresh) clearInterval(refresh);
      refresh = undefined;
      multi?.stop();
      multi = undefined;
      bar = undefined;
    },
  };
}

/** The view for these settings: a bar on a terminal, else nothing. */
export function chooseProgress(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  return !quiet && stream.isTTY === true ? terminalProgress(stream) : silentProgress;
}

/**
 * Whether a job shows a bar (then it wants the item count up front): not with `--quiet`, nor when the output goes
 * to the terminal the bar would be drawn on, nor when stderr is not a terminal.
 */
export function showsBar(quiet: boolean, output: string): boolean {
  return !(quiet || (output === '-' && process.stdout.isTTY === true)) && process.stderr.isTTY === true;
}
