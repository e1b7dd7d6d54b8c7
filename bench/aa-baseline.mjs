#!/usr/bin/env node
/**
 * Does a saved bench baseline hold an A/A test? `npm run bench:aa [-- flags]`.
 *
 * Records a baseline of bench/aa/work.bench.mjs, then reruns the unchanged suite N times and compares each rerun
 * with the baseline exactly as `batchtools bench --baseline` does (defaults: run means of isolated runs, Welch's
 * t-test, 95 %, fails above +10 %): every failing comparison is a false alarm. Then it makes every task 20 % slower
 * (BT_AA_SLOWDOWN=1.2: 1.2 times the work) and counts how many of those comparisons fail, as they should. For
 * contrast it also applies the old test, Welch on the pooled within-run samples, to the same documents.
 * Writes bench/results/aa-baseline.{md,json} with the machine and its load.
 *
 *   --comparisons N   A/A reruns (default 10)     --slow N   20 %-slower reruns (default 5)
 *   --runs N          runs per suite (default: batchtools' default)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { compareResults } from '../dist/src/suites/compare.js';
import { DEFAULT_RUNS, runSuites } from '../dist/src/suites/runner.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const comparisons = flag('comparisons', 10);
const slowReruns = flag('slow', 5);
const runs = flag('runs', DEFAULT_RUNS);
const cwd = fileURLToPath(new URL('./aa/', import.meta.url));
const suite = 'work.bench.mjs';

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const record = async () => runSuites([suite], { cwd, runs });
/** The same documents compared the old way: no run unit, Welch on the pooled samples. */
const withoutRuns = (doc) => ({
  ...doc,
  suites: doc.suites.map((s) => ({ ...s, tasks: s.tasks.map((t) => ({ ...t, runMeans: null })) })),
});

const loadBefore = load();
const started = Date.now();
console.error(`A/A: baseline, then ${comparisons} unchanged reruns and ${slowReruns} reruns 20 % slower; ${runs} runs per suite; load ${loadBefore}`);
const baseline = await record();
const rows = [];
for (let i = 1; i <= comparisons + slowReruns; i++) {
  const slow = i > comparisons;
  process.env.BT_AA_SLOWDOWN = slow ? '1.2' : '1';
  const doc = await record();
  const byRuns = compareResults(baseline, doc);
  const pooled = compareResults(withoutRuns(baseline), withoutRuns(doc));
  const row = {
    kind: slow ? '20 % slower' : 'A/A',
    failing: byRuns.failing,
    tasks: byRuns.tasks.length,
    changes: byRuns.tasks.map((t) => Number(t.changePercent?.toFixed(1))),
    p: byRuns.tasks.map((t) => Number(t.p?.toPrecision(2))),
    pooledFailing: pooled.failing,
    pooledRegressions: pooled.regressions,
  };
  rows.push(row);
  console.error(`${String(i).padStart(2)} ${row.kind.padEnd(11)} failing ${row.failing}/${row.tasks}  changes ${row.changes.join(', ')} %  (pooled samples: ${row.pooledFailing} failing)`);
}
delete process.env.BT_AA_SLOWDOWN;

const aa = rows.filter((r) => r.kind === 'A/A');
const slow = rows.filter((r) => r.kind !== 'A/A');
const summary = {
  date: new Date().toISOString(),
  machine: baseline.machine,
  loadBefore,
  loadAfter: load(),
  seconds: Math.round((Date.now() - started) / 1000),
  runs,
  defaults: { test: 'welch-t on run means', confidence: 0.95, thresholdPercent: 10 },
  aaFalseAlarms: aa.filter((r) => r.failing > 0).length,
  aaComparisons: aa.length,
  slowCaught: slow.filter((r) => r.failing === r.tasks).length,
  slowComparisons: slow.length,
  pooledAaFalseAlarms: aa.filter((r) => r.pooledFailing > 0).length,
  pooledAaSignificant: aa.filter((r) => r.pooledRegressions > 0).length,
  taskNames: baseline.suites[0].tasks.map((t) => t.name),
  rows,
};
const m = summary.machine;
const md = [
  `# A/A test of bench baselines (${summary.date.slice(0, 10)})`,
  '',
  `Machine: ${m.cpu.brand ?? 'unknown CPU'}, ${m.cpu.logicalCores} logical cores, Node ${m.node.version}; load average ${summary.loadBefore} before, ${summary.loadAfter} after (1/5/15 min). ${summary.seconds} s.`,
  '',
  ...(Number(summary.loadBefore.split(' ')[0]) > m.cpu.logicalCores || Number(summary.loadAfter.split(' ')[0]) > m.cpu.logicalCores
    ? [`**Noisy machine**: the load average exceeded the ${m.cpu.logicalCores} cores during the measurement, so run-to-run noise was far above a quiet machine's; rerun \`npm run bench:aa\` in a quiet window for the reference figures.`, '']
    : []),
  `Suite bench/aa/work.bench.mjs (${summary.taskNames.join('; ')}), ${runs} isolated runs per suite, compared as \`batchtools bench --baseline\` does by default (Welch's t-test on run means, 95 %, fails above +10 %).`,
  '',
  `- **A/A** (unchanged code, ${summary.aaComparisons} comparisons with one baseline): **${summary.aaFalseAlarms}** failed (false alarms).`,
  `- **20 % slower** (every task 1.2× the work, ${summary.slowComparisons} comparisons): **${summary.slowCaught}** failed on every task (caught).`,
  `- The old test on the same documents (Welch on pooled within-run samples): ${summary.pooledAaSignificant} of ${summary.aaComparisons} A/A comparisons "significantly slower", ${summary.pooledAaFalseAlarms} failing.`,
  '',
  '| # | kind | failing tasks | change of each task (%) | p (run means) | old test: failing |',
  '|---:|---|---:|---|---|---:|',
  ...rows.map((r, i) => `| ${i + 1} | ${r.kind} | ${r.failing}/${r.tasks} | ${r.changes.join(', ')} | ${r.p.join(', ')} | ${r.pooledFailing} |`),
  '',
].join('\n');
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('aa-baseline.json', out), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(new URL('aa-baseline.md', out), md);
console.log(md);
