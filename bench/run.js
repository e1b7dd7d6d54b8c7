#!/usr/bin/env node
/**
 * batchtools benchmark: `npm run bench [-- flags]`. See `--help`.
 *
 * Every contender runs in this one process, side by side, in a shuffled order per repeat and workload, with the
 * plain single-threaded loop timed before and after each round (its mean rate is the baseline of that round).
 * Speedup = items/s ÷ plain items/s of the same round; efficiency = speedup ÷ speedup of the practical limit
 * (bare workers over a SharedArrayBuffer) of the same round. Medians over repeats, with min and max.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { allContenders } from './lib/contenders.mjs';
import { measureCli, measureCold, measureOverhead, measureRss, measureSim, measureStartup } from './lib/extras.mjs';
import { describeMachine } from './lib/machine.mjs';
import { gc, median, quantile, shuffle, sleep, startWindow, summary, waitQuiet, withTimeout } from './lib/measure.mjs';
import { writeBenchHtml } from './html.mjs';
import { renderMarkdown, renderStdout } from './lib/report.mjs';
import { WORKLOADS, calibrate, expectedMeanUs } from './workloads.mjs';

const HELP = `Usage: npm run bench -- [flags]

  --quick                 short run: 1 repeat, ~0.3 s plain loop per workload, smaller extras (~2-3 min)
  --repeats N             repeats (default 3, quick 1)
  --workloads a,b         subset of: ${Object.keys(WORKLOADS).join(', ')} (default all)
  --contenders a,b        subset by id or id prefix, e.g. batchtools,piscina-2t/chunk,poolifier
                          (the plain loop and the practical limit always run: every figure needs them)
  --seconds S             target single-threaded time per workload (default 1, quick 0.3; 1us takes 1.5× that: 1.5 M items)
  --per-item-cap N        per-item dispatch on uniform workloads is timed on the first N items (default 50000, quick 10000)
  --max-foreign X         retry a timed run when other processes used more than X cores meanwhile (default 0.25)
  --attempts N            timed attempts per run at most (default 2, quick 1)
  --quiet-wait S          before a timed pass, wait up to S seconds for other load to drop (default 3, quick 1;
                          a retry waits up to 3·S)
  --retry-budget S        total seconds the whole run may spend on those waits and re-runs (default 150, quick 20)
  --run-timeout S         watchdog per timed run, seconds (default 180)
  --no-rss                skip the 1e6-item peak-RSS measurements
  --no-rss-queued         skip only piscina-with-everything-queued (the slow one)
  --rss-items N           items in the RSS runs (default 1000000)
  --rss-timeout S         time limit per RSS child (default 60, quick 25); a killed child still reports its peak
  --no-startup            skip the creation -> first-result measurements
  --startup-runs N        fresh processes per start-up contender (default 7, quick 3)
  --no-overhead           skip the per-chunk overhead measurement
  --no-cold               skip first call vs warm (fresh processes, falling-cost workload)
  --cold-runs N           fresh processes per side for first call vs warm (default 3, quick 2)
  --no-sim                skip the controller simulation at 2, 16 and 64 threads (bench/sim-controller.ts)
  --no-cli                skip the CLI against a plain single-threaded script (JSON Lines of small records)
  --cli-runs N            runs per side of the CLI comparison (default 3, quick 1)
  --no-trace              skip the traced (untimed) batchtools run per workload
  --no-isolation          skip the cost-of-crash-isolation run (bench/isolation.mjs, results/isolation.*)
  --seed N                shuffle seed (default 1)
  --out NAME              write bench/results/NAME.json and NAME.md (default latest)
  --list                  print workloads and contenders and exit
  --render NAME           re-render bench/results/NAME.md, NAME.html and the stdout tables from NAME.json, run nothing
  --help`;

/** @returns {Record<string, any>} */
function parseArgs(argv) {
  /** @type {Record<string, any>} */
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const [k, inline] = arg.slice(2).split('=', 2);
    const flags = ['quick', 'no-rss', 'no-rss-queued', 'no-startup', 'no-overhead', 'no-cold', 'no-sim', 'no-cli', 'no-trace', 'no-isolation', 'list', 'help'];
    if (flags.includes(k)) a[k] = true;
    else {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${k} needs a value`);
      a[k] = v;
    }
  }
  const known = ['quick', 'repeats', 'workloads', 'contenders', 'seconds', 'per-item-cap', 'max-foreign', 'attempts', 'quiet-wait', 'retry-budget', 'run-timeout', 'no-rss', 'no-rss-queued', 'rss-items', 'rss-timeout', 'no-startup', 'startup-runs', 'no-overhead', 'no-cold', 'cold-runs', 'no-sim', 'no-cli', 'cli-runs', 'no-trace', 'no-isolation', 'seed', 'out', 'list', 'render', 'help'];
  for (const k of Object.keys(a)) if (!known.includes(k)) throw new Error(`unknown flag --${k} (see --help)`);
  const quick = !!a.quick;
  const num = (/** @type {string} */ k, /** @type {number} */ d) => {
    if (a[k] === undefined) return d;
    const v = Number(a[k]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number, got ${a[k]}`);
    return v;
  };
  return {
    quick,
    help: !!a.help,
    list: !!a.list,
    repeats: Math.round(num('repeats', quick ? 1 : 3)),
    workloads: a.workloads ? String(a.workloads).split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(WORKLOADS),
    contenders: a.contenders ? String(a.contenders).split(',').map((s) => s.trim()).filter(Boolean) : null,
    seconds: num('seconds', quick ? 0.3 : 1),
    perItemCap: Math.round(num("per-item-cap", quick ? 10_000 : 50_000)),
    maxForeign: num('max-foreign', 0.25),
    attempts: Math.round(num('attempts', quick ? 1 : 2)),
    quietWaitMs: num('quiet-wait', quick ? 1 : 3) * 1000,
    retryBudgetS: num('retry-budget', quick ? 20 : 150),
    runTimeoutMs: num('run-timeout', 180) * 1000,
    rss: !a['no-rss'],
    rssQueued: !a['no-rss-queued'],
    rssItems: Math.round(num('rss-items', 1_000_000)),
    rssTimeoutMs: num('rss-timeout', quick ? 25 : 60) * 1000,
    startup: !a['no-startup'],
    startupRuns: Math.round(num('startup-runs', quick ? 3 : 7)),
    overhead: !a['no-overhead'],
    cold: !a['no-cold'],
    coldRuns: Math.round(num('cold-runs', quick ? 2 : 3)),
    sim: !a['no-sim'],
    cli: !a['no-cli'],
    cliRuns: Math.round(num('cli-runs', quick ? 1 : 3)),
    trace: !a['no-trace'],
    noIsolation: !!a['no-isolation'],
    seed: Math.round(num('seed', 1)),
    out: a.out ?? 'latest',
    render: a.render ?? null,
  };
}

