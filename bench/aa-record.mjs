#!/usr/bin/env node
/**
 * Record a timeline of isolated runs of bench/aa/work.bench.mjs for offline study of baseline decision rules
 * (bench/aa-replay.mjs). `npm run build && node bench/aa-record.mjs [--blocks N] [--runs N] [--out FILE] [--append]`.
 *
 * The timeline is a sequence of blocks, each block `--runs` isolated runs one after the other (one block is what one
 * side of `batchtools bench --baseline` records), block kinds in the order of `npm run bench:aa`: A, A, slow, A, A,
 * slow... (slow: BT_AA_SLOWDOWN=1.2, 1.2 times the work in every task). For every run and task it keeps the run's
 * latency quantiles on a fixed grid (from the run's samples, capped at 1000 evenly spaced order statistics), its
 * mean and its sample count, with the time and the load average, so that any per-run statistic and any decision
 * rule can be replayed on the same runs, and A/A comparisons are made of blocks adjacent in time, as in real use.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../dist/src/suites/machine.js';
import { runSuiteFile } from '../dist/src/suites/spawn.js';
import { wholeFlag } from './lib/args.mjs';

/** The quantile grid kept per run (probabilities). */
export const GRID = [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 0.95, 0.99, 1];

const args = process.argv.slice(2);
const flag = (/** @type {string} */ name, /** @type {number} */ fallback) => wholeFlag(args, name, fallback, 1);
const blocks = flag('blocks', 12);
const runs = flag('runs', 10);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1] : fileURLToPath(new URL('./results/aa-runs.json', import.meta.url));
const append = args.includes('--append') && existsSync(out);
const SLOWDOWN = 1.2;
const dir = fileURLToPath(new URL('./aa/', import.meta.url));
const file = { path: `${dir}work.bench.mjs`, key: 'work.bench.mjs' };

/** Linear-interpolated quantile of ascending `sorted`. */
function quantile(sorted, p) {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const data = append
  ? JSON.parse(readFileSync(out, 'utf8'))
  : { grid: GRID, slowdown: SLOWDOWN, runsPerBlock: runs, machine: await describeMachine(), sessions: [] };
if (JSON.stringify(data.grid) !== JSON.stringify(GRID) || data.runsPerBlock !== runs) throw new Error(`${out} has another grid or block size`);
const session = { startedAt: new Date().toISOString(), loadBefore: os.loadavg(), blocks: [] };
data.sessions.push(session);
const offset = data.sessions.reduce((n, s) => n + s.blocks.length, 0);
for (let b = 0; b < blocks; b++) {
  const kind = (offset + b) % 3 === 2 ? 'slow' : 'A';
  const factor = kind === 'slow' ? SLOWDOWN : 1;
  const block = { kind, factor, runs: [] };
  for (let r = 0; r < runs; r++) {
    process.env.BT_AA_SLOWDOWN = String(factor);
    const started = Date.now();
    const record = await runSuiteFile(file, { maxSamples: 1000, timeout: null, signal: undefined, onSignal: () => {} });
    delete process.env.BT_AA_SLOWDOWN;
    if (record.status !== 'completed') throw new Error(`run failed: ${record.error?.message}`);
    block.runs.push({
      at: started,
      load: os.loadavg()[0],
      tasks: Object.fromEntries(
        record.tasks.map((t) => [
          t.name,
          { mean: t.latency.mean, count: t.latency.samplesCount, q: GRID.map((p) => Number(quantile(t.samples, p).toPrecision(6))) },
        ]),
      ),
    });
  }
  session.blocks.push(block);
  const medians = Object.keys(block.runs[0].tasks).map((name) => {
    const m = block.runs.map((run) => run.tasks[name].q[GRID.indexOf(0.5)]).sort((x, y) => x - y);
    return (m[m.length >> 1] * 1000).toFixed(1);
  });
  console.error(`block ${offset + b + 1} ${kind.padEnd(4)} median of run medians (µs) ${medians.join(', ')}  load ${os.loadavg()[0].toFixed(2)}`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(out, `${JSON.stringify(data)}\n`);
console.error(`wrote ${out}: ${data.sessions.reduce((n, s) => n + s.blocks.length, 0)} blocks`);
