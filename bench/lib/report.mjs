/** Render a result object (see run.js) as a stdout table and as Markdown. */

/** @param {number} x @param {number} [d] */
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
/** @param {number} x */
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

/**
 * Marks for a cell: † prefix-timed, ! errors, ~ no clean repeat (every pass ran next to foreign load: the figure is
 * not trustworthy), ¹ / ² median of only 1 / 2 clean repeats.
 * @param {any} cell @param {'speedup' | 'efficiency'} metric
 */
function marks(cell, metric) {
  let m = '';
  if (cell.prefix) m += '†';
  if (cell.errors?.length) m += '!';
  if (cell.contaminated?.[metric]) m += '~';
  else if (cell.cleanRepeats && cell.cleanRepeats[metric] < cell.cleanRepeats.of && cell.cleanRepeats[metric] <= 2) m += cell.cleanRepeats[metric] === 1 ? '¹' : '²';
  return m;
}

/** @param {any} r @param {'speedup' | 'efficiency'} metric */
function metricRows(r, metric) {
  const names = Object.keys(r.workloads);
  const ids = ['plain', ...r.contenders.filter((/** @type {any} */ c) => c.id !== 'plain').map((/** @type {any} */ c) => c.id)];
  return ids
    .filter((id) => !(metric === 'efficiency' && id === 'plain'))
    .map((id) => [
      id,
      ...names.map((n) => {
        const cell = r.cells[n][id];
        if (!cell) return '';
        const v = cell[metric]?.median;
        return (Number.isFinite(v) ? f(v) : cell.errors?.length ? 'FAIL' : '–') + marks(cell, metric);
      }),
    ]);
}

/** Main-thread share and workers' busy fraction per contender and workload. @param {any} r @param {boolean} md */
function shareRows(r, md) {
  const names = Object.keys(r.workloads);
  const pct = (/** @type {number} */ x) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '–');
  return ['plain', ...r.contenders.filter((/** @type {any} */ c) => c.id !== 'plain').map((/** @type {any} */ c) => c.id)]
    .filter((id) => id !== 'plain')
    .map((id) => [
      md ? `\`${id}\`` : id,
      ...names.map((n) => {
        const cell = r.cells[n][id];
        if (!cell?.mainShare) return '';
        return `${pct(cell.mainShare.median)} / ${pct(cell.workersBusy?.median)}`;
      }),
    ]);
}

/** The cold-vs-warm lines. @param {any} r */
function coldLines(r) {
  const c = r.extras?.cold;
  if (!c) return [];
  if (c.error) return [`first call vs warm: ERROR ${c.error}`];
  const out = [`first call vs warm (${c.workload}, N = ${int(c.n)}, fresh process per sample, median of ${c.runs}): ` +
    `plain loop cold ${f(c.plain.coldMs.median, 0)} ms, warm ${f(c.plain.warmMs.median, 0)} ms; ` +
    `batchtools first map (pool start included) ${f(c.batchtools.firstMs.median, 0)} ms, then ${c.batchtools.nextMs.map((/** @type {number} */ x) => f(x, 0)).join(', ')} ms, warm ${f(c.batchtools.warmMs.median, 0)} ms`];
  out.push(`  speedup cold ${f(c.coldSpeedup, 2)}× vs warm ${f(c.warmSpeedup, 2)}×: cold ÷ warm = ${f(c.coldSpeedup / c.warmSpeedup, 2)} (target ≥ 0.90)`);
  return out;
}

/** The CLI lines. @param {any} r */
function cliLines(r) {
  const c = r.extras?.cli;
  if (!c) return [];
  const out = [];
  for (const [label, x] of Object.entries(c)) {
    const v = /** @type {any} */ (x);
    let line = `CLI \`batchtools run\` on ${int(v.lines)} JSON lines of ~${label} records: ${f(v.cliMs.median, 0)} ms vs a plain single-threaded script ${f(v.plainMs.median, 0)} ms = ${f(v.speedup, 2)}× (whole processes, median of ${v.cliMs.n})`;
    if (label === '100us') {
      const map = r.cells?.['100us']?.batchtools?.speedup?.median;
      if (Number.isFinite(map)) line += `; rt.map on 100us: ${f(map, 2)}× (CLI ÷ map ${f(v.speedup / map, 2)}, target ≥ 0.95)`;
    } else line += ' (target ≥ 1.5×)';
    if (v.errors?.length) line += `; ERRORS: ${v.errors.join('; ')}`;
    out.push(line);
  }
  return out;
}

