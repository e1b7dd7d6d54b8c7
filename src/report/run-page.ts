/**
 * The run report: one self-contained HTML page from a run's trace (plus what the caller knows besides: the pool
 * plan, the machine, the failures with their messages). Summary tables are rendered here; the charts are drawn
 * in the browser from the page's inlined data (see client-run.ts).
 */
import os from 'node:os';
import type { PoolPlan, RunTrace } from '../index.ts';
import { COMMON_SCRIPT } from './client-common.ts';
import { RUN_SCRIPT } from './client-run.ts';
import { escapeHtml as h, renderPage } from './page.ts';
import { buildRunModel, type RunModel } from './run-model.ts';

/** A failed item as the report lists it. */
export interface ReportFailure {
  /** Input index of the item. */
  index: number;
  code: string;
  message: string;
  /** Input line (CLI runs). */
  line?: number;
  attempts?: number;
}

/** The machine a run ran on, as the report names it. */
export interface ReportMachine {
  cpu: string;
  logicalCores: number;
  memoryBytes: number;
  os: string;
  node: string;
}

/** Heap pressure bands drawn on the heap chart, as ratios of heap used / limit. */
export interface ReportHeapBands {
  freezeAt: number;
  halveAt: number;
  quarterAt: number;
}

/** What {@link renderRunReport} needs: the trace, and optionally what the caller knows better. */
export interface RunReportInput {
  /** The run's trace (`onTrace` of a map with `trace: true`). */
  trace: RunTrace;
  /** Page title. Default `'batchtools run'`. */
  title?: string;
  /** A line under the title, e.g. the command. Default: none. */
  subtitle?: string;
  /** The pool plan (`rt.plan`): threads, heap, and the reasons. Default: not shown. */
  plan?: PoolPlan;
  /** Item counts when the caller knows them better (e.g. the CLI counts bad input lines). Default: from the trace. */
  counts?: { items: number; succeeded: number; failed: number };
  /** Failures by code and the first few failed items. Default: the trace's `failures`. */
  failures?: { byCode: Record<string, number>; first: ReportFailure[] };
  /** The machine. Default: this machine (the report is usually written right after the run). */
  machine?: ReportMachine;
  /** The heap bands of the controller. Default: the adaptive policy's defaults, 0.6 / 0.75 / 0.85. */
  bands?: ReportHeapBands;
}

/** Failed items listed one by one in the report. */
const LISTED_FAILURES = 10;
const DEFAULT_BANDS: ReportHeapBands = { freezeAt: 0.6, halveAt: 0.75, quarterAt: 0.85 };

/** This machine, in a few words. */
export function describeThisMachine(): ReportMachine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    logicalCores: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x >= 100 ? 0 : 1)} ms`;
}
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

function kpi(label: string, value: string, bad = false): string {
  return `<div class="kpi${bad ? ' bad' : ''}"><b>${h(value)}</b><span>${h(label)}</span></div>`;
}

function failuresCard(failed: number, failures: { byCode: Record<string, number>; first: ReportFailure[] }): string {
  if (failed === 0) return '<section class="card" id="failures"><h2>Failures</h2><p class="sub">No item failed.</p></section>';
  const codes = Object.entries(failures.byCode).sort(([, a], [, b]) => b - a);
  const listed = failures.first.slice(0, LISTED_FAILURES);
  const lines = listed.some((f) => f.line !== undefined);
  const rows = listed.map(
    (f) =>
      `<tr><td class="num">${int(f.index)}</td>${lines ? `<td class="num">${f.line ?? ''}</td>` : ''}<td><code>${h(f.code)}</code></td>` +
      `<td class="num">${f.attempts ?? ''}</td><td>${h(f.message)}</td></tr>`,
  );
  const more = failed > rows.length ? `<p class="note">The first ${rows.length} of ${int(failed)} failed items.</p>` : '';
  return `<section class="card" id="failures"><h2 class="err">Failures: ${int(failed)} item${failed === 1 ? '' : 's'}</h2>
<table class="codes"><tr><th>code</th><th class="num">items</th></tr>${codes.map(([c, n]) => `<tr><td><code>${h(c)}</code></td><td class="num">${int(n)}</td></tr>`).join('')}</table>
<h3>First failed items</h3>
<table id="failed-items"><tr><th class="num">item</th>${lines ? '<th class="num">line</th>' : ''}<th>code</th><th class="num">attempts</th><th>message</th></tr>${rows.join('')}</table>${more}</section>`;
}

function workersCard(model: RunModel): string {
  const rows = model.perWorker.map(
    (w) =>
      `<tr><td>worker ${w.worker}</td><td class="num">${int(w.chunks)}</td><td class="num">${int(w.items)}</td><td class="num">${ms(w.busyMs)}</td>` +
      `<td><span class="bar" style="width:${Math.round(Math.min(1, w.busyFraction) * 120)}px"></span> ${pct(w.busyFraction)}</td>` +
      `<td class="num">${pct(w.maxHeapRatio)}${w.heapLimitMb === null ? '' : ` of ${int(w.heapLimitMb)} MiB`}</td></tr>`,
  );
  const main = model.main
    ? `<tr><td>main thread</td><td></td><td></td><td class="num">${ms(model.main.activeMs)}</td><td><span class="bar" style="width:${Math.round(model.main.utilization * 120)}px;background:#e07b39"></span> ${pct(model.main.utilization)}</td><td></td></tr>`
    : '';
  return `<section class="card" id="workers"><h2>Workers</h2><p class="sub">Busy = time running items ÷ run time. The main thread's share is its event loop's busy time (dispatch, results, output).</p>
