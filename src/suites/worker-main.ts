/**
 * The suite worker's body (worker side): import one suite file, get its `Bench` (the default export, or what the
 * default-exported function returns or resolves to), run it, and post the results. One worker per suite file; the
 * runner terminates it afterwards, so nothing the suite leaves behind (globals, timers, JIT state) outlives it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { importModule } from '../base/typescript.ts';
import { toEnvelope } from '../transport/envelope.ts';
import { isBenchLike, readName, readOptions, readTask, type BenchLike } from './collect.ts';
import type { SuiteWorkerData, SuiteWorkerMessage } from './protocol.ts';
import { retainSamplesFor } from './retain-samples.ts';

/** Run the suite named by `workerData` and report to `parentPort`. Never throws: failures are posted. */
export async function runSuiteWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the suite worker must run in a worker thread');
  const data = workerData as SuiteWorkerData;
  const post = (message: SuiteWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

  let bench: BenchLike;
  try {
    bench = await loadBench(data.fileUrl);
  } catch (error) {
    post({ type: 'failed', phase: 'load', error: toEnvelope(error) });
    return;
  }
  const names = bench.tasks.map((t) => String(t.name));
  post({ type: 'loaded', name: readName(bench), options: readOptions(bench), tasks: names });

  const warnings = new Map<string, string>();
  let done = 0;
  bench.addEventListener('warning', (event) => {
    const e = event as Event & { task?: { name?: unknown }; reason?: unknown };
    if (e.task && typeof e.reason === 'string') warnings.set(String(e.task.name), e.reason);
  });
  bench.addEventListener('cycle', (event) => {
    const task = (event as Event & { task?: { name?: unknown } }).task;
    done++;
    post({ type: 'task', name: String(task?.name ?? ''), done, total: names.length });
  });

  try {
    await bench.run();
  } catch (error) {
    post({ type: 'failed', phase: 'run', error: toEnvelope(error) });
    return;
  }
  const tasks = bench.tasks.map((t) => readTask(t, data.maxSamples, warnings.get(String(t.name)) ?? null));
  const transfer = tasks.flatMap((t) => (t.samples ? [t.samples.buffer as ArrayBuffer] : []));
  post({ type: 'done', tasks }, transfer);
}

async function loadBench(fileUrl: string): Promise<BenchLike> {
  const where = fileURLToPath(fileUrl);
  await retainSamplesFor(fileUrl);
  const mod = await importModule(fileUrl);
  let exported = mod['default'];
  if (exported === undefined) {
    throw new TypeError(`${where} has no default export; export a tinybench Bench, or a function that returns one`);
  }
  if (typeof exported === 'function' && !isBenchLike(exported)) {
    exported = await (exported as () => unknown)();
  }
  if (!isBenchLike(exported)) {
    const type = typeof exported;
    const what = exported === null ? 'null' : Array.isArray(exported) ? 'an array' : `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
    throw new TypeError(
      `the default export of ${where} ${typeof mod['default'] === 'function' ? 'returned' : 'is'} ${what}, not a tinybench Bench (an object with run() and tasks)`,
    );
  }
  return exported;
}