/** The simulation lines. @param {any} r */
function simLines(r) {
  const s = r.extras?.sim;
  if (!s) return [];
  if (s.error) return [`simulation: ERROR ${s.error}`];
  return [`simulation (bench/sim-controller.ts; ${s.note}):`, ...s.lines.map((/** @type {string} */ l) => `  ${l}`)];
}

/** @param {string[][]} rows @param {string[]} header */
function textTable(header, rows) {
  const all = [header, ...rows];
  const w = header.map((_, i) => Math.max(...all.map((row) => String(row[i] ?? '').length)));
  const line = (/** @type {string[]} */ row) => row.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [line(header), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

/** @param {string[][]} rows @param {string[]} header */
function mdTable(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** @param {any} r */
function extrasLines(r) {
  const out = [];
  const o = r.extras.overhead;
  if (o) {
    if (o.batchtoolsSequentialUs)
      out.push(`overhead: batchtools 1-item map of an empty task, sequential round trip p50 ${o.batchtoolsSequentialUs.p50} µs (p90 ${o.batchtoolsSequentialUs.p90}, p99 ${o.batchtoolsSequentialUs.p99}, n=${o.batchtoolsSequentialUs.samples})`);
    if (o.batchtoolsPipelinedChunk1)
      out.push(`overhead: batchtools chunkSize 1, ${int(o.batchtoolsPipelinedChunk1.items)} empty items pipelined: ${int(o.batchtoolsPipelinedChunk1.chunksPerSecond)} chunks/s = ${o.batchtoolsPipelinedChunk1.usPerChunkPerWorker} µs per chunk per worker`);
    if (o.batchtoolsTraceChunk1)
      out.push(`overhead: batchtools trace, chunkSize 1: round trip p50 ${o.batchtoolsTraceChunk1.roundTripUsP50} µs (p99 ${o.batchtoolsTraceChunk1.roundTripUsP99}) with 2 chunks in flight per worker`);
    if (o.piscinaSequentialUs) out.push(`overhead floor: piscina run() empty task p50 ${o.piscinaSequentialUs.p50} µs (p99 ${o.piscinaSequentialUs.p99}); bare postMessage ping-pong p50 ${o.rawPostMessageUs?.p50} µs (p99 ${o.rawPostMessageUs?.p99})`);
    if (o.batchtoolsError) out.push(`overhead: batchtools ERROR ${o.batchtoolsError.split('\n')[0]}`);
  }
  const s = r.extras.startup;
  if (s) {
    const d = (/** @type {any} */ x) => `${f(x.firstResultMs.median, 1)} ms (min ${f(x.firstResultMs.min, 1)}, max ${f(x.firstResultMs.max, 1)}, n=${x.firstResultMs.n}${x.errors.length ? `, ${x.errors.length} failed` : ''})`;
    out.push(`start-up → first result (fresh process, median): batchtools ${d(s.batchtools)}; two bare workers ${d(s.raw)}; piscina ${d(s.piscina)}`);
    out.push(`  library import (not included): batchtools ${f(s.batchtools.importMs.median, 1)} ms, piscina ${f(s.piscina.importMs.median, 1)} ms`);
  }
  const m = r.extras.rss;
  if (m) {
    const d = (/** @type {any} */ x) =>
      !x ? '–' : `${x.timedOut ? '≥ ' : ''}${int(x.peakRssMb)} MB${x.timedOut ? ` (killed at the time limit after ${f(x.childWallMs / 1000, 0)} s)` : x.ok ? `, run ${f((x.wallMs ?? 0) / 1000, 1)} s` : ` (FAILED, exit ${x.exitCode})`}`;
    out.push(`peak RSS, ${int(r.options.rssItems)} items of ~1 µs (fresh process): idle (input only) ${d(m.idle)}; batchtools ${d(m.batchtools)}; piscina all queued ${d(m['piscina-queued'])}`);
  }
  return out;
}

/** @param {any} r */
export function renderStdout(r) {
  const names = Object.keys(r.workloads);
  const cores = r.machine.nodeOs.availableParallelism;
  const lines = [];
  lines.push('');
  lines.push(`batchtools bench — ${r.date} — ${r.machine.cpu?.brand ?? r.machine.nodeOs.cpuModel}, ${r.machine.cpu?.physicalCores ?? '?'}p/${cores}l cores, Node ${r.machine.node.version}`);
  lines.push(`command: ${r.command}   (${r.options.repeats} repeat(s), ${f(r.durationSeconds.total, 0)} s)`);
  lines.push('');
  lines.push(`Speedup vs the plain loop, median of clean repeats of ${r.options.repeats} (ideal ${cores}.00)`);
  lines.push(`  † per-item dispatch timed on the first ${int(r.options.perItemCap)} items; ¹ ² only 1 / 2 clean repeats; ~ no clean repeat (other load: unreliable); ! error`);
  lines.push(textTable(['contender', ...names], metricRows(r, 'speedup')));
  lines.push(`plain items/s: ${names.map((n) => `${n} ${int(r.cells[n].plain.rate.median)}`).join(', ')}`);
  lines.push('');
  lines.push('Efficiency = speedup ÷ practical-limit speedup (same round), median');
  lines.push(textTable(['contender', ...names], metricRows(r, 'efficiency')));
  lines.push('');
  lines.push("Main thread's CPU share of the wall time (median) / workers' busy fraction = other threads' CPU ÷ (cores × wall)");
  lines.push(textTable(['contender', ...names], shareRows(r, false)));
  lines.push('');
  for (const l of coldLines(r)) lines.push(l);
  for (const l of cliLines(r)) lines.push(l);
  for (const l of simLines(r)) lines.push(l);
  for (const l of extrasLines(r)) lines.push(l);
  const errs = [];
  for (const n of names) for (const [id, cell] of Object.entries(r.cells[n])) for (const e of /** @type {any} */ (cell).errors ?? []) errs.push(`  ${n} / ${id}: ${e}`);
  for (const n of names) for (const [id, cell] of Object.entries(r.cells[n])) for (const e of /** @type {any} */ (cell).closeErrors ?? []) errs.push(`  ${n} / ${id} (closing the pool): ${e}`);
  for (const e of r.unhandledRejections ?? []) errs.push(`  unhandled rejection: ${e}`);
  if (errs.length) lines.push('', 'Errors:', ...errs);
  lines.push('');
  return lines.join('\n');
}

/** @param {any} r */
export function renderMarkdown(r) {
  const names = Object.keys(r.workloads);
  const m = r.machine;
  const cores = m.nodeOs.availableParallelism;
  const ids = r.contenders.map((/** @type {any} */ c) => c.id);
  const L = [];
  L.push(`# batchtools bench results`);
  L.push('');
  L.push(`- Date: ${r.date} (took ${f(r.durationSeconds.total, 0)} s; throughput rounds ${f(r.durationSeconds.throughput, 0)} s)`);
  L.push(`- Command: \`${r.command}\``);
  L.push(
    `- Machine: ${m.cpu?.manufacturer ?? ''} ${m.cpu?.brand ?? m.nodeOs.cpuModel}, ${m.cpu?.physicalCores ?? '?'} physical / ${m.cpu?.logicalCores ?? m.nodeOs.cpus} logical cores ` +
      `(availableParallelism ${cores}), ${m.memory?.totalGiB ?? m.nodeOs.totalMemGiB} GiB RAM, ${m.os ? `${m.os.distro} ${m.os.release}, kernel ${m.os.kernel}, ${m.os.arch}` : m.nodeOs.type}` +
      `${m.system ? `, system: ${m.system.manufacturer} ${m.system.model}${m.system.virtual ? ' (virtual)' : ''}` : ''}; load average at start ${m.nodeOs.loadavg.join(' / ')}`,
  );
  L.push(`- Node ${m.node.version} (V8 ${m.node.v8}, libuv ${m.node.uv})`);
  const p = m.packages;
  L.push(
    `- Versions: batchtools ${p.batchtools.version} (git ${p.batchtools.gitHead}, ${p.batchtools.uncommittedFilesInSrc} uncommitted files in src/ and workers/, dist built ${p.batchtools.distBuiltAt}), ` +
      `piscina ${p.piscina}, tinypool ${p.tinypool}, workerpool ${p.workerpool}, poolifier ${p.poolifier}, systeminformation ${p.systeminformation}`,
  );
  L.push(`- Calibration: ${f(r.calibration.nsPerIter, 3)} ns per mixing round; ${f(r.calibration.msPerAllocatedMiB, 2)} ms per MiB of transient JS array`);
  L.push('');
  L.push('## Method');
  L.push('');
  L.push(
    `All contenders run in one process. For each repeat and workload the plain loop is timed, then every other contender in a ` +
      `seeded shuffled order, then the plain loop again; the faster of the two plain passes is that round's baseline ` +
      `(other load only slows a pass down). ` +
      `Each contender builds a fresh pool and warms it (64 items of ~10 µs; \`createMs\` below) before the timed pass; the pass ` +
      `starts from a plain JS array of numbers and ends with a plain JS array of results in input order, checked element by element ` +
      `against the plain loop. GC runs before every timed pass. Other processes' CPU use is read from /proc/stat for each ` +
      `pass; a pass with more than ${r.options.maxForeign} foreign cores is retried (at most ${r.options.attempts} attempts, ` +
      `within a ${r.options.retryBudgetS} s budget for waits and re-runs; ${f(r.retryBudgetLeftSeconds ?? NaN, 0)} s were left). ` +
      `Speedup = items/s ÷ baseline items/s; efficiency = speedup ÷ the practical limit's speedup in the same round. Medians of ` +
      `${r.options.repeats} repeat(s), min–max below. † = per-item dispatch on a uniform workload timed on the first ` +
      `${int(r.options.perItemCap)} items (steady-state rate; the whole input would take minutes).`,
  );
  L.push('');
  L.push('Contenders:');
  L.push('');
  for (const c of r.contenders) L.push(`- \`${c.id}\`: ${c.how}`);
  L.push('');
  L.push('Workloads (each item is one number encoding its own cost; `work()` is an integer-hash mixing loop):');
  L.push('');
  L.push(mdTable(['workload', 'N', 'mean µs/item (measured)', 'plain loop s', 'description'], names.map((n) => {
    const w = r.workloads[n];
    return [n, int(w.n), f(w.measuredMeanUs, 1), f(w.plainSeconds, 2), w.description];
  })));
  L.push('');
  L.push(`## Speedup vs the plain loop (median; ideal ${cores}.00)`);
  L.push('');
  L.push(`Median over clean repeats (no pass involved ran next to more than ${r.options.maxForeign} cores of other load). † per-item dispatch timed on a prefix; ¹ / ² only 1 / 2 clean repeats; ~ no clean repeat, median of all (unreliable); ! error in some repeat.`);
  L.push('');
  L.push(mdTable(['contender', ...names], metricRows(r, 'speedup')));
  L.push('');
  L.push('## Efficiency = speedup ÷ practical-limit speedup (median)');
  L.push('');
  L.push(mdTable(['contender', ...names], metricRows(r, 'efficiency')));
  L.push('');
  L.push("## Main thread's CPU share / workers' busy fraction (median)");
  L.push('');
  L.push(
    "Main thread: its own CPU time during the timed pass (from `/proc/self/task/<pid>/schedstat`) ÷ wall time. Workers: the CPU time " +
      "of every other thread of the process (the workers, and V8's GC helper threads) ÷ (cores × wall time). On 2 cores every " +
      'millisecond of main-thread work is taken from a worker.',
  );
  L.push('');
  L.push(mdTable(['contender', ...names], shareRows(r, true)));
  L.push('');
  const cold = coldLines(r);
  if (cold.length) {
    L.push('## First call (cold) vs warm');
    L.push('');
    for (const l of cold) L.push(l.startsWith('  ') ? `  - ${l.trim()}` : `- ${l}`);
    L.push('');
  }
  const cli = cliLines(r);
  if (cli.length) {
    L.push('## CLI');
    L.push('');
    for (const l of cli) L.push(`- ${l}`);
    L.push('');
  }
  const sim = simLines(r);
  if (sim.length) {
    L.push('## Controller simulation beyond 2 cores');
    L.push('');
    L.push('```');
    for (const l of sim) L.push(l);
    L.push('```');
    L.push('');
  }
  L.push('## Extras');
  L.push('');
  for (const l of extrasLines(r)) L.push(`- ${l.trim()}`);
  L.push('');
  const detail = (/** @type {string} */ title, /** @type {(cell: any) => string} */ fn, /** @type {boolean} */ withPlain) => {
    L.push(`## ${title}`);
    L.push('');
    L.push(mdTable(['contender', ...names], ids.filter((id) => withPlain || id !== 'plain').map((id) => [id, ...names.map((n) => (r.cells[n][id] ? fn(r.cells[n][id]) : ''))])));
    L.push('');
  };
  detail('Speedup min–max over the repeats behind the median', (c) => (c.speedup.n ? `${f(c.speedup.min)}–${f(c.speedup.max)}` : '–'), false);
  detail('Clean repeats (speedup / efficiency, of all)', (c) => (c.cleanRepeats ? `${c.cleanRepeats.speedup} / ${c.cleanRepeats.efficiency} of ${c.cleanRepeats.of}` : '–'), false);
  detail('Throughput, items/s (median)', (c) => int(c.rate.median), true);
  detail('Pool creation + warm-up, ms (median; not in the timing)', (c) => f(c.createMs?.median, 0), false);
  detail('CPU cores used by the process during the timed pass (median)', (c) => f(c.coresUsed?.median ?? NaN), false);
  detail('Most foreign load seen in a counted pass (cores)', (c) => f(c.maxForeignCores ?? NaN), false);
  L.push('## Per-repeat speedups');
  L.push('');
  L.push('`*` = pass not clean (it, the baseline, or for efficiency the limit pass, ran next to other load).');
  L.push('');
  L.push(mdTable(['workload', 'contender', 'speedups', 'efficiency', 'foreign cores', 'attempts'], names.flatMap((n) => ids.filter((id) => id !== 'plain').map((id) => {
    const c = r.cells[n][id];
    if (!c) return [n, id, '', '', '', ''];
    return [
      n,
      id,
      c.repeats.map((x) => (x.error ? 'ERR' : f(x.speedup, 3) + (x.clean ? '' : '*'))).join(', '),
      c.repeats.map((x) => (x.error ? 'ERR' : f(x.efficiency, 3) + (x.cleanEfficiency ? '' : '*'))).join(', '),
      c.repeats.map((x) => f(x.foreignCores ?? NaN)).join(', '),
      c.repeats.map((x) => x.attempt).join(','),
    ];
  }))));
  L.push('');
  L.push('Plain-loop baseline per repeat (items/s before → after):');
  L.push('');
  for (const n of names) L.push(`- ${n}: ${r.cells[n].plain.repeats.map((x) => `${int(x.before.rate)} → ${int(x.after.rate)}${x.clean === false ? ' *' : ''}`).join('; ')}`);
  L.push('');
  if (Object.keys(r.traces ?? {}).length) {
    L.push('## batchtools chunk traces (one extra untimed run per workload)');
    L.push('');
    L.push(mdTable(['workload', 'wall ms', 'chunks', 'size first / p50 / max / last', 'busy fraction', 'tail idle ms', 'outside the run ms', 'round trip − run, ms p50 / p90', 'max heap ratio', 'outcomes'], names.map((n) => {
      const t = r.traces[n];
      if (!t || t.error) return [n, t?.error ?? '–', '', '', '', '', '', '', ''];
      return [n, f(t.wallMs, 0), String(t.chunks), `${t.chunkSize.first} / ${t.chunkSize.p50} / ${t.chunkSize.max} / ${t.chunkSize.last}`, f(t.busyFraction, 3), f(t.tailIdleMs, 1), t.outsideRunMs === null || t.outsideRunMs === undefined ? 'n/a' : f(t.outsideRunMs, 1), `${f(t.roundTripMinusRunMsP50, 3)} / ${f(t.roundTripMinusRunMsP90, 3)}`, f(t.maxHeapRatio, 3), Object.entries(t.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')];
    })));
    L.push('');
  }
  const errs = [];
  for (const n of names) for (const [id, cell] of Object.entries(r.cells[n])) for (const e of /** @type {any} */ (cell).errors ?? []) errs.push(`- ${n} / \`${id}\`: ${e}`);
  for (const n of names) for (const [id, cell] of Object.entries(r.cells[n])) for (const e of /** @type {any} */ (cell).closeErrors ?? []) errs.push(`- ${n} / \`${id}\` (closing the pool): ${e}`);
  for (const e of r.unhandledRejections ?? []) errs.push(`- unhandled rejection: ${e}`);
  if (errs.length) {
    L.push('## Errors');
    L.push('');
    L.push(...errs);
    L.push('');
  }
  L.push(`Full data: \`${r.options.out}.json\` (\`cells.<workload>.<contender>.repeats\`).`);
  L.push('');
  return L.join('\n');
}
