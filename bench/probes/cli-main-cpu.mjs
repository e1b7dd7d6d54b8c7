#!/usr/bin/env node
/**
 * `node bench/probes/cli-main-cpu.mjs [--runs 10] [--lines 300000] [--other DIR]`: the main thread's CPU time of
 * `batchtools run` on bench:cli's ~1 µs records (`--export workRecord`), read from /proc at the process's exit
 * (Linux; Node 20 has no per-thread CPU clock), with the whole process's wall time; medians of `--runs`. With
 * `--other`, the same for another checkout (its `dist/` built), in turns: an A/B of the main thread's share.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagReader, wholeFlag } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const args = process.argv.slice(2);
if (args[0] === '--child') {
  // node cli-main-cpu.mjs --child <bin> <log> <batchtools arguments…>: run the CLI in this process, log at exit.
  const [, bin, log, ...rest] = args;
  process.argv = [process.argv[0], bin, ...rest];
  const mainThreadCpuMs = () => {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ticks of 10 ms
  };
  process.on('exit', () => appendFileSync(log, `${mainThreadCpuMs()} ${performance.now().toFixed(1)}\n`));
  await import(bin);
} else {
  const opt = flagReader(args);
  const runs = wholeFlag(args, 'runs', 10, 1);
  const lines = wholeFlag(args, 'lines', 300_000, 1);
  const other = opt('other', '');
  const { calibrate, cliLines } = await import('../workloads.mjs');
  const iters = Math.max(1, Math.round((1000 - 30) / calibrate().nsPerIter));
  const dir = mkdtempSync(join(tmpdir(), 'bt-cli-cpu-'));
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, cliLines(lines, iters));
  const tasks = fileURLToPath(new URL('../workloads.mjs', import.meta.url));
  const builds = [['this checkout', fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url))]];
  if (other) builds.push([other, join(resolve(other), 'dist/src/cli/bin.js')]);
  try {
    for (let r = 0; r < runs; r++) {
      for (const [k, [, bin]] of builds.entries()) {
        const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', bin, join(dir, `log-${k}`), 'run', tasks, '--export', 'workRecord', '--input', input, '--output', join(dir, 'out.jsonl'), '--quiet'], { encoding: 'utf8' });
        if (c.status !== 0) throw new Error(`batchtools run exited ${c.status}: ${c.stderr.slice(-400)}`);
      }
    }
    for (const [k, [name]] of builds.entries()) {
      const rows = readFileSync(join(dir, `log-${k}`), 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
      const cpu = rows.map((x) => x[0]);
      const wall = rows.map((x) => x[1]);
      process.stdout.write(`${name}: main thread CPU median ${median(cpu)} ms (${Math.min(...cpu)}-${Math.max(...cpu)}), process lifetime median ${median(wall).toFixed(0)} ms, ${rows.length} runs of ${lines} lines\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