/** Unhandled rejections seen during the run (a pool that rejects a promise nobody awaits). */
const unhandled = [];
process.on('unhandledRejection', (e) => {
  unhandled.push(errText(e));
  log(`(unhandled rejection, ignored: ${errText(e)})`);
});

const log = (/** @type {string} */ s) => process.stderr.write(s + '\n');
const errText = (/** @type {unknown} */ e) => {
  const x = /** @type {any} */ (e);
  return `${x?.name ?? 'Error'}${x?.code ? ` [${x.code}]` : ''}: ${x?.message ?? String(e)}`.slice(0, 500);
};

/** Compare a result array with the reference prefix. @param {unknown[]} got @param {number[]} ref */
function check(got, ref) {
  if (!Array.isArray(got)) return `result is not an array (${Object.prototype.toString.call(got)})`;
  if (got.length !== ref.length) return `result length ${got.length}, expected ${ref.length}`;
  for (let i = 0; i < ref.length; i++) if (got[i] !== ref[i]) return `result[${i}] = ${got[i]}, expected ${ref[i]}`;
  return null;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cores = os.availableParallelism();
  let contenders = allContenders(cores);
  if (opts.help || opts.list) {
    if (opts.help) console.log(HELP);
    console.log(`\nworkloads:\n${Object.values(WORKLOADS).map((w) => `  ${w.name.padEnd(7)} ${w.description}`).join('\n')}`);
    console.log(`\ncontenders:\n${contenders.map((c) => `  ${c.id.padEnd(24)} ${c.how}`).join('\n')}`);
    return;
  }
  if (opts.render) {
    const r = JSON.parse(readFileSync(new URL(`./results/${opts.render}.json`, import.meta.url), 'utf8'));
    writeFileSync(new URL(`./results/${opts.render}.md`, import.meta.url), renderMarkdown(r));
    await writeBenchHtml(r, opts.render);
    process.stdout.write(renderStdout(r));
    return;
  }
  for (const w of opts.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}; known: ${Object.keys(WORKLOADS).join(', ')}`);
  if (opts.contenders) {
    const wanted = opts.contenders;
    for (const p of wanted) if (!contenders.some((c) => c.id === p || c.id.startsWith(p))) throw new Error(`no contender matches ${p} (see --list)`);
    contenders = contenders.filter((c) => c.id === 'plain' || c.family === 'limit' || wanted.some((p) => c.id === p || c.id.startsWith(p)));
  }
  const startedAt = new Date();
  const tStart = performance.now();
  const command =
    process.env.npm_lifecycle_event === 'bench'
      ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
      : `node ${process.argv.slice(1).map((s) => s.replace(process.cwd() + '/', '')).join(' ')}`;
  log(`batchtools bench: ${command}`);
  const machine = await describeMachine();
  log(`machine: ${machine.cpu?.brand ?? machine.nodeOs.cpuModel}, ${machine.cpu?.physicalCores ?? '?'} physical / ${cores} logical cores, Node ${process.version}`);

  const cal = calibrate();
  log(`calibration: ${cal.nsPerIter.toFixed(3)} ns per mixing round, ${(cal.nsPerAllocMb / 1e6).toFixed(2)} ms per MiB allocated`);

  /** @type {Record<string, { spec: any, n: number, items: number[], ref: number[] | null, expectedMeanUs: number }>} */
  const wl = {};
  for (const name of opts.workloads) {
    const spec = WORKLOADS[name];
    const mean = expectedMeanUs(spec, cal);
    const n = Math.max(16 * cores, Math.round((opts.seconds * (spec.weight ?? 1) * 1e6) / mean));
    wl[name] = { spec, n, items: spec.make(n, cal), ref: null, expectedMeanUs: mean };
  }

  /** @type {Record<string, Record<string, any[]>>} */
  const records = {};
  /** @type {Record<string, any[]>} */
  const plainRecords = {};
  for (const name of opts.workloads) {
    records[name] = Object.fromEntries(contenders.filter((c) => c.id !== 'plain').map((c) => [c.id, []]));
    plainRecords[name] = [];
  }

  const plain = contenders.find((c) => c.id === 'plain');
  if (!plain) throw new Error('internal: no plain contender');
  /** @type {Record<string, import('./lib/contenders.mjs').Instance>} */
  const plainInsts = {};
  for (const name of opts.workloads) plainInsts[name] = await plain.create(/** @type {any} */ ({ task: wl[name].spec.task ?? 'work' }));

  // Waiting for a quiet machine and re-running noisy passes draws on one budget for the whole run, so a machine
  // that stays busy cannot stretch the run without bound; once spent, passes run as they come (marked ~).
  let budgetMs = opts.retryBudgetS * 1000;
  const quiet = async (/** @type {number} */ attempt) => {
    const maxMs = budgetMs <= 0 ? 100 : Math.min(budgetMs, attempt === 1 ? opts.quietWaitMs : 3 * opts.quietWaitMs);
    const q = await waitQuiet(opts.maxForeign, maxMs);
    budgetMs -= Math.max(0, q.waitedMs - 100);
    return q;
  };
  const mayRetry = (/** @type {number | null} */ foreign, /** @type {number} */ attempt) =>
    foreign !== null && foreign > opts.maxForeign && attempt < opts.attempts && budgetMs > 0;

  /**
   * One timed pass of the plain loop (retried when the machine was busy).
   * @param {string} name
   */
  async function timePlain(name) {
    const w = wl[name];
    let rec = null;
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      await quiet(attempt);
      gc();
      const end = startWindow();
      const out = await plainInsts[name].run(w.items);
      const win = end();
      if (!w.ref) w.ref = out;
      const error = check(out, w.ref);
      rec = { attempt, wallMs: win.wallMs, rate: (w.n * 1000) / win.wallMs, coresUsed: win.coresUsed, foreignCores: win.foreignCores, error };
      if (!mayRetry(win.foreignCores, attempt)) break;
      budgetMs -= win.wallMs;
      log(`    plain: other load ${win.foreignCores.toFixed(2)} cores, retrying`);
    }
    return /** @type {any} */ (rec);
  }

  /**
   * Create, warm, time and close one contender on one workload (retried when the machine was busy).
   * @param {import('./lib/contenders.mjs').Contender} c @param {string} name
   */
  async function timeContender(c, name) {
    const w = wl[name];
    const prefix = c.perItem && w.spec.uniform && w.n > opts.perItemCap;
    const items = prefix ? w.items.slice(0, opts.perItemCap) : w.items;
    const ref = /** @type {number[]} */ (prefix ? /** @type {number[]} */ (w.ref).slice(0, opts.perItemCap) : w.ref);
    /** @type {any} */
    let rec = null;
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      rec = { attempt, timedItems: items.length, prefix };
      const tAll = performance.now();
      rec.quietWaitMs = Math.round((await quiet(attempt)).waitedMs);
      /** @type {import('./lib/contenders.mjs').Instance | null} */
      let inst = null;
      try {
        const t0 = performance.now();
        const created = await withTimeout(c.create({ cores, n: w.n, nsPerIter: cal.nsPerIter, task: w.spec.task ?? 'work' }), 60_000);
        if (!created.ok) throw new Error('creating and warming the pool took over 60 s');
        inst = created.value;
        if (inst.prepare) await inst.prepare(items);
        rec.createMs = performance.now() - t0;
        if (inst.info) rec.info = inst.info;
        gc();
        await sleep(20);
        const end = startWindow();
        const res = await withTimeout(inst.run(items), opts.runTimeoutMs);
        const win = end();
        if (!res.ok) {
          rec.error = `timed out after ${opts.runTimeoutMs / 1000} s (hang?)`;
          rec.timedOut = true;
        } else {
          rec.error = check(/** @type {unknown[]} */ (res.value), ref);
          rec.wallMs = win.wallMs;
          rec.rate = (items.length * 1000) / win.wallMs;
          rec.coresUsed = win.coresUsed;
          rec.foreignCores = win.foreignCores;
          // The main thread's CPU share of the wall time, and the other threads' CPU (workers, GC helpers) per core.
          rec.mainShare = win.mainShare;
          rec.workersBusy = win.otherCpuMs === null ? null : win.otherCpuMs / (cores * win.wallMs);
        }
      } catch (e) {
        rec.error = errText(e);
      } finally {
        if (inst) {
          const closed = await withTimeout(inst.close().then(() => true, (e) => errText(e)), 5_000);
          if (!closed.ok) rec.closeError = 'close() did not settle within 5 s (left behind)';
          else if (closed.value !== true) rec.closeError = closed.value;
        }
        rec.totalMs = Math.round(performance.now() - tAll);
      }
      if (rec.error || !mayRetry(rec.foreignCores, attempt)) break;
      budgetMs -= rec.totalMs ?? 0;
      log(`    ${c.id}: other load ${rec.foreignCores.toFixed(2)} cores, retrying`);
    }
    return rec;
  }

  // ---- throughput rounds -------------------------------------------------------------------------------------
  const others = contenders.filter((c) => c.id !== 'plain');
  for (let r = 0; r < opts.repeats; r++) {
    for (const [wi, name] of opts.workloads.entries()) {
      const tW = performance.now();
      const w = wl[name];
      log(`repeat ${r + 1}/${opts.repeats}, workload ${name} (N = ${w.n})`);
      const before = await timePlain(name);
      /** @type {Record<string, any>} */
      const round = {};
      for (const c of shuffle(others, opts.seed * 7919 + r * 131 + wi)) {
        const rec = await timeContender(c, name);
        round[c.id] = rec;
        log(
          `  ${c.id.padEnd(24)} ${rec.error ? `ERROR ${rec.error}` : `${Math.round(rec.rate).toLocaleString('en-US').padStart(11)} items/s  ${rec.wallMs.toFixed(0).padStart(6)} ms`}` +
            `${rec.prefix ? ` (first ${rec.timedItems})` : ''} [create ${Math.round(rec.createMs ?? 0)}, wait ${rec.quietWaitMs}, total ${rec.totalMs} ms]${rec.foreignCores > opts.maxForeign ? ` [other load ${rec.foreignCores.toFixed(2)}]` : ''}`,
        );
      }
      const after = await timePlain(name);
      // Other load only ever slows a pass down, so the faster of the two plain passes is the baseline.
      const plainRate = Math.max(before.rate, after.rate);
      const isClean = (/** @type {any} */ x) => x.foreignCores === null || x.foreignCores === undefined || x.foreignCores <= opts.maxForeign;
      const plainPass = before.rate >= after.rate ? before : after;
      const plainClean = isClean(plainPass);
      plainRecords[name].push({ repeat: r, before, after, rate: plainRate, clean: plainClean, spread: Math.abs(before.rate - after.rate) / plainRate });
      const limitRec = Object.entries(round).find(([id]) => id.startsWith('limit/'))?.[1];
      const limitSpeedup = limitRec && !limitRec.error ? limitRec.rate / plainRate : NaN;
      const limitClean = !!limitRec && !limitRec.error && isClean(limitRec);
      for (const [id, rec] of Object.entries(round)) {
        rec.repeat = r;
        if (!rec.error) {
          rec.speedup = rec.rate / plainRate;
          rec.efficiency = rec.speedup / limitSpeedup;
          // clean: neither this pass nor the baseline it is divided by ran next to foreign load (and, for
          // efficiency, nor the practical-limit pass of the same round)
          rec.clean = isClean(rec) && plainClean;
          rec.cleanEfficiency = rec.clean && limitClean;
        }
        records[name][id].push(rec);
      }
      log(
        `  plain ${Math.round(plainRate).toLocaleString('en-US')} items/s (faster pass; before/after differ by ${(100 * Math.abs(before.rate - after.rate) / plainRate).toFixed(1)}%); ` +
          `batchtools ${round.batchtools?.speedup?.toFixed(2) ?? 'n/a'}x, limit ${limitSpeedup.toFixed(2)}x; ${((performance.now() - tW) / 1000).toFixed(1)} s`,
      );
    }
  }
  const throughputSeconds = (performance.now() - tStart) / 1000;

  // ---- traced batchtools runs (untimed diagnostics) ----------------------------------------------------------
  /** @type {Record<string, any>} */
  const traces = {};
  if (opts.trace && contenders.some((c) => c.id === 'batchtools')) {
    log('traced batchtools runs (diagnostics, not in the speedups)');
    for (const name of opts.workloads) {
      try {
        const bt = await import(new URL('../dist/src/index.js', import.meta.url).href);
        const rt = bt.createRuntime();
        const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), 'work');
        await rt.map(wl[name].items.slice(0, 64), task);
        /** @type {any[] | null} */
        let trace = null;
        gc();
        const t0 = performance.now();
        await rt.map(wl[name].items, task, { trace: true, onTrace: (t) => (trace = /** @type {any} */ (t)) });
        const wall = performance.now() - t0;
        await rt.close();
        traces[name] = traceStats(trace, wall, rt.plan?.threads ?? cores);
        log(`  ${name}: ${JSON.stringify(traces[name])}`);
      } catch (e) {
        traces[name] = { error: errText(e) };
      }
    }
  }

  // ---- extras --------------------------------------------------------------------------------------------------
  /** @type {Record<string, any>} */
  const extras = {};
  if (opts.overhead) {
    log('per-chunk overhead');
    extras.overhead = await measureOverhead({ calls: opts.quick ? 500 : 2000, pipelined: opts.quick ? 10_000 : 40_000, threads: cores, log });
  }
  if (opts.cold) {
    log('first call vs warm');
    const name = 'falling';
    const spec = WORKLOADS[name];
    const n = Math.max(16 * cores, Math.round((opts.seconds * 1e6) / expectedMeanUs(spec, cal)));
    extras.cold = await measureCold({ runs: opts.coldRuns, calls: 4, workload: name, n, nsPerIter: cal.nsPerIter, nsPerAllocMb: cal.nsPerAllocMb, log });
  }
  if (opts.cli) {
    log('CLI vs a plain script');
    const scale = opts.seconds;
    extras.cli = await measureCli({ runs: opts.cliRuns, lines1us: Math.round(300_000 * scale), lines100us: Math.round(10_000 * scale), nsPerIter: cal.nsPerIter, log });
  }
  if (opts.sim) {
    log('controller simulation');
    extras.sim = await measureSim({ log });
  }
  if (opts.startup) {
    log('start-up');
    extras.startup = await measureStartup({ runs: opts.startupRuns, nsPerIter: cal.nsPerIter, threads: cores, log });
  }
  if (opts.rss) {
    log('peak RSS');
    extras.rss = await measureRss({ n: opts.rssItems, nsPerIter: cal.nsPerIter, threads: cores, timeoutMs: opts.rssTimeoutMs, queued: opts.rssQueued, log });
  }

  // ---- summarise ------------------------------------------------------------------------------------------------
  /** @type {Record<string, Record<string, any>>} */
  const cells = {};
  for (const name of opts.workloads) {
    cells[name] = {};
    const pr = plainRecords[name];
    cells[name].plain = {
      rate: summary(pr.map((p) => p.rate)),
      speedup: summary(pr.map(() => 1)),
      beforeAfterSpread: summary(pr.map((p) => p.spread)),
      repeats: pr,
    };
    for (const c of others) {
      const recs = records[name][c.id];
      const good = recs.filter((x) => !x.error);
      // Medians over clean repeats when there is one; otherwise over all, and the cell is marked contaminated.
      const cleanS = good.filter((x) => x.clean);
      const cleanE = good.filter((x) => x.cleanEfficiency);
      const useS = cleanS.length ? cleanS : good;
      const useE = cleanE.length ? cleanE : good;
      cells[name][c.id] = {
        speedup: summary(useS.map((x) => x.speedup)),
        efficiency: summary(useE.map((x) => x.efficiency)),
        rate: summary(useS.map((x) => x.rate)),
        cleanRepeats: { speedup: cleanS.length, efficiency: cleanE.length, of: recs.length },
        contaminated: { speedup: good.length > 0 && cleanS.length === 0, efficiency: good.length > 0 && cleanE.length === 0 },
        allRepeats: { speedup: summary(good.map((x) => x.speedup)), efficiency: summary(good.map((x) => x.efficiency)) },
        createMs: summary(recs.map((x) => x.createMs)),
        coresUsed: summary(good.map((x) => x.coresUsed)),
        mainShare: summary(useS.map((x) => x.mainShare)),
        workersBusy: summary(useS.map((x) => x.workersBusy)),
        maxForeignCores: Math.max(0, ...recs.map((x) => x.foreignCores ?? 0)),
        prefix: recs.some((x) => x.prefix) ? recs[0].timedItems : null,
        errors: recs.filter((x) => x.error).map((x) => `repeat ${x.repeat + 1}: ${x.error}`),
        closeErrors: recs.filter((x) => x.closeError).map((x) => `repeat ${x.repeat + 1}: ${x.closeError}`),
        repeats: recs,
      };
    }
  }
  const result = {
    schema: 1,
    date: startedAt.toISOString(),
    command,
    options: opts,
    durationSeconds: { total: (performance.now() - tStart) / 1000, throughput: throughputSeconds },
    retryBudgetLeftSeconds: Math.max(0, budgetMs / 1000),
    machine,
    calibration: { nsPerIter: cal.nsPerIter, msPerAllocatedMiB: cal.nsPerAllocMb / 1e6 },
    workloads: Object.fromEntries(
      opts.workloads.map((name) => {
        const w = wl[name];
        const plainRate = median(plainRecords[name].map((p) => p.rate));
        return [name, { description: w.spec.description, n: w.n, expectedMeanUs: +w.expectedMeanUs.toFixed(2), measuredMeanUs: +(1e6 / plainRate).toFixed(2), plainSeconds: +(w.n / plainRate).toFixed(3) }];
      }),
    ),
    contenders: contenders.map((c) => ({ id: c.id, family: c.family, perItem: c.perItem, how: c.how })),
    cells,
    traces,
    extras,
    unhandledRejections: unhandled,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${opts.out}.json`, import.meta.url), JSON.stringify(result, null, 1) + '\n');
  writeFileSync(new URL(`./results/${opts.out}.md`, import.meta.url), renderMarkdown(result));
  await writeBenchHtml(result, opts.out);
  process.stdout.write(renderStdout(result));
  log(`\nwrote bench/results/${opts.out}.json, .md and .html in ${((performance.now() - tStart) / 1000).toFixed(0)} s`);
  if (!opts.noIsolation) {
    log('\ncost of crash isolation (bench/isolation.mjs):');
    const args = opts.quick ? ['--repeats', '3', '--items', '10000'] : ['--repeats', '5'];
    const child = spawnSync(process.execPath, [fileURLToPath(new URL('./isolation.mjs', import.meta.url)), ...args], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`bench/isolation.mjs failed (exit ${child.status})`);
  }
}

