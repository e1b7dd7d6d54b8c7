#!/usr/bin/env node
/**
 * Replay baseline decision rules offline on a recorded timeline of isolated runs (bench/aa-record.mjs), to choose a
 * rule by its error rates on the same runs rather than by one noisy `npm run bench:aa` each.
 * `npm run build && node bench/aa-replay.mjs [FILE] [--gap N | --splits N] [--only p1,p50]`.
 *
 * Comparisons are made of blocks close in time, as in real use (a baseline recorded, then the current side):
 * - A/A: every ordered pair of unchanged blocks (earlier one the baseline) at most `--gap` blocks apart (default 2);
 * - slow: every unchanged block followed within `--gap` blocks by a slow block (1.2× the work).
 * Blocks are never shuffled into random splits: the noise that matters comes in spells of seconds (the machine's
 * load), and shuffling runs across spells would hide it.
 *
 * For each per-run statistic (a quantile of the run's latencies, or its mean) and each decision, it prints the share
 * of A/A comparisons with a failing task (false alarms), the share of slow comparisons with a failing task (caught),
 * the same per task, and the chance of at most one false alarm in 10 A/A comparisons at that rate. The rule batchtools
 * ships is `p1 shipped sig`; the previous one was `p50 MW+HL sig`. `--only p1,p50` limits the per-run statistics.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lowShift } from '../dist/src/suites/low-shift.js';
import { rankShift } from '../dist/src/suites/rank-shift.js';

const args = process.argv.slice(2);
const gapIndex = args.indexOf('--gap');
const gap = gapIndex >= 0 ? Number(args[gapIndex + 1]) : 2;
const splitsIndex = args.indexOf('--splits');
const splits = splitsIndex >= 0 ? Number(args[splitsIndex + 1]) : 0;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const file = args.find((a, i) => !a.startsWith('--') && !['--gap', '--splits', '--only'].includes(args[i - 1])) ?? fileURLToPath(new URL('./results/aa-runs.json', import.meta.url));
const data = JSON.parse(readFileSync(file, 'utf8'));
const blocks = data.sessions.flatMap((s, si) => s.blocks.map((b, bi) => ({ ...b, session: si, index: bi })));
const tasks = Object.keys(blocks[0].runs[0].tasks);

/** Per-run statistics to try: name → (task record of a run) → value. */
const statistics = {
  mean: (t) => t.mean,
  ...Object.fromEntries(
    [0, 0.01, 0.05, 0.1, 0.25, 0.5].map((p) => [`p${+(p * 100).toFixed(1)}`, (t) => t.q[data.grid.indexOf(p)]]),
  ),
};

const CONFIDENCE = 0.95;
const THRESHOLD = 10;
const pct = (logRatio) => Math.expm1(logRatio) * 100;
/** Linear-interpolated quantile of the values (unsorted). */
const quantile = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * ((s[Math.min(s.length - 1, lo + 1)] ?? s[lo]) - s[lo]);
};
/** Seeded xorshift32 in [0, 1), so a replay is reproducible. */
const generator = (seed) => () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
/** Permutation test (two-sided, 999 seeded permutations) of a statistic `stat(x, y)` of two sets. */
const permutationOf = (stat) => (x, y) => {
  const observed = stat(x, y);
  const pooled = [...x, ...y];
  const random = generator(0x9e3779b9);
  let extreme = 1;
  for (let k = 0; k < 999; k++) {
    for (let i = pooled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pooled[i], pooled[j]] = [pooled[j], pooled[i]];
    }
    if (Math.abs(stat(pooled.slice(0, x.length), pooled.slice(x.length))) >= Math.abs(observed) - 1e-12) extreme++;
  }
  return { p: extreme / 1000, change: observed };
};
/** Permutation test of the difference of a quantile. */
const permutation = (q) => permutationOf((x, y) => quantile(y, q) - quantile(x, q));
const fastest = (v) => [...v].sort((a, b) => a - b).slice(0, Math.ceil(v.length / 2));
/** Hodges–Lehmann shift between the fastest halves of two sets. */
const halfShift = (x, y) => {
  const d = [];
  for (const a of fastest(x)) for (const b of fastest(y)) d.push(b - a);
  return quantile(d, 0.5);
};
/** Permutation test of {@link halfShift}. */
const permutationHalf = permutationOf(halfShift);
/** Tests: (log values of the baseline runs, of the current runs) → { p, change as a log ratio }. */
const tests = {
  /** The shipped test (compare.ts): the near-best run (10th percentile of the runs), permutation p. */
  shipped: (x, y) => {
    const r = lowShift(x, y, CONFIDENCE);
    return { p: r.p, change: r.shift };
  },
  'MW+HL': (x, y) => {
    const r = rankShift(x, y, CONFIDENCE);
    return { p: r.p, change: r.shift };
  },
  'MW+HL half': (x, y) => {
    const r = rankShift(fastest(x), fastest(y), CONFIDENCE);
    return { p: r.p, change: r.shift };
  },
  'perm HL half': permutationHalf,
  'perm q25': permutation(0.25),
  'perm q10': permutation(0.1),
  'perm min': permutation(0),
};
/** Decisions: (test outcome) → failing. */
const decisions = {
  sig: (t) => t.p < 1 - CONFIDENCE && pct(t.change) > THRESHOLD,
  any: (t) => pct(t.change) > THRESHOLD,
};