<table><tr><th>thread</th><th class="num">chunks</th><th class="num">items</th><th class="num">busy</th><th>busy fraction</th><th class="num">max heap</th></tr>${rows.join('')}${main}</table></section>`;
}

function planCard(plan: PoolPlan | undefined, machine: ReportMachine): string {
  const machineRows = [
    ['CPU', `${machine.cpu}, ${machine.logicalCores} logical cores`],
    ['memory', gib(machine.memoryBytes)],
    ['OS', machine.os],
    ['Node.js', machine.node],
  ];
  const planPart = plan
    ? `<h3>Pool plan: ${plan.threads} thread${plan.threads === 1 ? '' : 's'}, ${int(plan.maxHeapMb)} MiB heap each</h3><ul class="reasons">${plan.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>`
    : '<p class="sub">No pool plan was given.</p>';
  return `<section class="card" id="plan"><h2>Pool plan and machine</h2>${planPart}
<h3>Machine</h3><table>${machineRows.map(([k, v]) => `<tr><th>${h(k)}</th><td>${h(v)}</td></tr>`).join('')}</table></section>`;
}

function legend(items: Array<[string, string]>): string {
  return `<div class="legend">${items.map(([color, label]) => `<span><i style="background:${color}"></i>${h(label)}</span>`).join('')}</div>`;
}

/** Render the run report as one self-contained HTML document. */
export function renderRunReport(input: RunReportInput): string {
  const model = buildRunModel(input?.trace);
  const failures = input.failures ?? input.trace.failures ?? { byCode: {}, first: [] };
  const traceFailed = Object.values(failures.byCode).reduce((a, b) => a + b, 0);
  const counts = input.counts ?? { items: model.succeeded + traceFailed, succeeded: model.succeeded, failed: traceFailed };
  const machine = input.machine ?? describeThisMachine();
  const title = input.title ?? 'batchtools run';
  const rate = model.elapsedMs > 0 ? (counts.items * 1000) / model.elapsedMs : 0;
  const marked = model.marked;
  const reasonList = Object.entries(model.reasonCounts).sort(([, a], [, b]) => b - a);
  const body = `<main>
<header class="top"><h1>${h(title)}</h1><span class="sub">${h(input.trace.startedAt ?? '')}</span></header>
${input.subtitle ? `<p class="sub mono">${h(input.subtitle)}</p>` : ''}
<div class="kpis">${[
    kpi('items', int(counts.items)),
    kpi('succeeded', int(counts.succeeded)),
    kpi('failed', int(counts.failed), counts.failed > 0),
    kpi('run time', ms(model.elapsedMs)),
    kpi('items/s', int(rate)),
    kpi('threads', String(model.threads)),
    kpi('chunks', int(model.chunks)),
    kpi('main thread busy', model.main ? pct(model.main.utilization) : '–'),
  ].join('')}</div>
<section class="card"><h2>Chunks per worker over time</h2>
<p class="sub">Each bar is a chunk, from the moment its worker began it to its result. Hover for its items, in-worker time and round trip.${model.merged ? ` ${int(model.chunks)} chunks: neighbouring chunks of a worker are merged into one bar (paler = more idle time inside).` : ''}</p>
<div class="chart" id="timeline"></div>
${legend([['#6d93e8', 'ran'], ['#e53935', 'some items failed'], ['#8b1a1a', `chunk failed (${Object.entries(model.outcomes).filter(([k]) => k !== 'ok').map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`], ['#f08c2e', `retry (${marked.retried})`], ['#f2b705', `isolated (${marked.isolated})`], ['#7b4fc9', `stolen (${marked.stolen}, top stripe)`]])}
</section>
<section class="card"><h2>Chunk size, controller decisions and throughput</h2>
<p class="sub">${model.decisions > 0 ? `${int(model.decisions)} sizing decisions; the strip at the bottom shows the controller's reason over time.` : 'A fixed chunk size: no controller decisions.'} Drag to zoom, double-click to reset.</p>
<div class="chart" id="chunk-size"></div>
${legend(reasonList.map(([r, n]) => [REASON_SWATCH[r] ?? '#999', `${r} (${int(n)})`]))}
</section>
<section class="card"><h2>Worker heap</h2>
<p class="sub">Heap used ÷ heap limit after each chunk (worst per time step). Bands: growth frozen from ${pct(input.bands?.freezeAt ?? DEFAULT_BANDS.freezeAt)}, chunk halved from ${pct(input.bands?.halveAt ?? DEFAULT_BANDS.halveAt)}, quartered and the worker paused above ${pct(input.bands?.quarterAt ?? DEFAULT_BANDS.quarterAt)}.</p>
<div class="chart" id="heap"></div>
</section>
<div class="grid2">${workersCard(model)}${planCard(input.plan, machine)}</div>
${failuresCard(counts.failed, failures)}
<p class="note">Written by batchtools. Open a trace of the same run in Perfetto with <code>--trace-events</code>.</p>
</main>`;
  return renderPage({
    title,
    body,
    data: { model, bands: input.bands ?? DEFAULT_BANDS },
    script: `${COMMON_SCRIPT}\n${RUN_SCRIPT}`,
    uplot: true,
  });
}

/** Swatches of the controller's reasons (the same colours the chart's strip uses). */
const REASON_SWATCH: Record<string, string> = {
  probe: '#9fb7ef', 'time-target': '#2a9d8f', 'dead-band': '#b7d7c9', 'fac2-cap': '#c8a2e8', tail: '#8e5bd0',
  'heap-freeze': '#f2b705', 'heap-shrink': '#e07b39', 'pressure-freeze': '#d1495b', 'oom-cap': '#8b1a1a', 'max-cap': '#5d6675',
  split: '#3d7dd8',
};