/** Summarise a batchtools trace. @param {any} raw @param {number} wallMs @param {number} threads */
function traceStats(raw, wallMs, threads) {
  // the trace is an array of chunks, or { chunks, decisions } in newer builds
  const trace = Array.isArray(raw) ? raw : Array.isArray(raw?.chunks) ? raw.chunks : null;
  if (!trace || trace.length === 0) return { error: 'no trace delivered' };
  const sizes = trace.map((c) => c.items);
  /** @type {Map<number, { busy: number, last: number, chunks: number }>} */
  const per = new Map();
  for (const c of trace) {
    const p = per.get(c.worker) ?? { busy: 0, last: 0, chunks: 0 };
    p.busy += c.runMs;
    p.last = Math.max(p.last, c.t);
    p.chunks++;
    per.set(c.worker, p);
  }
  const workers = [...per.values()];
  const runMs = typeof raw?.elapsedMs === 'number' ? raw.elapsedMs : wallMs;
  const outcomes = {};
  for (const c of trace) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
  return {
    wallMs: +wallMs.toFixed(1),
    chunks: trace.length,
    chunkSize: { first: sizes[0], p50: median(sizes), max: Math.max(...sizes), min: Math.min(...sizes), last: sizes[sizes.length - 1] },
    busyFraction: +(workers.reduce((a, p) => a + p.busy, 0) / (threads * wallMs)).toFixed(3),
    workers: workers.map((p) => ({ chunks: p.chunks, busyMs: +p.busy.toFixed(1), lastDoneMs: +p.last.toFixed(1) })),
    // The tail: from the first worker going idle for good (its last chunk landing) to the end of the run, both on
    // the run's clock (chunk times count from the run's start, elapsedMs is its end); the whole run for a worker
    // that got no chunk. Older builds give no elapsedMs: the wall time stands in (it also holds what follows).
    tailIdleMs: +(workers.length < threads ? runMs : runMs - Math.min(...workers.map((p) => p.last))).toFixed(1),
    // What the call spent outside the run: preparing the input before it (a first map of an array copies its
    // numbers into shared memory), and handing the results over after it.
    outsideRunMs: typeof raw?.elapsedMs === 'number' ? +(wallMs - raw.elapsedMs).toFixed(1) : null,
    roundTripMsP50: +median(trace.map((c) => c.roundTripMs)).toFixed(3),
    // round trip minus in-worker time: dispatch, transport and queueing behind the other in-flight chunk
    roundTripMinusRunMsP50: +median(trace.map((c) => c.roundTripMs - c.runMs)).toFixed(3),
    roundTripMinusRunMsP90: +quantile(trace.map((c) => c.roundTripMs - c.runMs), 0.9).toFixed(3),
    maxHeapRatio: +Math.max(...trace.map((c) => c.heapRatio)).toFixed(3),
    outcomes,
  };
}

main().then(
  () => process.exit(0),
  (e) => {
    log(`bench failed: ${e?.stack ?? e}`);
    process.exit(1);
  },
);

