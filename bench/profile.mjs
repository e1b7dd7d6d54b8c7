#!/usr/bin/env node
/**
 * `npm run bench:profile [-- --workloads 1us,1us-rec --n 1000000 --maps 2 --top 25]`: where the main thread's time
 * goes in a batchtools map. Runs each workload in a child process under `node --cpu-prof` (one warm-up map, then
 * `--maps` timed maps), then sums the self time per function of the main thread's profile and of the busiest
 * worker's, and prints the top functions. Writes bench/results/profile.md and .json; the raw .cpuprofile files stay
 * in bench/results/profile/ (open them in Chrome DevTools → Performance, or any cpuprofile viewer).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { calibrate } from './workloads.mjs';
import { flagReader } from './lib/args.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const workloads = opt('workloads', '1us,1us-rec').split(',');
const n = Number(opt('n', '1000000'));
const maps = Number(opt('maps', '2'));
const top = Number(opt('top', '25'));
const outDir = fileURLToPath(new URL('./results/profile/', import.meta.url));
const cal = calibrate();

/**
 * Self time per function of one .cpuprofile, ms, sorted.
 * @param {string} file
 */
function selfTimes(file) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  /** @type {Map<number, any>} */
  const nodes = new Map(p.nodes.map((/** @type {any} */ x) => [x.id, x]));
  /** @type {Map<number, number>} */
  const hits = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    hits.set(p.samples[i], (hits.get(p.samples[i]) ?? 0) + dt);
  }
  /** @type {Map<string, number>} */
  const byFn = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of hits) {
    const cf = nodes.get(id).callFrame;
    const where = cf.url ? `${cf.url.replace(/^.*\/(src|dist|bench|node_modules)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    total += ms;
    // piscina's worker waits for its next task in atomicsWaitLoop: idle too.
    if (cf.functionName === '(idle)' || cf.functionName === 'atomicsWaitLoop') idle += ms;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const rows = [...byFn.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, idleMs: idle, busyMs: total - idle, rows };
}

const report = [];
const md = ['# batchtools main-thread profile', '', `Command: \`npm run bench:profile -- ${args.join(' ')}\`; ${new Date().toISOString()}; Node ${process.version}.`, ''];
rmSync(outDir, { recursive: true, force: true });
for (const name of workloads) {
  const dir = `${outDir}${name}`;
  mkdirSync(dir, { recursive: true });
  const child = spawnSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, fileURLToPath(new URL('./child/profile-run.mjs', import.meta.url)), name, String(n), String(cal.nsPerIter), String(maps)],
    { encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`profile run of ${name} failed: ${child.stderr.slice(-1000)}`);
  const run = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  // Files are CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const thread = (/** @type {string} */ f) => Number(f.split('.')[4]);
  const main = files.find((f) => thread(f) === 0);
  if (!main) throw new Error(`no main-thread profile in ${dir}`);
  const mainProfile = selfTimes(`${dir}/${main}`);
  const workers = files.filter((f) => thread(f) !== 0).map((f) => selfTimes(`${dir}/${f}`)).sort((a, b) => b.busyMs - a.busyMs);
  const entry = { workload: name, n: run.n, mapMs: run.ms, main: { ...mainProfile, rows: mainProfile.rows.slice(0, top) }, busiestWorker: workers[0] ? { ...workers[0], rows: workers[0].rows.slice(0, top) } : null };
  report.push(entry);
  const lines = [
    `## ${name}: ${run.n.toLocaleString('en-US')} items, maps of ${run.ms.map((x) => x.toFixed(0)).join(', ')} ms (after one warm-up map)`,
    '',
    `Main thread: ${mainProfile.busyMs.toFixed(0)} ms busy of ${mainProfile.totalMs.toFixed(0)} ms profiled (the whole process life, start-up included).`,
    '',
    '| self ms | function |',
    '|---:|---|',
    ...mainProfile.rows.slice(0, top).map(([k, v]) => `| ${v.toFixed(1)} | \`${k}\` |`),
    '',
  ];
  if (workers[0]) {
    lines.push(`Busiest worker: ${workers[0].busyMs.toFixed(0)} ms busy.`, '', '| self ms | function |', '|---:|---|', ...workers[0].rows.slice(0, Math.min(top, 12)).map(([k, v]) => `| ${v.toFixed(1)} | \`${k}\` |`), '');
  }
  md.push(...lines);
  process.stdout.write(lines.join('\n') + '\n');
}
writeFileSync(new URL('./results/profile.json', import.meta.url), JSON.stringify(report, null, 1) + '\n');
writeFileSync(new URL('./results/profile.md', import.meta.url), md.join('\n'));
process.stderr.write('wrote bench/results/profile.md and .json (raw profiles in bench/results/profile/)\n');
