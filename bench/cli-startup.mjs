/**
 * `npm run bench:cli-startup`: where the start-up of `batchtools run` goes. Runs the CLI on a one-line input with
 * `node --cpu-prof` (main thread and workers each write a profile) and reads the phases off the profiles' samples:
 *
 *   imports    the command tree is built: node's boot after the profile started, commander and main.js loaded
 *   poolStart  the worker pool is created: the `run` modules loaded, the arguments and paths checked
 *   workerUp   the first worker's profile starts (its isolate is up)
 *   taskReady  the first worker's first sample inside `runBlock` (block worker and task loaded, the line runs)
 *   commitAt   the output's commit starts (the stream ended, the workers closed)
 *   total      the main thread's last sample (fsync and rename of the output, the summary)
 * all in ms from the start of the main thread's profile (node's boot before it is not included), and
 *   wallMs / plainWallMs   the whole process of `batchtools run` / of the plain script, from spawn to exit.
 *
 * A phase boundary is the first sample in a named function, so it is late by up to one sampling interval (50 µs)
 * plus however long the function ran before being sampled; on a loaded machine the profile's clock is wall time.
 * Also times the plain single-threaded script on the same input, whole process, for reference. Medians of --runs
 * (default 7). Needs `npm run build` (the npm script does it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string' }, out: { type: 'string' } } });
const runs = Number(values.runs ?? 7);
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));
const tasks = fileURLToPath(new URL('./workloads.mjs', import.meta.url));
const plain = fileURLToPath(new URL('./child/cli-plain.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bt-bench-startup-'));
const input = join(dir, 'in.jsonl');
writeFileSync(input, `${JSON.stringify({ id: 20 * 2 ** 20 + 7, text: 'rec-1a2b3c-abcdefghij' })}\n`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const median = (/** @type {number[]} */ xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Milliseconds from the profile's start to its first sample with `name` on the stack (a function of a module
 * whose URL ends with `file`), or NaN.
 * @param {any} p @param {string} file @param {string} name
 */
function firstSample(p, file, name) {
  /** @type {Map<number, any>} */
  const byId = new Map(p.nodes.map((/** @type {any} */ n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** @type {Map<number, boolean>} */
  const hit = new Map();
  const has = (/** @type {number} */ id) => {
    const known = hit.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id).callFrame;
    const up = parent.get(id);
    // The CLI ships bundled (package.json's bundle:cli): a function of `file` may sit in one of the CLI's chunks.
    const v = (f.functionName === name && (f.url.endsWith(file) || /\/cli\/bin(-[A-Z0-9]+)?\.js$/.test(f.url))) || (up !== undefined && has(up));
    hit.set(id, v);
    return v;
  };
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    if (has(p.samples[i])) return (t - p.startTime) / 1000;
  }
  return NaN;
}

/** @type {Record<string, number[]>} */
const acc = { imports: [], poolStart: [], workerUp: [], taskReady: [], commitAt: [], total: [], wallMs: [], plainWallMs: [] };
process.stderr.write(`bench:cli-startup on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; load average ${load()}\n`);
for (let r = 0; r < runs; r++) {
  const profDir = join(dir, `prof-${r}`);
  const t0 = performance.now();
  const c = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', profDir, bin, 'run', tasks, '--export', 'workRecord', '--input', input, '--output', join(dir, 'out.jsonl'), '--quiet'], { encoding: 'utf8' });
  acc.wallMs.push(performance.now() - t0);
  if (c.status !== 0) throw new Error(`batchtools run exited ${c.status}: ${c.stderr}`);
  const t1 = performance.now();
  spawnSync(process.execPath, [plain, input, join(dir, 'plain.jsonl'), 'workRecord']);
  acc.plainWallMs.push(performance.now() - t1);
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: the main thread is thread 0.
  const files = readdirSync(profDir);
  const read = (/** @type {string} */ f) => JSON.parse(readFileSync(join(profDir, f), 'utf8'));
  const main = read(files.find((f) => f.split('.')[4] === '0') ?? files[0]);
  const workers = files.filter((f) => f.split('.')[4] !== '0').map(read);
  acc.imports.push(firstSample(main, '/cli/main.js', 'buildProgram'));
  acc.poolStart.push(firstSample(main, '/src/pool.js', 'createPool'));
  const up = workers.map((w) => (w.startTime - main.startTime) / 1000);
  acc.workerUp.push(Math.min(...up));
  acc.taskReady.push(Math.min(...workers.map((w, i) => firstSample(w, '/cli/line-worker.js', 'runBlock') + up[i]).filter(Number.isFinite)));
  acc.commitAt.push(firstSample(main, '/base/atomic-file.js', 'commit'));
  acc.total.push((main.endTime - main.startTime) / 1000);
}
rmSync(dir, { recursive: true, force: true });
const result = Object.fromEntries(Object.entries(acc).map(([k, xs]) => [k, +median(xs).toFixed(1)]));
for (const [k, v] of Object.entries(result)) process.stderr.write(`  ${k.padEnd(12)} ${String(v).padStart(8)} ms\n`);
process.stderr.write(`  (ms from the start of the main thread's profile; medians of ${runs}; load average now ${load()})\n`);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, result }, null, 2)}\n`);
