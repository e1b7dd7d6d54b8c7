// The three-stage CPU pipeline (parse -> score -> filter, ~10 µs per item in all) against one hand-fused task under
// rt.map and against three consecutive rt.map calls (the stage-after-stage way). Throughput in this process;
// peak RSS of each way in fresh processes (`node bench/pipeline/cpu.mjs --rss <way> <items>`), at two item counts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Throughput of every way, interleaved, `repeats` times. */
export async function measureThroughput(items, repeats) {
  const rt = createRuntime();
  const rows = Object.fromEntries(Object.keys(WAYS).map((w) => [w, []]));
  let kept;
  try {
    await WAYS.fused(rt, 20_000); // warm the pool and the task modules
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? Object.keys(WAYS) : Object.keys(WAYS).reverse();
      for (const way of order) {
        const t0 = performance.now();
        const k = await WAYS[way](rt, items);
        const s = (performance.now() - t0) / 1000;
        if (kept !== undefined && k !== kept) throw new Error(`${way} kept ${k} items, another way ${kept}`);
        kept = k;
        rows[way].push(items / s);
      }
    }
  } finally {
    await rt.close();
  }
  return { rows, kept, threads: rt.plan.threads };
}

/** Peak RSS (MiB) of one way over `items` items in a fresh process. */
export function measureRss(way, items) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--rss', way, String(items)], { encoding: 'utf8', env: process.env });
  return JSON.parse(out.trim().split('\n').pop());
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