const pairs = { aa: [], slow: [] };
if (splits === 0) {
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length && j - i <= gap; j++) {
      const a = blocks[i];
      const b = blocks[j];
      if (a.session !== b.session || a.kind !== 'A') continue;
      pairs[b.kind === 'A' ? 'aa' : 'slow'].push([a, b]);
    }
  }
} else {
  // Random splits within a session: runs drawn without replacement (a seeded generator, so reruns agree).
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const draw = (pool, n) => {
    const copy = [...pool];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  };
  const sessions = [...new Set(blocks.map((b) => b.session))];
  const n = data.runsPerBlock;
  for (let k = 0; k < splits; k++) {
    const session = sessions[k % sessions.length];
    const a = blocks.filter((b) => b.session === session && b.kind === 'A').flatMap((b) => b.runs);
    const slow = blocks.filter((b) => b.session === session && b.kind === 'slow').flatMap((b) => b.runs);
    const both = draw(a, 2 * n);
    pairs.aa.push([{ runs: both.slice(0, n) }, { runs: both.slice(n) }]);
    if (slow.length >= n) pairs.slow.push([{ runs: draw(a, n) }, { runs: draw(slow, n) }]);
  }
}

const binomAtMostOne = (p, n = 10) => (1 - p) ** n + n * p * (1 - p) ** (n - 1);
const rows = [];
for (const [sName, stat] of Object.entries(statistics).filter(([n]) => !only || only.includes(n))) {
  const values = (block, task) => block.runs.map((run) => Math.log(stat(run.tasks[task])));
  for (const [mName, test] of Object.entries(tests)) {
    for (const [dName, decide] of Object.entries(decisions)) {
      const rate = (list) => {
        const perTask = tasks.map(() => 0);
        let any = 0;
        for (const [a, b] of list) {
          let failing = 0;
          tasks.forEach((task, k) => {
            const x = values(a, task);
            const y = values(b, task);
            if (decide(test(x, y))) {
              perTask[k]++;
              failing++;
            }
          });
          if (failing > 0) any++;
        }
        return { any: any / list.length, perTask: perTask.map((x) => x / list.length) };
      };
      const aa = rate(pairs.aa);
      const slow = rate(pairs.slow);
      rows.push({ name: `${sName} ${mName} ${dName}`, aa, slow, ok10: binomAtMostOne(aa.any) });
    }
  }
}
const f = (x) => `${(x * 100).toFixed(0).padStart(3)}%`;
console.log(`${file}: ${blocks.length} blocks of ${data.runsPerBlock} runs; ${pairs.aa.length} A/A and ${pairs.slow.length} slow comparisons (${splits ? 'random splits within a session' : `adjacent blocks, gap ≤ ${gap}`})`);
console.log(`tasks: ${tasks.join(' | ')}`);
console.log('run stat, change, decision   false alarms (per task)        caught (per task)          P(≤1 of 10 A/A)');
const power = (r) => r.slow.perTask.reduce((a, b) => a + b, 0);
rows.sort((x, y) => x.aa.any - y.aa.any || power(y) - power(x));
for (const r of rows) {
  console.log(
    `${r.name.padEnd(27)} ${f(r.aa.any)} (${r.aa.perTask.map(f).join(' ')})   ${f(r.slow.any)} (${r.slow.perTask.map(f).join(' ')})   ${f(r.ok10)}`,
  );
}
