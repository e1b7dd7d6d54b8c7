#!/usr/bin/env node
/**
 * Does a saved bench baseline hold an A/A test, and does it still catch a real slowdown? `npm run bench:aa`.
 *
 * Records pairs of documents of bench/aa/work.bench.mjs, each as `batchtools bench --json` would (isolated runs at
 * the default count), the second right after the first, and compares the second with the first exactly as
 * `batchtools bench --baseline` does at the defaults:
 * - A/A pairs: both sides unchanged code. A failing comparison is a false alarm.
 * - slow pairs: the second side does 1.2 times the work in every task (BT_AA_SLOWDOWN=1.2: more iterations of
 *   the same loops, a real 20 % slowdown, not a faked number). A failing comparison is a slowdown caught.
 * The two kinds alternate (every third pair is slow), so a change of the machine's load reaches both alike. For
 * contrast, the same documents are also judged by the previous rule (a Mann–Whitney U test on the run medians with
 * the Hodges–Lehmann change, failing when significant and above the threshold), which failed 2 of 10 A/A pairs.
 * To study other rules on the same kind of runs, record a timeline with bench/aa-record.mjs and replay rules on it
 * with bench/aa-replay.mjs.
 * Prints and writes bench/results/aa-baseline.{md,json}: false alarms x/N, caught y/M, with the load average.
 *
 *   --pairs N   A/A pairs (default 10)     --slow N   slow pairs (default 5)
 *   --runs N    runs per suite (default: batchtools' default)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { compareResults, DEFAULT_CONFIDENCE, DEFAULT_THRESHOLD } from '../dist/src/suites/compare.js';
import { DEFAULT_RUNS, runSuites } from '../dist/src/suites/runner.js';
import { rankShift } from '../dist/src/suites/rank-shift.js';
import { wholeFlag } from './lib/args.mjs';

const args = process.argv.slice(2);
const flag = (/** @type {string} */ name, /** @type {number} */ fallback) => wholeFlag(args, name, fallback, 0);
const aaPairs = flag('pairs', 10);
const slowPairs = flag('slow', 5);
const runs = flag('runs', DEFAULT_RUNS);
const SLOWDOWN = 1.2;
const cwd = fileURLToPath(new URL('./aa/', import.meta.url));
const suite = 'work.bench.mjs';

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const record = async (factor) => {
  process.env.BT_AA_SLOWDOWN = String(factor);
  try {
    return await runSuites([suite], { cwd, runs });
  } finally {
    delete process.env.BT_AA_SLOWDOWN;
  }
};

/** The previous rule, for contrast: Mann–Whitney U on the logarithms of the run medians, Hodges–Lehmann change. */
function previousRule(baseline, current) {
  let failing = 0;
  for (const task of current.suites[0].tasks) {
    const base = baseline.suites[0].tasks.find((t) => t.name === task.name);
    const r = rankShift(base.runMedians.map(Math.log), task.runMedians.map(Math.log), DEFAULT_CONFIDENCE);
    if (r.p < 1 - DEFAULT_CONFIDENCE && Math.expm1(r.shift) * 100 > DEFAULT_THRESHOLD) failing++;
  }
  return failing;
}

// Every third pair is slow, until both counts are met.
const kinds = [];
for (let a = 0, s = 0; a < aaPairs || s < slowPairs; ) {
  if (s < slowPairs && (kinds.length % 3 === 2 || a >= aaPairs)) {
    kinds.push('slow');
    s++;
  } else {
    kinds.push('A/A');
    a++;
  }
}

const loadBefore = load();
const started = Date.now();
console.error(
  `bench:aa: ${aaPairs} A/A pairs and ${slowPairs} pairs ${Math.round((SLOWDOWN - 1) * 100)} % slower, ${runs} runs per suite; load average ${loadBefore}`,
);
const rows = [];
let machine = null;
let machineTasks = null;
for (const [i, kind] of kinds.entries()) {
  const baseline = await record(1);
  machine ??= baseline.machine;
  machineTasks ??= baseline.suites[0].tasks.map((t) => t.name);
  const current = await record(kind === 'slow' ? SLOWDOWN : 1);
  const c = compareResults(baseline, current);
  const row = {
    kind,
    failing: c.failing,
    tasks: c.tasks.length,
    changes: c.tasks.map((t) => Number(t.changePercent?.toFixed(1))),
    failingTasks: c.tasks.map((t) => t.failing),
    p: c.tasks.map((t) => Number(t.p?.toPrecision(2))),
    previousFailing: previousRule(baseline, current),
    load: os.loadavg()[0].toFixed(2),
  };
  rows.push(row);
  console.error(
    `${String(i + 1).padStart(2)} ${kind.padEnd(4)} failing ${row.failing}/${row.tasks}  changes ${row.changes.join(', ')} %  p ${row.p.join(', ')}  (previous rule: ${row.previousFailing} failing)  load ${row.load}`,
  );
}

