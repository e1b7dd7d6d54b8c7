/**
 * Child process: the first call in a fresh process against warm calls. Usage:
 *   node cold.mjs <plain|batchtools> <workload> <n> <nsPerIter> <nsPerAllocMb> <calls>
 * Times `calls` whole runs back to back over the same input (the first one cold: for batchtools it includes
 * creating the pool and loading the task in every worker) and prints one JSON line { mode, ms: [...] }.
 */
import { WORKLOADS, work, workRecord } from '../workloads.mjs';

const [mode, name, nArg, nsArg, allocArg, callsArg] = process.argv.slice(2);
const spec = WORKLOADS[name];
if (!spec) throw new Error(`unknown workload ${name}`);
const n = Number(nArg);
const calls = Number(callsArg);
const items = spec.make(n, { nsPerIter: Number(nsArg), nsPerAllocMb: Number(allocArg) });
const taskName = spec.task ?? 'work';

/** @type {number[]} */
const ms = [];
/** @type {unknown[] | null} */
let ref = null;
const check = (/** @type {unknown[]} */ out) => {
  if (ref === null) ref = out;
  else for (let i = 0; i < n; i++) if (out[i] !== ref[i]) throw new Error(`result ${i} differs between calls`);
};
if (mode === 'plain') {
  const fn = taskName === 'work' ? work : workRecord;
  for (let c = 0; c < calls; c++) {
    const t0 = performance.now();
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = fn(/** @type {any} */ (items[i]));
    ms.push(performance.now() - t0);
    check(out);
  }
} else {
  const bt = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  const task = bt.defineTask(new URL('../workloads.mjs', import.meta.url), taskName);
  const t0 = performance.now();
  const rt = bt.createRuntime();
  for (let c = 0; c < calls; c++) {
    const t = c === 0 ? t0 : performance.now();
    const out = await rt.map(items, task);
    ms.push(performance.now() - t);
    check(out);
  }
  await rt.close();
}
process.stdout.write(JSON.stringify({ mode, ms }) + '\n');
process.exit(0);
