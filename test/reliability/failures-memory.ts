/**
 * Failures do not accumulate in the CLI (break 16 of the adversarial review: each failure used to be kept for the
 * whole run, 637 MB to 1 GB of RSS for 1 M failing items). Runs the CLI from the sources on two input sizes whose
 * every item fails (with --failures), samples the live heap after forced GCs (fixtures/heap-peak.cjs), and fails
 * when the larger run's peak live heap grows by more than BYTES_PER_ITEM per extra item.
 *
 * Not part of `npm test`: the peak also holds chunks in flight and output lines waiting for an earlier line (kept in
 * memory up to ordered-output.ts's budget, then spilled to disk), which grow with the chunk sizes the adaptive
 * policy picks as a run gets longer and with the machine's load: bounded, but not flat for small runs. Measured on
 * the shared machine (load 6-20): 10.4 MB for 4,000 failures, 23.9 MB for 60,000 (254 B per extra failure: the
 * buffers filling), 20.9 MB for 60,000 and 29.1 MB for 200,000 (62 B per extra failure, falling: bounded). Kept
 * failures cost more than 500 B each, at every size.
 * At 1 M (2026-12-01, `node --import tsx test/reliability/failures-memory.ts 100000 1000000 --dist`, load 20-30
 * on 2 cores): peak live heap 29.5 MB for 100,000 failures and 40.4 MB for 1,000,000 (12.8 B per extra failure);
 * peak RSS (worker threads included) 177.9 MB and 240.3 MB; 107 s and 799 s.
 * Run: node --import tsx test/reliability/failures-memory.ts [small=50000] [large=200000] [--dist]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '../..');
const tasks = join(here, 'fixtures/tasks.mjs');
const tsx = join(root, 'node_modules/tsx/dist/loader.mjs');
/** `--dist`: the built CLI (npm run build), without the TypeScript loader (faster, and what users run). */
const fromDist = process.argv.includes('--dist');
const distDir = process.env['BT_DIST_DIR'] ?? join(root, 'dist');
const bin = fromDist ? join(distDir, 'src/cli/bin.js') : join(root, 'src/cli/bin.ts');
const loader = fromDist ? [] : ['--import', `file://${tsx}`];
/** A kept failure record costs well over 500 bytes; a flat heap adds next to nothing per item. */
const BYTES_PER_ITEM = 100;

/** Peak live heap and peak RSS of a run of `n` failing items, bytes. */
async function failingRun(dir: string, n: number): Promise<{ heap: number; rss: number; seconds: number }> {
  const input = join(dir, `in${n}.jsonl`);
  writeFileSync(input, Array.from({ length: n }, (_, i) => `${i}\n`).join(''));
  const heapFile = join(dir, `heap${n}.txt`);
  const args = ['run', tasks, '--export', 'alwaysFails', '--input', input, '--output', join(dir, `out${n}.jsonl`)];
  args.push('--failures', join(dir, `failed${n}.jsonl`), '--threads', '2');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', '--require', join(here, 'fixtures/heap-peak.cjs'), ...loader, bin, ...args], {
    env: { ...process.env, BT_HEAP_FILE: heapFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 1) throw new Error(`the run of ${n} failing items ended with ${code} (expected 1): ${stderr}`);
  const failed = readFileSync(join(dir, `failed${n}.jsonl`), 'utf8').split('\n').length - 1;
  if (failed !== n) throw new Error(`the run of ${n} failing items wrote ${failed} failures: ${stderr}`);
  const [heap, rss] = readFileSync(heapFile, 'utf8').split(' ').map(Number);
  return { heap: heap!, rss: rss!, seconds: (performance.now() - t0) / 1000 };
}

const sizes = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [small, large] = [Number(sizes[0] ?? 50_000), Number(sizes[1] ?? 200_000)];
const dir = mkdtempSync(join(tmpdir(), 'bt-failures-memory-'));
try {
  const a = await failingRun(dir, small);
  const b = await failingRun(dir, large);
  const perItem = (b.heap - a.heap) / (large - small);
  const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
  console.log(`peak live heap: ${mb(a.heap)} MB for ${small} failures, ${mb(b.heap)} MB for ${large}: ${perItem.toFixed(1)} bytes per extra failure`);
  console.log(`peak RSS: ${mb(a.rss)} MB for ${small} failures (${a.seconds.toFixed(0)} s), ${mb(b.rss)} MB for ${large} (${b.seconds.toFixed(0)} s)`);
  if (perItem > BYTES_PER_ITEM) {
    console.error(`failures accumulate: more than ${BYTES_PER_ITEM} bytes per extra failure`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
