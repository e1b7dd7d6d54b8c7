#!/usr/bin/env node
/**
 * The cost of crash isolation: `node bench/isolation.mjs [--repeats N --items N --us U --rate R]` (`npm run bench`
 * runs it after the throughput rounds, unless `--no-isolation`).
 *
 * The same run of ~100 µs items through batchtools (default options, mapSettled) with and without a fraction of
 * poison items that kill their worker (process.exit), interleaved per repeat. Reports the median slowdown and
 * checks every outcome: poison items fail with BT_WORKER_CRASHED, all others succeed with the right value.
 * Results go to bench/results/isolation.json and .md with the machine's description.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { describeMachine } from './lib/machine.mjs';
import { gc, median, waitQuiet } from './lib/measure.mjs';
import { calibrate, encode, work } from './workloads.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1] ?? '']] : [])),
);
const repeats = Number(args.repeats ?? 5);
const N = Number(args.items ?? 20_000);
const us = Number(args.us ?? 100);
const rate = Number(args.rate ?? 0.001);

const { createRuntime, defineTask, ErrorCodes } = await import('../dist/src/index.js');
const cal = calibrate();
const iters = Math.round((us * 1000) / cal.nsPerIter);
const clean = Array.from({ length: N }, (_, i) => encode(iters, 0, i & 4095));
const every = Math.round(1 / rate);
const poisoned = clean.map((x, i) => (i % every === every >> 1 ? -x : x));
const poisonCount = poisoned.filter((x) => x < 0).length;
const expected = clean.map((x) => work(x));
const task = defineTask(new URL('./isolation-task.mjs', import.meta.url), 'run');

/** One timed run on a fresh, warmed runtime; checks every outcome. */
async function timed(items) {
  const rt = createRuntime();
  await rt.map(clean.slice(0, 64), task);
  await waitQuiet(0.25, 2000);
  gc();
  const t0 = performance.now();
  const settled = await rt.mapSettled(items, task);
  const ms = performance.now() - t0;
  await rt.close();
  settled.forEach((s, i) => {
    const poison = items[i] < 0;
    if (poison ? s.status !== 'rejected' || s.reason.code !== ErrorCodes.WORKER_CRASHED : s.status !== 'fulfilled' || s.value !== expected[i]) {
      throw new Error(`item ${i}: unexpected outcome ${s.status} ${s.reason?.code ?? ''}`);
    }
  });
  return ms;
}

const rows = [];
for (let r = 0; r < repeats; r++) {
  const order = r % 2 === 0 ? ['clean', 'poisoned'] : ['poisoned', 'clean'];
  const row = {};
  for (const kind of order) row[kind] = await timed(kind === 'clean' ? clean : poisoned);
  row.slowdown = row.poisoned / row.clean - 1;
  rows.push(row);
  console.log(`repeat ${r + 1}: clean ${row.clean.toFixed(0)} ms, with ${poisonCount} poison items ${row.poisoned.toFixed(0)} ms, slowdown ${(row.slowdown * 100).toFixed(1)}%`);
}
const result = {
  date: new Date().toISOString(),
  command: `node bench/isolation.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: await describeMachine(),
  settings: { items: N, usPerItem: us, poisonRate: rate, poisonItems: poisonCount, repeats },
  medians: { cleanMs: median(rows.map((x) => x.clean)), poisonedMs: median(rows.map((x) => x.poisoned)), slowdown: median(rows.map((x) => x.slowdown)) },
  rows,
};
console.log(`median slowdown ${(result.medians.slowdown * 100).toFixed(1)}% (${poisonCount} crashing items of ${N}, ~${us} µs each)`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/isolation.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
const cpu = result.machine.cpu ?? {};
const machineLine = `${cpu.manufacturer ?? ''} ${cpu.brand ?? ''}, ${cpu.physicalCores ?? '?'} physical / ${cpu.logicalCores ?? '?'} logical cores`.trim();
writeFileSync(
  new URL('./results/isolation.md', import.meta.url),
  `# Cost of crash isolation\n\n- Date: ${result.date}\n- Command: \`${result.command}\`\n- Machine: ${machineLine}\n- Node ${process.version}\n\n` +
    `${N} items of ~${us} µs; ${poisonCount} of them (${rate * 100}%) call process.exit(1). mapSettled, default options, fresh warmed runtime per run.\n\n` +
    `| repeat | clean ms | with crashes ms | slowdown |\n|---:|---:|---:|---:|\n` +
    rows.map((x, i) => `| ${i + 1} | ${x.clean.toFixed(0)} | ${x.poisoned.toFixed(0)} | ${(x.slowdown * 100).toFixed(1)}% |`).join('\n') +
    `\n| **median** | ${result.medians.cleanMs.toFixed(0)} | ${result.medians.poisonedMs.toFixed(0)} | **${(result.medians.slowdown * 100).toFixed(1)}%** |\n`,
);
