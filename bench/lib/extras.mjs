/**
 * The measurements other than throughput: peak RSS of a 1e6-item run (fresh child per run), time from pool
 * creation to the first result (fresh child per run), and the per-chunk overhead of batchtools (in process).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { cliLines, encode } from '../workloads.mjs';
import { BATCHTOOLS_ENTRY } from './contenders.mjs';
import { gc, median, procRss, quantile, summary } from './measure.mjs';

const CHILD = (/** @type {string} */ name) => fileURLToPath(new URL(`../child/${name}`, import.meta.url));

/**
 * Run a child node script, polling its peak RSS, killing it after `timeoutMs`.
 * @param {string} script @param {string[]} args @param {number} timeoutMs
 * @returns {Promise<{ json: any, peakMb: number | null, timedOut: boolean, wallMs: number, code: number | null, stderr: string }>}
 */
export function runChild(script, args, timeoutMs) {
  return runChildArgs([script, ...args], timeoutMs);
}

/**
 * Run `node <nodeArgs>`, polling its peak RSS, killing it after `timeoutMs`; its last stdout line is parsed as JSON.
 * @param {string[]} nodeArgs @param {number} timeoutMs
 * @returns {Promise<{ json: any, peakMb: number | null, timedOut: boolean, wallMs: number, code: number | null, stderr: string }>}
 */
export function runChildArgs(nodeArgs, timeoutMs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      const r = child.pid ? procRss(child.pid) : null;
      if (r?.hwmKb) peakKb = Math.max(peakKb, r.hwmKb);
    }, 50);
    const timer = setTimeout(() => {
      timedOut = true;
      const r = child.pid ? procRss(child.pid) : null;
      if (r?.hwmKb) peakKb = Math.max(peakKb, r.hwmKb);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      let json = null;
      const line = stdout.trim().split('\n').filter(Boolean).pop();
      try {
        json = line ? JSON.parse(line) : null;
      } catch {
        /* not JSON */
      }
      resolve({ json, peakMb: peakKb ? Math.round(peakKb / 102.4) / 10 : null, timedOut, wallMs: performance.now() - t0, code, stderr: stderr.slice(-2000) });
    });
  });
}

/**
 * Peak RSS of 1e6 ~1 µs items: idle (input only), batchtools defaults, piscina with every item queued at once.
 * @param {{ n: number, nsPerIter: number, threads: number, timeoutMs: number, queued: boolean, log: (s: string) => void }} o
 */
export async function measureRss(o) {
  const modes = ['idle', 'batchtools', ...(o.queued ? ['piscina-queued'] : [])];
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const mode of modes) {
    o.log(`  rss: ${mode} (${o.n} items${mode === 'piscina-queued' ? `, time limit ${Math.round(o.timeoutMs / 1000)} s` : ''})`);
    const r = await runChild(CHILD('rss.mjs'), [mode, String(o.n), String(o.nsPerIter), String(o.threads)], mode === 'idle' ? 60_000 : o.timeoutMs);
    const submitted = /submitted (\{.*\})/.exec(r.stderr);
    const json = r.json ?? (submitted ? JSON.parse(submitted[1]) : null);
    out[mode] = {
      ok: !r.timedOut && r.code === 0,
      timedOut: r.timedOut,
      exitCode: r.code,
      peakRssMb: Math.max(r.peakMb ?? 0, json?.maxRssMb ?? 0) || null,
      childWallMs: Math.round(r.wallMs),
      ...(json ?? {}),
      ...(r.code !== 0 && !r.timedOut ? { stderr: r.stderr.slice(-600) } : {}),
    };
  }
  return out;
}

/**
 * First call vs warm: fresh processes alternating plain / batchtools, each timing `calls` whole runs of one
 * workload back to back (the first cold). Cold speedup = plain's first run ÷ batchtools' first map (pool creation
 * included); warm speedup = the same with the medians of the last two runs of each process.
 * @param {{ runs: number, calls: number, workload: string, n: number, nsPerIter: number, nsPerAllocMb: number, log: (s: string) => void }} o
 */
