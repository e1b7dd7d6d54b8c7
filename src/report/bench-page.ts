/**
 * The benchmark page of `batchtools bench --html`: per suite and task, the latency distribution (the samples,
 * not only the mean) with the statistics, and with a baseline the change of each task's mean with its
 * confidence interval, regressions in red. Self-contained like the run report.
 */
import { comparisonMethod } from '../suites/format.ts';
import type { BenchDocument, Comparison, TaskComparison, TaskRecord } from '../suites/index.ts';
import { BENCH_SCRIPT } from './client-bench.ts';
import { COMMON_SCRIPT } from './client-common.ts';
import { escapeHtml as h, renderPage } from './page.ts';

/** What {@link renderBenchReport} needs. */
export interface BenchReportInput {
  /** The results (what `runSuites` returns, or `--json` wrote). */
  document: BenchDocument;
  /** The comparison with a baseline (`compareResults(baseline, document)`). Default: none. */
  comparison?: Comparison;
  /** The baseline document, whose samples are drawn behind this run's. Default: none. */
  baseline?: BenchDocument;
  /** Name of the baseline, e.g. its file. Default `'baseline'`. */
  baselineName?: string;
  /** Page title. Default `'batchtools bench'`. */
  title?: string;
}

/** Samples per task kept in the page at most (evenly spaced order statistics of the sorted samples). */
export const PAGE_SAMPLES = 2000;

/** At most `n` evenly spaced order statistics of `samples` (sorted ascending on the way). */
export function thinSamples(samples: readonly number[], n = PAGE_SAMPLES): number[] {
  const sorted = [...samples].filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length <= n) return sorted;
  return Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1))]!);
}

function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  const sig = (x: number): string => String(Number(x.toPrecision(3)));
  if (a === 0) return '0 ns';
  if (a < 1e-3) return `${sig(ms * 1e6)} ns`;
  if (a < 1) return `${sig(ms * 1e3)} µs`;
  if (a < 1000) return `${sig(ms)} ms`;
  return `${sig(ms / 1000)} s`;
}
const signed = (x: number | null): string => (x === null || !Number.isFinite(x) ? '–' : `${x > 0 ? '+' : ''}${x.toFixed(1)}%`);
const ops = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

function verdictText(t: TaskComparison, threshold: number): string {
  if (t.verdict === 'regression') return t.failing ? `regression beyond ${threshold}%` : 'slower';
  if (t.verdict === 'improvement') return 'faster';
  if (t.verdict === 'unchanged') return 'no significant change';
  return `not compared: ${t.reason ?? ''}`;
}