function kindsOfTasks(all) {
  return machineTasks.map((name, k) => ({
    name,
    falseAlarms: all.filter((r) => r.kind === 'A/A' && r.failingTasks[k]).length,
    caught: all.filter((r) => r.kind === 'slow' && r.failingTasks[k]).length,
  }));
}
const aa = rows.filter((r) => r.kind === 'A/A');
const slow = rows.filter((r) => r.kind === 'slow');
const summary = {
  date: new Date().toISOString(),
  machine,
  loadBefore,
  loadAfter: load(),
  seconds: Math.round((Date.now() - started) / 1000),
  runs,
  slowdown: SLOWDOWN,
  defaults: {
    unit: "each run's 1st percentile latency",
    test: "permutation test of the runs' 10th percentile (the near-best run), bootstrap interval",
    confidence: DEFAULT_CONFIDENCE,
    thresholdPercent: DEFAULT_THRESHOLD,
  },
  tasks: rows.length > 0 ? kindsOfTasks(rows) : [],
  falseAlarms: aa.filter((r) => r.failing > 0).length,
  aaPairs: aa.length,
  caught: slow.filter((r) => r.failing > 0).length,
  slowPairs: slow.length,
  slowTasksCaught: slow.reduce((n, r) => n + r.failing, 0),
  slowTasks: slow.reduce((n, r) => n + r.tasks, 0),
  previousFalseAlarms: aa.filter((r) => r.previousFailing > 0).length,
  previousCaught: slow.filter((r) => r.previousFailing > 0).length,
  rows,
};
const m = summary.machine;
const cores = m.cpu.logicalCores;
const busy = Number(summary.loadBefore.split(' ')[0]) > cores || Number(summary.loadAfter.split(' ')[0]) > cores;
const md = [
  `# A/A test of bench baselines (${summary.date.slice(0, 10)})`,
  '',
  `Machine: ${m.cpu.brand ?? 'unknown CPU'}, ${cores} logical cores, Node ${m.node.version}; load average ${summary.loadBefore} before, ${summary.loadAfter} after (1/5/15 min). ${summary.seconds} s.`,
  '',
  ...(busy
    ? [`**Busy machine**: the load average exceeded the ${cores} cores during the measurement; rerun \`npm run bench:aa\` in a quiet window for the reference figures.`, '']
    : []),
  `Suite bench/aa/work.bench.mjs (3 CPU-bound tasks), ${runs} isolated runs per suite and side; each pair is two documents recorded one after the other, compared as \`batchtools bench --baseline\` does at the defaults: each run's 1st percentile latency, the change of the near-best run (10th percentile of the runs), permutation test, ${Math.round(DEFAULT_CONFIDENCE * 100)} % confidence, fails when significantly slower by more than ${DEFAULT_THRESHOLD} %.`,
  '',
  `- **false alarms ${summary.falseAlarms}/${summary.aaPairs}**: A/A pairs (unchanged code) whose comparison failed.`,
  `- **caught ${summary.caught}/${summary.slowPairs}**: pairs whose second side is ${Math.round((SLOWDOWN - 1) * 100)} % slower (1.2× the work in every task) whose comparison failed; ${summary.slowTasksCaught}/${summary.slowTasks} slowed tasks flagged.`,
  `- Per task: ${summary.tasks.map((t) => `${t.name}: false alarms ${t.falseAlarms}/${summary.aaPairs}, caught ${t.caught}/${summary.slowPairs}`).join('; ')}.`,
  `- The previous rule (Mann–Whitney U on run medians, Hodges–Lehmann change) on the same documents: false alarms ${summary.previousFalseAlarms}/${summary.aaPairs}, caught ${summary.previousCaught}/${summary.slowPairs}.`,
  '',
  '| # | kind | failing tasks | change of each task (%) | p | previous rule: failing | load (1 min) |',
  '|---:|---|---:|---|---|---:|---:|',
  ...rows.map((r, i) => `| ${i + 1} | ${r.kind} | ${r.failing}/${r.tasks} | ${r.changes.join(', ')} | ${r.p.join(', ')} | ${r.previousFailing} | ${r.load} |`),
  '',
].join('\n');
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('aa-baseline.json', out), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(new URL('aa-baseline.md', out), md);
console.log(md);
console.log(`false alarms ${summary.falseAlarms}/${summary.aaPairs}, caught ${summary.caught}/${summary.slowPairs} (load average ${summary.loadBefore} → ${summary.loadAfter})`);