export async function measureCold(o) {
  /** @type {Record<string, number[][]>} */
  const acc = { plain: [], batchtools: [] };
  const errors = [];
  o.log(`  first call vs warm: ${o.runs} fresh processes each, ${o.calls} calls of ${o.workload} (N = ${o.n})`);
  for (let r = 0; r < o.runs; r++) {
    for (const mode of r % 2 ? ['batchtools', 'plain'] : ['plain', 'batchtools']) {
      const c = await runChild(CHILD('cold.mjs'), [mode, o.workload, String(o.n), String(o.nsPerIter), String(o.nsPerAllocMb), String(o.calls)], 120_000);
      if (c.json && Array.isArray(c.json.ms)) acc[mode].push(c.json.ms);
      else errors.push(`${mode}: ${c.timedOut ? 'timed out' : `exit ${c.code}: ${c.stderr.slice(-300)}`}`);
    }
  }
  if (!acc.plain.length || !acc.batchtools.length) return { error: errors.join('; ') || 'no sample' };
  const warmOf = (/** @type {number[]} */ xs) => median(xs.slice(-2));
  const plain = { coldMs: summary(acc.plain.map((xs) => xs[0])), warmMs: summary(acc.plain.map(warmOf)) };
  const calls = acc.batchtools[0].length;
  const batchtools = {
    firstMs: summary(acc.batchtools.map((xs) => xs[0])),
    nextMs: Array.from({ length: calls - 1 }, (_, k) => median(acc.batchtools.map((xs) => xs[k + 1]))),
    warmMs: summary(acc.batchtools.map(warmOf)),
  };
  const coldSpeedup = plain.coldMs.median / batchtools.firstMs.median;
  const warmSpeedup = plain.warmMs.median / batchtools.warmMs.median;
  return { workload: o.workload, n: o.n, runs: o.runs, calls: o.calls, plain, batchtools, coldSpeedup, warmSpeedup, samples: acc, errors };
}

/**
 * The CLI on JSON Lines of small records against a plain single-threaded script that reads, parses, computes,
 * stringifies and writes the same lines, and against that script with `rt.map` in place of its loop
 * (bench/child/cli-map.mjs: what a library user writes instead of the CLI), all three timed as whole processes,
 * node start-up included, at ~1 µs (ASCII text, and a third of the texts outside ASCII) and ~100 µs per item.
 * Outputs are compared line by line. With `withMap`, also rt.map's speedup on the ~100 µs records in one warm
 * process (bench/child/map-records.mjs).
 * @param {{ runs: number, lines1us: number, lines100us: number, nsPerIter: number, withMap?: boolean, log: (s: string) => void }} o
 */
