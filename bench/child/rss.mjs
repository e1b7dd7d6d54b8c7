/**
 * Child process: peak RSS of one big run of ~1 µs items. Usage: node rss.mjs <idle|batchtools|piscina-queued> <n> <nsPerIter> <threads>
 * Prints one JSON line. The parent also polls /proc/<pid>/status (VmHWM), so a run it kills still has a peak.
 */
import { encode } from '../workloads.mjs';

const [mode, nArg, nsArg, threadsArg] = process.argv.slice(2);
const n = Number(nArg);
const iters = Math.max(1, Math.round(1000 / Number(nsArg)));
const threads = Number(threadsArg);
const url = new URL('../workloads.mjs', import.meta.url);
const mb = (/** @type {number} */ b) => Math.round((b / 1048576) * 10) / 10;

const items = new Array(n);
for (let i = 0; i < n; i++) items[i] = encode(iters, 0, i);

/** @type {Record<string, unknown>} */
const out = { mode, n };
if (mode === 'batchtools') {
  const bt = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  const task = bt.defineTask(url, 'work');
  out.rssBeforeMb = mb(process.memoryUsage().rss);
  const rt = bt.createRuntime();
  const t0 = performance.now();
  const res = await rt.map(items, task);
  out.wallMs = performance.now() - t0;
  out.results = res.length;
  out.threads = rt.plan?.threads;
  await rt.close();
} else if (mode === 'piscina-queued') {
  const { Piscina } = await import('piscina');
  out.rssBeforeMb = mb(process.memoryUsage().rss);
  const pool = new Piscina({ filename: url.href, minThreads: threads, maxThreads: threads });
  const t0 = performance.now();
  const promises = items.map((x) => pool.run(x, { name: 'work' }));
  out.submitMs = performance.now() - t0;
  out.heapAfterSubmitMb = mb(process.memoryUsage().heapUsed);
  out.rssAfterSubmitMb = mb(process.memoryUsage().rss);
  process.stderr.write(`submitted ${JSON.stringify(out)}\n`);
  const res = await Promise.all(promises);
  out.wallMs = performance.now() - t0;
  out.results = res.length;
  out.threads = threads;
  await pool.destroy();
} else {
  out.rssBeforeMb = mb(process.memoryUsage().rss);
}
out.maxRssMb = mb(process.resourceUsage().maxRSS * 1024);
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
