/**
 * Child process run under `node --cpu-prof` by bench/profile.mjs: one warm-up map, then `maps` timed maps of one
 * workload with batchtools defaults. Usage: node profile-run.mjs <workload> <n> <nsPerIter> <maps>.
 * Prints one JSON line with the wall times.
 */
import { WORKLOADS } from '../workloads.mjs';

const [name, nArg, nsArg, mapsArg] = process.argv.slice(2);
const spec = WORKLOADS[name];
if (!spec) throw new Error(`unknown workload ${name}`);
const items = spec.make(Number(nArg), { nsPerIter: Number(nsArg), nsPerAllocMb: 1 });
const bt = await import(new URL('../../dist/src/index.js', import.meta.url).href);
const rt = bt.createRuntime();
const task = bt.defineTask(new URL('../workloads.mjs', import.meta.url), spec.task ?? 'work');
await rt.map(items.slice(0, Math.min(items.length, 20_000)), task);
const ms = [];
for (let m = 0; m < Number(mapsArg); m++) {
  const t0 = performance.now();
  await rt.map(items, task);
  ms.push(performance.now() - t0);
}
await rt.close();
process.stdout.write(JSON.stringify({ workload: name, n: items.length, ms }) + '\n');
