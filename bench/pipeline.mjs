#!/usr/bin/env node
/**
 * Pipelines and task graphs: `npm run bench:pipeline [-- flags]` (builds first). Three parts, each reporting
 * medians over repeats; results in bench/results/pipeline.{json,md} with the machine's description.
 *
 *   --items N        items of the CPU pipeline (default 1000000)
 *   --rss-items a,b  item counts of the peak-RSS runs, one fresh process each (default 250000,1000000)
 *   --files N        files of the files part (default 2000), --kb K their size (default 50)
 *   --nodes N        nodes per graph (default 20), --graphs G seeded graphs (default 3)
 *   --repeats R      repeats (default 3)
 *   --only a,b       parts to run: cpu, files, graph (default all)
 *   --quick          items 200000, rss-items 50000,200000, files 400, repeats 1
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { describeMachine } from './lib/machine.mjs';
import { mainThreadCpuMs, median } from './lib/measure.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const opts = {
  items: Number(flag('items', quick ? 200_000 : 1_000_000)),
  rssItems: String(flag('rss-items', quick ? '50000,200000' : '250000,1000000')).split(',').map(Number),
  files: Number(flag('files', quick ? 400 : 2000)),
  kb: Number(flag('kb', 50)),
  nodes: Number(flag('nodes', 20)),
  graphs: Number(flag('graphs', quick ? 1 : 3)),
  repeats: Number(flag('repeats', quick ? 1 : 3)),
  only: String(flag('only', 'cpu,files,graph')).split(','),
};

/**
 * Loop steps of the stages' hash loop per microsecond of CPU time on this machine's main thread (CPU time, not
 * wall time: on a loaded machine the wall clock would make the items cheaper than ~10 µs). Best of five.
 */
function calibrate() {
  let h = 1;
  let best = 0;
  const n = 5_000_000;
  for (let round = 0; round < 5; round++) {
    const c0 = mainThreadCpuMs() ?? performance.now();
    for (let i = 0; i < n; i++) h = Math.imul(h ^ (h >>> 13) ^ i, 0x5bd1e995);
    const us = ((mainThreadCpuMs() ?? performance.now()) - c0) * 1000;
    if (us > 0) best = Math.max(best, n / us);
  }
  return h === 0.5 ? 0 : best;
}
process.env.BT_BENCH_ITERS_PER_US ??= String(Math.round(calibrate()));