export async function measureCli(o) {
  const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'bt-bench-cli-'));
  const bin = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
  const tasks = fileURLToPath(new URL('../workloads.mjs', import.meta.url));
  /** @type {Record<string, any>} */
  const out = {};
  try {
    // 1us-utf8: the same records, a third of them with text outside ASCII (2-, 3- and 4-byte characters).
    for (const [label, us, lines] of /** @type {Array<[string, number, number]>} */ ([['1us', 1, o.lines1us], ['1us-utf8', 1, o.lines1us], ['100us', 100, o.lines100us]])) {
      const iters = Math.max(1, Math.round((us * 1000 - 30) / o.nsPerIter));
      const input = join(dir, `in-${label}.jsonl`);
      writeFileSync(input, cliLines(lines, iters, label === '1us-utf8'));
      o.log(`  cli: ${lines} lines of ~${us} µs records, ${o.runs} runs each of the plain script, batchtools run and the rt.map script`);
      /** @type {{ plain: number[], cli: number[], script: number[], errors: string[] }} */
      const acc = { plain: [], cli: [], script: [], errors: [] };
      const orders = [['plain', 'cli', 'script'], ['cli', 'script', 'plain'], ['script', 'plain', 'cli']];
      for (let r = 0; r < o.runs; r++) {
        for (const mode of orders[r % 3]) {
          const output = join(dir, `out-${label}-${mode}.jsonl`);
          const args =
            mode === 'cli'
              ? [bin, 'run', tasks, '--export', 'workRecord', '--input', input, '--output', output, '--quiet']
              : [fileURLToPath(new URL(`../child/${mode === 'plain' ? 'cli-plain' : 'cli-map'}.mjs`, import.meta.url)), input, output, 'workRecord'];
          const c = await runChildArgs(args, 300_000);
          if (c.code !== 0) acc.errors.push(`${mode}: exit ${c.code}${c.timedOut ? ' (timed out)' : ''}: ${c.stderr.slice(-300)}`);
          else acc[mode].push(c.wallMs);
        }
        if (r === 0) {
          const a = readFileSync(join(dir, `out-${label}-plain.jsonl`), 'utf8');
          const b = readFileSync(join(dir, `out-${label}-cli.jsonl`), 'utf8');
          const c = readFileSync(join(dir, `out-${label}-script.jsonl`), 'utf8');
          if (a !== b) acc.errors.push('the CLI output differs from the plain script output');
          if (a !== c) acc.errors.push('the rt.map script output differs from the plain script output');
        }
      }
      const plain = summary(acc.plain);
      const cli = summary(acc.cli);
      const script = summary(acc.script);
      out[label] = { lines, plainMs: plain, cliMs: cli, scriptMs: script, speedup: plain.median / cli.median, scriptSpeedup: plain.median / script.median, errors: acc.errors };
      if (o.withMap && us >= 100) {
        const m = await runChild(CHILD('map-records.mjs'), [input, String(Math.max(3, o.runs))], 300_000);
        if (m.json) out[label].map = m.json;
        else acc.errors.push(`rt.map: exit ${m.code}: ${m.stderr.slice(-300)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * The controller simulation at 2, 16 and 64 threads with and without stealing (bench/sim-controller.ts, run in a
 * child process through tsx).
 * @param {{ log: (s: string) => void }} o
 */
export async function measureSim(o) {
  o.log('  simulation: bench/sim-controller.ts --json');
  const script = fileURLToPath(new URL('../sim-controller.ts', import.meta.url));
  const c = await runChildArgs(['--import', 'tsx', script, '--json'], 300_000);
  if (!c.json) return { error: c.timedOut ? 'timed out' : `exit ${c.code}: ${c.stderr.slice(-400)}` };
  return c.json;
}

/**
 * Creation → first result in a fresh process, median of `runs`, for batchtools, two bare workers and piscina.
 * @param {{ runs: number, nsPerIter: number, threads: number, log: (s: string) => void }} o
 */
export async function measureStartup(o) {
  const modes = ['batchtools', 'raw', 'piscina'];
  /** @type {Record<string, { firstResultMs: number[], importMs: number[], errors: string[] }>} */
  const acc = Object.fromEntries(modes.map((m) => [m, { firstResultMs: [], importMs: [], errors: [] }]));
  o.log(`  start-up: ${o.runs} fresh processes each for ${modes.join(', ')}`);
  for (let r = 0; r < o.runs; r++) {
    for (const mode of r % 2 ? [...modes].reverse() : modes) {
      const c = await runChild(CHILD('startup.mjs'), [mode, String(o.nsPerIter), String(o.threads)], 30_000);
      if (c.json && typeof c.json.firstResultMs === 'number') {
        acc[mode].firstResultMs.push(c.json.firstResultMs);
        acc[mode].importMs.push(c.json.importMs);
      } else acc[mode].errors.push(c.timedOut ? 'timed out' : `exit ${c.code}: ${c.stderr.slice(-300)}`);
    }
  }
  return Object.fromEntries(
    modes.map((m) => [
      m,
      { firstResultMs: summary(acc[m].firstResultMs), importMs: summary(acc[m].importMs), samples: acc[m].firstResultMs.map((x) => +x.toFixed(1)), errors: acc[m].errors },
    ]),
  );
}

/**
 * Per-chunk overhead of batchtools: sequential round trips of a 1-item map of the empty task, and the pipelined
 * cost per chunk of `chunkSize: 1` over many empty items; piscina and a bare postMessage round trip as floors.
 * @param {{ calls: number, pipelined: number, threads: number, log: (s: string) => void }} o
 */
export async function measureOverhead(o) {
  const url = new URL('../workloads.mjs', import.meta.url);
  /** @type {Record<string, unknown>} */
  const out = {};
  const lat = (/** @type {number[]} */ xs) => ({
    p50: +median(xs).toFixed(1),
    p90: +quantile(xs, 0.9).toFixed(1),
    p99: +quantile(xs, 0.99).toFixed(1),
    min: +Math.min(...xs).toFixed(1),
    samples: xs.length,
  });
  o.log(`  overhead: ${o.calls} sequential 1-item maps of an empty task, then ${o.pipelined} empty items with chunkSize 1`);
  try {
    const bt = await import(BATCHTOOLS_ENTRY.href);
    const rt = bt.createRuntime();
    const task = bt.defineTask(url, 'noop');
    await rt.map(Array.from({ length: 64 }, (_, i) => i), task);
    for (let i = 0; i < 200; i++) await rt.map([i], task);
    gc();
    const xs = [];
    for (let i = 0; i < o.calls; i++) {
      const t0 = performance.now();
      await rt.map([i], task);
      xs.push((performance.now() - t0) * 1000);
    }
    out.batchtoolsSequentialUs = lat(xs);
    const items = Array.from({ length: o.pipelined }, (_, i) => i);
    await rt.map(items.slice(0, 2000), task, { chunkSize: 1 });
    gc();
    const t0 = performance.now();
    await rt.map(items, task, { chunkSize: 1 });
    const wall = performance.now() - t0;
    const threads = rt.plan?.threads ?? o.threads;
    out.batchtoolsPipelinedChunk1 = {
      items: o.pipelined,
      wallMs: +wall.toFixed(1),
      chunksPerSecond: Math.round((o.pipelined * 1000) / wall),
      usPerChunkPerWorker: +((wall * 1000 * threads) / o.pipelined).toFixed(1),
      threads,
    };
    // A traced run gives the dispatcher's own view of a chunk's round trip.
    /** @type {any} */
    let trace = null;
    await rt.map(items.slice(0, 5000), task, { chunkSize: 1, trace: true, onTrace: (t) => (trace = t) });
    if (trace && !Array.isArray(trace)) trace = trace.chunks; // newer builds: { chunks, decisions }
    if (Array.isArray(trace)) {
      out.batchtoolsTraceChunk1 = {
        roundTripUsP50: +(median(trace.map((c) => c.roundTripMs)) * 1000).toFixed(1),
        roundTripUsP99: +(quantile(trace.map((c) => c.roundTripMs), 0.99) * 1000).toFixed(1),
        runUsP50: +(median(trace.map((c) => c.runMs)) * 1000).toFixed(2),
        chunks: trace.length,
      };
    }
    await rt.close();
  } catch (e) {
    out.batchtoolsError = String(/** @type {Error} */ (e)?.stack ?? e).slice(0, 800);
  }
  try {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: url.href, minThreads: o.threads, maxThreads: o.threads });
    for (let i = 0; i < 264; i++) await pool.run(i, { name: 'noop' });
    gc();
    const xs = [];
    for (let i = 0; i < o.calls; i++) {
      const t0 = performance.now();
      await pool.run(i, { name: 'noop' });
      xs.push((performance.now() - t0) * 1000);
    }
    out.piscinaSequentialUs = lat(xs);
    await pool.destroy();
  } catch (e) {
    out.piscinaError = String(e).slice(0, 400);
  }
  {
    const w = new Worker(new URL('../workers/sab-worker.mjs', import.meta.url));
    const ping = (/** @type {number} */ i) =>
      new Promise((resolve) => {
        w.once('message', resolve);
        w.postMessage({ type: 'ping', item: encode(0, 0, i & 4095) });
      });
    for (let i = 0; i < 264; i++) await ping(i);
    const xs = [];
    for (let i = 0; i < o.calls; i++) {
      const t0 = performance.now();
      await ping(i);
      xs.push((performance.now() - t0) * 1000);
    }
    out.rawPostMessageUs = lat(xs);
    await w.terminate();
  }
  return out;
}
