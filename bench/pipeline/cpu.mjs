// The three-stage CPU pipeline (parse -> score -> filter, ~10 µs per item in all) against one hand-fused task under
// rt.map and against three consecutive rt.map calls (the stage-after-stage way). Throughput in this process;
// peak RSS of each way in fresh processes (`node bench/pipeline/cpu.mjs --rss <way> <items>`), at two item counts.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startWindow } from '../lib/measure.mjs';

const { createRuntime, defineTask } = await import('../../dist/src/index.js');
const stagesUrl = new URL('./stages.mjs', import.meta.url);
const t = (name) => defineTask(stagesUrl, name);

/** The input, read lazily (so no way starts with the whole input in memory). */
function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}

/** Each way over `n` items; resolves to the number of items kept. */
export const WAYS = {
  async pipeline(rt, n) {
    let kept = 0;
    for await (const r of rt.pipeline(numbers(n), [t('parse'), t('score'), { filter: t('keep') }])) {
      if (r.status !== 'fulfilled') throw r.reason;
      kept++;
    }
    return kept;
  },
  async fused(rt, n) {
    const out = await rt.map(numbers(n), t('fused'));
    let kept = 0;
    for (const s of out) if (s >= 0) kept++;
    return kept;
  },
  async threeMaps(rt, n) {
    const hashes = await rt.map(numbers(n), t('parse'));
    const scores = await rt.map(hashes, t('score'));
    const keeps = await rt.map(scores, t('keep'));
    return scores.filter((_, i) => keeps[i]).length;
  },
};

/**
 * Throughput of every way, interleaved (the order flips every repeat), `repeats` times. Per run: items/s, CPU µs per
 * item of the main thread and of the whole process (workers included), and the cores other processes took
 * meanwhile (`foreignCores`, from /proc/stat): on a shared machine the ratio of two neighbouring runs and the CPU per
 * item say more than the throughput itself.
 */
export async function measureThroughput(items, repeats) {
  const rt = createRuntime();
  const rows = Object.fromEntries(Object.keys(WAYS).map((w) => [w, []]));
  const runs = Object.fromEntries(Object.keys(WAYS).map((w) => [w, []]));
  /** Per repeat: each way's items/s over the hand-fused one's in the same repeat. */
  const ratios = Object.fromEntries(Object.keys(WAYS).map((w) => [w, []]));
  const loadAverage = { start: loadavg().map((x) => +x.toFixed(2)), end: null };
  let kept;
  try {
    await WAYS.fused(rt, 20_000); // warm the pool and the task modules
    await WAYS.pipeline(rt, 20_000);
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? Object.keys(WAYS) : Object.keys(WAYS).reverse();
      const rate = {};
      for (const way of order) {
        const end = startWindow();
        const k = await WAYS[way](rt, items);
        const w = end();
        if (kept !== undefined && k !== kept) throw new Error(`${way} kept ${k} items, another way ${kept}`);
        kept = k;
        rate[way] = items / (w.wallMs / 1000);
        rows[way].push(rate[way]);
        runs[way].push({
          itemsPerSecond: Math.round(rate[way]),
          mainCpuUsPerItem: w.mainCpuMs === null ? null : +((w.mainCpuMs * 1000) / items).toFixed(3),
          cpuUsPerItem: +((w.cpuMs * 1000) / items).toFixed(3),
          foreignCores: w.foreignCores === null ? null : +w.foreignCores.toFixed(2),
        });
      }
      for (const way of order) ratios[way].push(rate[way] / rate.fused);
    }
  } finally {
    await rt.close();
  }
  loadAverage.end = loadavg().map((x) => +x.toFixed(2));
  return { rows, runs, ratios, loadAverage, kept, threads: rt.plan.threads };
}

/** Peak RSS (MiB) of one way over `items` items in a fresh process. */
export function measureRss(way, items) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--rss', way, String(items)], { encoding: 'utf8', env: process.env });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * What the pipeline holds, apart from garbage not yet collected: main-thread heap after a full GC at eight points
 * of a run over `items` items (MiB), in a fresh process of its own (the forced GCs would flatter a peak RSS).
 */
export function measureRetained(items) {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--retained', String(items)], { encoding: 'utf8', env: process.env });
  return JSON.parse(out.trim().split('\n').pop());
}

if (process.argv[2] === '--retained') {
  const items = Number(process.argv[3]);
  const rt = createRuntime();
  const heapMiB = [];
  const every = Math.max(1, Math.floor(items / 8));
  let seen = 0;
  for await (const r of rt.pipeline(numbers(items), [t('parse'), t('score'), { filter: t('keep') }])) {
    if (r.status !== 'fulfilled') throw r.reason;
    if (r.index >= (heapMiB.length + 1) * every) {
      globalThis.gc();
      heapMiB.push(+(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1));
    }
    seen++;
  }
  await rt.close();
  console.log(JSON.stringify({ items, kept: seen, heapAfterGcMiB: heapMiB }));
}

if (process.argv[2] === '--rss') {
  const [way, items] = [process.argv[3], Number(process.argv[4])];
  const rt = createRuntime();
  const t0 = performance.now();
  const kept = await WAYS[way](rt, items);
  const seconds = (performance.now() - t0) / 1000;
  await rt.close();
  console.log(JSON.stringify({ way, items, kept, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
}
