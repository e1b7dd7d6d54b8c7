/**
 * `npm run soak`: a seeded fault-injection soak of the CLI (minutes; not part of `npm test`). Each round makes an
 * input (with bad lines), then runs it under one of: a clean run, a file-system fault at a random call of the
 * durable writers (in process), `kill -9` at a random moment, Ctrl-C at a random moment, or a full stop on
 * SIGTERM; interrupted rounds are resumed until they finish. Every finished output is checked: exactly one
 * outcome per input item, in order, each the task's deterministic outcome, and the failures file naming exactly
 * the failed items. Usage: npm run soak [-- --rounds N --seed S]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { useFileSystem } from '../../src/base/atomic-file.ts';
import { main } from '../../src/cli/main.ts';
import { faultyFs } from './fault-fs.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = arg('rounds', 24);
const SEED = arg('seed', 20261201);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tasks = join(root, 'test/reliability/fixtures/tasks.mjs');
const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const bin = join(root, 'src/cli/bin.ts');

let state = SEED >>> 0;
const random = (): number => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function child(argv: string[], cwd: string, signalAfterMs?: { signal: NodeJS.Signals; ms: number }): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', tsx, bin, ...argv], { cwd, stdio: ['ignore', 'ignore', 'ignore'] });
    const timer = signalAfterMs ? setTimeout(() => p.kill(signalAfterMs.signal), signalAfterMs.ms) : undefined;
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function quiet<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

const counts = { rounds: 0, items: 0, ok: 0, failed: 0, invalid: 0, crashed: 0, kills: 0, interrupts: 0, terms: 0, diskFaults: 0, resumes: 0, violations: 0 };
const byScenario: Record<string, number> = {};

function check(dir: string, n: number, bad: Set<number>): string[] {
  const problems: string[] = [];
  const out = readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const failures = readFileSync(join(dir, 'failures.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { index: number });
  if (out.length !== n) problems.push(`${out.length} output lines for ${n} items`);
  const failed: number[] = [];
  out.forEach((line, i) => {
    if (line['index'] !== i) problems.push(`line ${i} has index ${String(line['index'])}`);
    const item = i; // item i is {"n": i}, except the bad lines
    const error = line['error'] as { code: string; message: string } | undefined;
    if (bad.has(i)) {
      if (error?.code !== 'BT_INVALID_INPUT') problems.push(`item ${i}: a bad line did not fail as BT_INVALID_INPUT`);
      counts.invalid++;
    } else if (item % 97 === 13) {
      if (error?.code !== 'BT_TASK_FAILED') problems.push(`item ${i}: expected BT_TASK_FAILED, got ${JSON.stringify(line)}`);
    } else if (item % 331 === 7) {
      if (error?.code !== 'BT_WORKER_CRASHED' || !error.message.startsWith(`item ${i} `)) problems.push(`item ${i}: expected a crash naming item ${i}, got ${JSON.stringify(error)}`);
      counts.crashed++;
    } else if ((line['value'] as { n?: number } | undefined)?.n !== item) problems.push(`item ${i}: wrong value ${JSON.stringify(line)}`);
    if (line['ok'] === false) failed.push(i);
    else counts.ok++;
  });
  counts.failed += failed.length;
  if (JSON.stringify(failures.map((f) => f.index)) !== JSON.stringify(failed)) problems.push('the failures file does not name exactly the failed items');
  return problems;
}

const scenarios = ['clean', 'disk-fault', 'kill', 'interrupt', 'terminate'] as const;
const started = performance.now();
for (let round = 0; round < ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), 'bt-soak-'));
  const n = 200 + Math.floor(random() * 1800);
  const bad = new Set<number>();
  let text = '';
  for (let i = 0; i < n; i++) {
    if (random() < 0.01) {
      bad.add(i);
      text += '{"n":\n';
    } else text += `${JSON.stringify({ n: i })}\n`;
  }
  writeFileSync(join(dir, 'in.jsonl'), text);
  const scenario = pick(scenarios);
  byScenario[scenario] = (byScenario[scenario] ?? 0) + 1;
  const argv = ['run', tasks, '--export', 'soak', '--input', join(dir, 'in.jsonl'), '--output', join(dir, 'out.jsonl'), '--failures', join(dir, 'failures.jsonl'), '--checkpoint', join(dir, 'ck'), '--quiet'];
  let code: number | null;
  if (scenario === 'disk-fault') {
    counts.diskFaults++;
    const fs = faultyFs(1 + Math.floor(random() * 30), random() < 0.5 ? 'fail' : 'short');
    const restore = useFileSystem(fs);

    try {
      code = await quiet(() => main(argv));
    } finally {
      restore();

    }
  } else if (scenario === 'clean') code = await child(argv, dir);
  else {
    const signal: NodeJS.Signals = scenario === 'kill' ? 'SIGKILL' : scenario === 'interrupt' ? 'SIGINT' : 'SIGTERM';
    if (scenario === 'kill') counts.kills++;
    else if (scenario === 'interrupt') counts.interrupts++;
    else counts.terms++;
    code = await child(argv, dir, { signal, ms: 1500 + Math.floor(random() * 4000) });
  }
  for (let tries = 0; (code === null || code > 1) && existsSync(join(dir, 'ck', 'manifest.json')) && tries < 5; tries++) {
    counts.resumes++;
    code = await child(['resume', join(dir, 'ck'), '--quiet'], dir);
  }
  if (code === null || code > 1) code = await child(argv, dir); // the run failed before its checkpoint held anything
  counts.rounds++;
  counts.items += n;
  const problems = code === 0 || code === 1 ? check(dir, n, bad) : [`round ended with exit ${code}`];
  if (problems.length > 0) {
    counts.violations += problems.length;
    console.log(`round ${round} (${scenario}, ${n} items): ${problems.slice(0, 5).join('; ')} [kept in ${dir}]`);
  } else rmSync(dir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({ seed: SEED, seconds: Math.round((performance.now() - started) / 1000), byScenario, ...counts }, null, 2),
);
process.exitCode = counts.violations === 0 ? 0 : 1;