function comparisonSection(c: Comparison, baselineName: string): string {
  const rows = c.tasks
    .map((t) => {
      const cls = t.verdict === 'regression' ? 'regression' : t.verdict === 'improvement' ? 'improvement' : '';
      return `<tr class="${cls}"><td>${h(t.suite)}</td><td>${h(t.task)}</td><td class="num">${duration(t.baselineLatency)}</td><td class="num">${duration(t.currentLatency)}</td>` +
        `<td class="num change">${signed(t.changePercent)}</td><td class="num">${t.interval ? `${signed(t.interval[0])} … ${signed(t.interval[1])}` : '–'}</td>` +
        `<td class="num">${t.p === null ? '–' : t.p < 0.001 ? '&lt;0.001' : t.p.toFixed(3)}</td><td>${h(verdictText(t, c.threshold))}</td></tr>`;
    })
    .join('');
  const notes = [
    ...c.onlyInBaseline.map((t) => `only in the baseline: ${t.suite} › ${t.task}`),
    ...c.onlyInCurrent.map((t) => `new, not in the baseline: ${t.suite} › ${t.task}`),
    ...c.warnings.map((w) => `warning: ${w}`),
  ];
  const headline = `${c.tasks.length} compared: ${c.regressions} slower (${c.failing} beyond ${c.threshold}%), ${c.improvements} faster`;
  return `<section class="card" id="comparison"><h2${c.failing > 0 ? ' class="err"' : ''}>Compared with ${h(baselineName)}: ${h(headline)}</h2>
<p class="sub">Change of the latency per call, in percent of the baseline, with its ${Math.round(c.confidence * 100)}% confidence interval (${h(comparisonMethod(c))}). Right of zero is slower; red marks a significant slowdown, the dashed red line the ${c.threshold}% threshold that fails the run.</p>
<div class="chart" id="forest"></div>
<table><tr><th>suite</th><th>task</th><th class="num">baseline</th><th class="num">this run</th><th class="num">change</th><th class="num">${Math.round(c.confidence * 100)}% CI</th><th class="num">p</th><th>verdict</th></tr>${rows}</table>
${notes.length > 0 ? `<ul class="reasons">${notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : ''}</section>`;
}

interface PageTask {
  id: string;
  samples: number[];
  baseline: number[] | null;
  mean: number | null;
  baselineMean: number | null;
}

function taskBlock(t: TaskRecord, id: string | null, capped: boolean): string {
  const l = t.latency;
  const stats = l
    ? `<table class="stats"><tr><th class="num">ops/s</th><th class="num">mean</th><th class="num">p50</th><th class="num">p75</th><th class="num">p99</th><th class="num">min</th><th class="num">max</th><th class="num">±rme</th><th class="num">samples</th></tr>` +
      `<tr><td class="num">${ops(t.throughput?.mean)}</td><td class="num">${duration(l.mean)}</td><td class="num">${duration(l.p50)}</td><td class="num">${duration(l.p75)}</td><td class="num">${duration(l.p99)}</td>` +
      `<td class="num">${duration(l.min)}</td><td class="num">${duration(l.max)}</td><td class="num">${l.rme === null ? '–' : `±${l.rme.toFixed(2)}%`}</td><td class="num">${l.samplesCount.toLocaleString('en-US')}${capped ? ' (thinned)' : ''}</td></tr></table>`
    : `<p class="err">${h(t.state)}${t.error ? `: ${h(t.error.message)}` : ''}</p>`;
  return `<div class="task"><h3>${h(t.name)}${t.warning ? ` <span class="sub">(timer: ${h(t.warning)})</span>` : ''}</h3>${id === null ? '' : `<div class="chart" id="hist-${id}"></div>`}${stats}</div>`;
}

/** Render the benchmark page as one self-contained HTML document. */
export function renderBenchReport(input: BenchReportInput): string {
  const { document: doc, comparison, baseline } = input;
  const tasks: PageTask[] = [];
  const sections = doc.suites.map((suite, s) => {
    const base = baseline?.suites.find((b) => b.file === suite.file);
    const blocks = suite.tasks.map((t, k) => {
      if (!t.samples || t.samples.length === 0) return taskBlock(t, null, false);
      const id = `${s}-${k}`;
      const bt = base?.tasks.find((b) => b.name === t.name);
      tasks.push({
        id,
        samples: thinSamples(t.samples),
        baseline: bt?.samples ? thinSamples(bt.samples) : null,
        mean: t.latency?.mean ?? null,
        baselineMean: bt?.latency?.mean ?? null,
      });
      return taskBlock(t, id, t.samplesCapped || t.samples.length > PAGE_SAMPLES);
    });
    const failed = suite.status === 'failed' ? `<p class="err">Failed (${h(suite.phase ?? 'unknown')}): ${h(suite.error?.message ?? 'unknown error')}</p>` : '';
    return `<section class="card suite"><h2>${h(suite.file)}${suite.name ? ` <span class="sub">${h(suite.name)}</span>` : ''}</h2>
<p class="sub">Latency per call: the distribution of the samples${baseline ? ' (grey: the baseline\'s)' : ''}; dashed: the mean. ${(suite.durationMs / 1000).toFixed(2)} s.</p>${failed}${blocks.join('')}</section>`;
  });
  const m = doc.machine;
  const title = input.title ?? 'batchtools bench';
  const body = `<main>
<header class="top"><h1>${h(title)}</h1><span class="sub">${h(doc.run.startedAt)}</span></header>
<p class="sub">${h(`${m.cpu.brand ?? 'unknown CPU'}, ${m.cpu.logicalCores} logical cores, ${(m.memory.totalBytes / 2 ** 30).toFixed(1)} GiB, ${m.os.platform} ${m.os.arch}, Node ${m.node.version}`)}${doc.run.contended ? ' — <span class="err">suites ran in parallel: timings contended</span>' : ''}</p>
${comparison ? comparisonSection(comparison, input.baselineName ?? 'baseline') : ''}
${sections.join('\n')}
</main>`;
  const rows = comparison?.tasks.map((t) => ({
    label: `${t.suite} › ${t.task}`,
    change: t.changePercent,
    interval: t.interval,
    p: t.p,
    verdict: t.verdict,
    reason: t.reason,
  }));
  return renderPage({
    title,
    body,
    data: { tasks, comparison: comparison ? { rows, threshold: comparison.threshold } : null },
    script: `${COMMON_SCRIPT}\n${BENCH_SCRIPT}`,
    uplot: false,
  });
}
