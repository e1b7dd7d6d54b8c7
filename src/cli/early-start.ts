/**
 * A head start for `batchtools run`: its worker threads boot while the command's own modules load. A pool thread
 * takes ~80 ms to start on the 2-core machine here, and the command reached its first `new Worker` ~110 ms after
 * node was ready (commander, the run's modules, piscina), one after the other; started from the executable's first
 * line instead, the two overlap.
 *
 * Only for what the command line says plainly: `run` as the first word, `--threads` / `--max-heap-mb` (the options
 * that size the pool) as positive integers, no `--help`, and nothing that leaves the byte path (`--connection`,
 * `--retries`). Anything else waits for the command as before. The run takes the pool if it was made for the same
 * sizes ({@link takeEarlyPool}), else destroys it; a command that never asks (a usage error) destroys it at the
 * end ({@link releaseEarlyPool}). This module imports nothing else up front: `batchtools --version` stays as fast.
 */
import type { StartedPool } from './early-pool.ts';

/** The pool options read from the command line (undefined: the pool plan decides). */
export interface EarlySizes {
  readonly threads: number | undefined;
  readonly maxHeapMb: number | undefined;
}

let early: { readonly started: StartedPool; readonly sizes: EarlySizes } | undefined;
/** The command has asked (or the process is ending): a pool still loading is not made any more. */
let decided = false;

/** The value of `--name <v>` or `--name=<v>` in argv: undefined when absent, null when given twice or empty. */
function flagValue(argv: readonly string[], name: string): string | null | undefined {
  let value: string | null | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let v: string | undefined;
    if (arg === name) v = argv[i + 1];
    else if (arg.startsWith(`${name}=`)) v = arg.slice(name.length + 1);
    else continue;
    if (value !== undefined || v === undefined || v === '') return null;
    value = v;
  }
  return value;
}

function positiveInteger(value: string | null | undefined): number | undefined | null {
  if (value === undefined || value === null) return value;
  return /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : null;
}

/** The sizes of the pool `argv` (without node and the script) will want, or null when it cannot say plainly. */
export function earlySizes(argv: readonly string[]): EarlySizes | null {
  if (argv[0] !== 'run') return null;
  if (argv.some((a) => a === '--help' || a === '-h' || a === '--' || a.startsWith('--connection') || a.startsWith('--retries'))) return null;
  const threads = positiveInteger(flagValue(argv, '--threads'));
  const maxHeapMb = positiveInteger(flagValue(argv, '--max-heap-mb'));
  if (threads === null || maxHeapMb === null) return null;
  return { threads, maxHeapMb };
}

/**
 * Start the pool `argv` will want, if it says plainly (see the module's comment). Resolves once its threads are
 * starting (or at once, when there is nothing to start); never rejects.
 */
export async function startEarlyPool(argv: readonly string[]): Promise<void> {
  const sizes = earlySizes(argv);
  if (sizes === null) return;
  decided = false;
  await import('./early-pool.ts').then(
    (m) => {
      if (decided) return;
      try {
        early = { started: m.startLinePool(sizes), sizes };
      } catch {
        // sizes the plan refuses: the run says so itself
      }
    },
    () => {}, // the run loads the same modules and reports what fails
  );
}

/** The early pool, taken from here (nothing loading is made any more): the command has decided. */
function claim(): { readonly started: StartedPool; readonly sizes: EarlySizes } | undefined {
  decided = true;
  const taken = early;
  early = undefined;
  return taken;
}

/** The early pool if it was made for `sizes` (the caller owns it then), else undefined (and it is destroyed). */
export function takeEarlyPool(sizes: EarlySizes): StartedPool | undefined {
  const taken = claim();
  if (taken === undefined) return undefined;
  if (taken.sizes.threads === sizes.threads && taken.sizes.maxHeapMb === sizes.maxHeapMb) return taken.started;
  void taken.started.pool.destroy();
  return undefined;
}

/** Destroy an early pool no command took (a usage error, `--version` after `run`, a run that failed its checks). */
export async function releaseEarlyPool(): Promise<void> {
  await claim()?.started.pool.destroy();
}