const result = { command: `npm run bench:pipeline -- ${args.join(' ')}`.trim(), options: opts, itersPerUs: Number(process.env.BT_BENCH_ITERS_PER_US), machine: await describeMachine() };
const lines = ['# Pipelines and task graphs', '', `Command: \`${result.command}\`. Medians of ${opts.repeats} repeats.`, ''];
const f = (x, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

if (opts.only.includes('cpu')) {
  const { measureThroughput, measureRss, measureRetained } = await import('./pipeline/cpu.mjs');
  const t = await measureThroughput(opts.items, opts.repeats);
  const rate = Object.fromEntries(Object.entries(t.rows).map(([w, xs]) => [w, median(xs)]));
  const rss = [];
  for (const items of opts.rssItems) for (const way of Object.keys(t.rows)) rss.push(measureRss(way, items));
  const retained = measureRetained(Math.max(...opts.rssItems));
  const ratio = Object.fromEntries(Object.entries(t.ratios).map(([w, xs]) => [w, median(xs)]));
  const perItem = (way, key) => median(t.runs[way].map((x) => x[key]).filter((x) => x !== null));
  result.cpu = { threads: t.threads, kept: t.kept, itemsPerSecond: t.rows, median: rate, ratioToFused: t.ratios, medianRatio: ratio, runs: t.runs, loadAverage: t.loadAverage, rss, retained };
  lines.push(`## Three-stage CPU pipeline (parse → score → filter, ~10 µs per item), ${f(opts.items)} items, ${t.threads} threads`, '');
  lines.push(
    `Ways run interleaved (order flipped every repeat); ratio = items/s over the hand-fused rt.map's in the same repeat, median over repeats. Load average ${t.loadAverage.start.join(' ')} at the start, ${t.loadAverage.end.join(' ')} at the end.`,
    '',
  );
  lines.push(
    '| way | items/s (median) | ratio to hand-fused (median of repeats) | main-thread CPU µs/item | process CPU µs/item | other load, cores |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [way, r] of Object.entries(rate)) {
    lines.push(`| ${way} | ${f(r)} | ${f(ratio[way], 3)} | ${f(perItem(way, 'mainCpuUsPerItem'), 3)} | ${f(perItem(way, 'cpuUsPerItem'), 2)} | ${f(perItem(way, 'foreignCores'), 2)} |`);
  }
  lines.push('', 'Peak RSS (fresh process each):', '', `| way | ${opts.rssItems.map((n) => `${f(n)} items`).join(' | ')} |`, `| --- |${opts.rssItems.map(() => ' ---: |').join('')}`);
  for (const way of Object.keys(t.rows)) lines.push(`| ${way} | ${opts.rssItems.map((n) => `${f(rss.find((x) => x.way === way && x.items === n).peakRssMiB, 1)} MiB`).join(' | ')} |`);
  const peak = (way, n) => rss.find((x) => x.way === way && x.items === n).peakRssMiB;
  const [small, large] = [Math.min(...opts.rssItems), Math.max(...opts.rssItems)];
  if (large > small) {
    lines.push('', `From ${f(small)} to ${f(large)} items, peak RSS grows by: ${Object.keys(t.rows).map((w) => `${w} ${f(peak(w, large) - peak(w, small), 1)} MiB`).join(', ')}.`);
  }
  lines.push(
    '',
    `What the pipeline holds: main-thread heap after a full GC at every eighth of a ${f(retained.items)}-item run (own process): ${retained.heapAfterGcMiB.join(', ')} MiB. ` +
      'Peak RSS above that is garbage not yet collected and V8 sizing its heaps (main and workers) to the allocation rate, not items kept.',
    '',
  );
  console.log(lines.slice(-20).join('\n'));
}

if (opts.only.includes('files')) {
  const { measureFiles } = await import('./pipeline/files.mjs');
  const m = await measureFiles({ n: opts.files, kb: opts.kb, repeats: opts.repeats, concurrency: 16 });
  result.files = m;
  lines.push(`## Files: ${f(opts.files)} × ${opts.kb} KiB, read → transform (CPU) → atomic write, concurrency 16, ${m.threads} threads`, '');
  lines.push('| way | wall s (median) | files/s | open fds, peak above base (max) |', '| --- | ---: | ---: | ---: |');
  for (const [way, xs] of Object.entries(m.rows)) {
    const s = median(xs.map((x) => x.seconds));
    lines.push(`| ${way} | ${f(s, 2)} | ${f(opts.files / s)} | ${Math.max(...xs.map((x) => x.fdPeakAboveBase))} |`);
  }
  lines.push('');
  console.log(lines.slice(-6).join('\n'));
}

if (opts.only.includes('graph')) {
  const { measureGraph } = await import('./pipeline/graph.mjs');
  const m = await measureGraph({ n: opts.nodes, graphs: opts.graphs, repeats: opts.repeats });
  result.graph = m;
  lines.push(`## Task graph: ${opts.nodes} nodes of uneven cost (10–300 ms), ${m.threads} threads`, '');
  lines.push(
    'Bound = max(critical path, total work / threads), whichever is larger: no schedule can beat it. Efficiency = bound / makespan. ' +
      '"List schedule" is the makespan of rt.graph\'s own rule (longest chain of cost first) with exact costs and zero overhead: ' +
      'what the pool allows for this graph (above the bound where no list schedule reaches it). Node costs are busy-waits of wall-clock time.',
    '',
  );
  lines.push(
    '| graph | critical path ms | work/threads ms | list schedule ms | rt.graph ms (median) | efficiency | vs list schedule | level by level ms | efficiency |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of m.rows) {
    const g = median(r.graphMs);
    const l = median(r.levelsMs);
    lines.push(
      `| seed ${r.seed} | ${f(r.criticalPathMs)} | ${f(r.workPerThreadMs)} | ${f(r.listScheduleMs)} | ${f(g)} | ${f(r.boundMs / g, 3)} | ${f(r.listScheduleMs / g, 3)} | ${f(l)} | ${f(r.boundMs / l, 3)} |`,
    );
  }
  const o = m.overhead;
  lines.push(
    '',
    `Cost of one node (a chain of ${o.nodes} nodes that do nothing): ${f(o.wallMsPerNode, 3)} ms wall, ${o.mainCpuMsPerNode === null ? 'n/a' : f(o.mainCpuMsPerNode, 3)} ms of main-thread CPU per node (median).`,
    `Load average ${m.loadAverage.start.join(' ')} at the start, ${m.loadAverage.end.join(' ')} at the end.`,
  );
  lines.push('');
  console.log(lines.slice(-(m.rows.length + 7)).join('\n'));
}

const m = result.machine;
lines.push('## Machine', '', `${m.cpu?.brand ?? m.nodeOs.cpuModel}, ${m.nodeOs.availableParallelism} CPUs available, Node ${m.node.version}, load average at start ${m.nodeOs.loadavg.join(' ')}.`, '');
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/pipeline.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL('./results/pipeline.md', import.meta.url), `${lines.join('\n')}\n`);
console.log('wrote bench/results/pipeline.json and pipeline.md');
