// Resume cost: a checkpointed run killed with SIGKILL at ~70 % of a clean run's time, then resumed. Reports the
// share of finished results the journal kept at the kill, and the resume's throughput (items run now per second)
// against a clean run's, as medians of repeats (the goal: resume ≥ 0.95 of a clean run). One command:
// `npm run bench:resume [-- repeats]` (builds, runs, prints the ratio, writes bench/results/resume-cost.{json,md}).
// Timings are meaningful only on a quiet machine: the load average is recorded with them.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'dist/src/cli/bin.js');
const ITEMS = 30_000;
const REPEATS = Number(process.argv[2] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'bt-resume-bench-'));
const task = join(dir, 'task.mjs');
// ~200 µs of integer mixing per item
writeFileSync(task, 'export default (x) => { let h = x | 0; for (let i = 0; i < 60000; i++) h = Math.imul(h ^ (h >>> 13) ^ i, 0x5bd1e995); return h >>> 0; };\n');
writeFileSync(join(dir, 'in.jsonl'), Array.from({ length: ITEMS }, (_, i) => `${i}\n`).join(''));

function run(args, killAfterMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let stderr = '';
    const p = spawn(process.execPath, [bin, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - t0, stderr });
    });
  });
}
const lines = (path) => {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (stderr) => Number(/\(([\d,]+) items\/s/.exec(stderr)?.[1]?.replace(/,/g, '') ?? 'NaN');

const clean = [];
const kept = [];
const resumed = [];
for (let r = 0; r < REPEATS; r++) {
  const c = await run(['run', task, '--input', 'in.jsonl', '--output', `clean-${r}.jsonl`]);
  clean.push(rate(c.stderr));
  const killAt = c.ms * 0.7;
  const k = await run(['run', task, '--input', 'in.jsonl', '--output', `out-${r}.jsonl`, '--checkpoint', `ck-${r}`], killAt);
  const journaled = lines(join(dir, `ck-${r}`, 'journal.jsonl'));
  kept.push(journaled / (ITEMS * 0.7));
  const res = await run(['resume', `ck-${r}`]);
  resumed.push(rate(res.stderr));
  if (k.code !== null && k.code !== 0) console.error(`repeat ${r}: the killed run ended with ${k.code}`);
}
const load = loadavg().map((x) => Math.round(x * 100) / 100);
const result = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  loadAverage: load,
  date: new Date().toISOString(),
  items: ITEMS,
  repeats: REPEATS,
  cleanItemsPerSecond: median(clean),
  resumeItemsPerSecond: median(resumed),
  resumeToClean: Math.round((median(resumed) / median(clean)) * 1000) / 1000,
  journaledAtKillVsCleanProgress: Math.round(median(kept) * 1000) / 1000,
  perRepeat: clean.map((c, r) => ({ clean: c, resume: resumed[r], journaledShare: Math.round(kept[r] * 1000) / 1000 })),
};
console.log(JSON.stringify(result, null, 2));
console.log(
  `resume vs clean throughput: ${result.resumeToClean} (${result.resumeItemsPerSecond} vs ${result.cleanItemsPerSecond} items/s, ` +
    `medians of ${REPEATS}); journaled at the kill: ${result.journaledAtKillVsCleanProgress} of a clean run's progress; load ${load.join(' ')}`,
);
const out = join(root, 'bench/results');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'resume-cost.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(
  join(out, 'resume-cost.md'),
  `# Resume cost\n\n${result.machine}; load average ${load.join(' ')}; ${result.date}\n\n` +
    `${ITEMS.toLocaleString('en-US')} items of ~200 µs, killed with SIGKILL at 70 % of a clean run's time, then resumed; medians of ${REPEATS}.\n\n` +
    '| measure | value |\n|---|---|\n' +
    `| clean run, items/s | ${result.cleanItemsPerSecond} |\n` +
    `| resume, items/s (items run by the resume) | ${result.resumeItemsPerSecond} |\n` +
    `| **resume / clean** (goal ≥ 0.95) | **${result.resumeToClean}** |\n` +
    `| journaled at the kill / a clean run's progress then | ${result.journaledAtKillVsCleanProgress} |\n`,
);
rmSync(dir, { recursive: true, force: true });
