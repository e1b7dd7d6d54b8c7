/**
 * Text reports for a terminal: a table per suite (task, ops/s, mean, p50, p99, ±rme, samples) and the baseline
 * comparison table. Returns strings; printing is the caller's business.
 */
import type { Comparison, TaskComparison } from './compare.ts';
import type { BenchDocument, SuiteRecord } from './types.ts';

/** A duration given in milliseconds, with a unit that keeps 3 significant digits readable (ns, µs, ms, s). */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  const abs = Math.abs(ms);
  if (abs === 0) return '0 ns';
  if (abs < 1e-3) return `${significant(ms * 1e6)} ns`;
  if (abs < 1) return `${significant(ms * 1e3)} µs`;
  if (abs < 1000) return `${significant(ms)} ms`;
  return `${significant(ms / 1000)} s`;
}

/** Operations per second: grouped integers from 100 up, 3 significant digits below. */
export function formatOps(ops: number | null): string {
  if (ops === null || !Number.isFinite(ops)) return '-';
  return ops >= 100 ? Math.round(ops).toLocaleString('en-US') : significant(ops);
}

/** A signed percentage with one decimal (`+12.3%`, `-4.0%`). */
export function formatPercent(percent: number | null, digits = 1): string {
  if (percent === null || !Number.isFinite(percent)) return '-';
  return `${percent > 0 ? '+' : ''}${percent.toFixed(digits)}%`;
}

/** A p-value: three decimals, `<0.001` below that. */
export function formatP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return '-';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

function significant(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** Render rows as aligned columns; `right[i]` right-aligns column i. */
export function renderColumns(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** The rows of a suite's results table (also used by the markdown report). */
export function resultRows(suite: SuiteRecord): string[][] {
  return suite.tasks.map((t) => {
    if (!t.latency || !t.throughput) {
      return [t.name, t.state === 'errored' ? `errored: ${t.error?.message ?? 'unknown error'}` : t.state, '', '', '', '', ''];
    }
    return [
      t.name,
      formatOps(t.throughput.mean),
      formatDuration(t.latency.mean),
      formatDuration(t.latency.p50),
      formatDuration(t.latency.p99),
      t.latency.rme === null ? '-' : `±${t.latency.rme.toFixed(2)}%`,
      t.latency.samplesCount.toLocaleString('en-US'),
    ];
  });
}

/** Column titles of {@link resultRows}. */
export const RESULT_HEADER = ['task', 'ops/s', 'mean', 'p50', 'p99', '±rme', 'samples'];

/** One suite's heading and results table. */
export function formatSuite(suite: SuiteRecord): string {
  const title = `${suite.file}${suite.name ? ` (${suite.name})` : ''}`;
  const seconds = `${(suite.durationMs / 1000).toFixed(2)} s`;
  if (suite.status === 'failed') {
    return `✖ ${title}: failed (${suite.phase ?? 'unknown'}) after ${seconds}\n  ${suite.error?.message ?? 'unknown error'}`;
  }
  const errored = suite.tasks.filter((t) => t.state === 'errored').length;
  const mark = errored > 0 ? '✖' : '✓';
  const tasks = `${suite.tasks.length} task${suite.tasks.length === 1 ? '' : 's'}${errored > 0 ? `, ${errored} errored` : ''}`;
  return `${mark} ${title}: ${tasks}, ${seconds}\n${renderColumns(RESULT_HEADER, resultRows(suite), [false, true, true, true, true, true, true])}`;
}

/** Every suite's table, plus a line on contention when suites ran in parallel. */
export function formatResults(document: BenchDocument): string {
  const parts = document.suites.map(formatSuite);
  if (document.run.contended) {
    parts.push(`note: up to ${document.run.parallel} suites ran at once (--parallel ${document.run.parallel}); their timings contended for the CPU`);
  }
  return parts.join('\n\n');
}

/** A short word for a comparison's verdict. */
export function verdictLabel(t: TaskComparison): string {
  switch (t.verdict) {
    case 'regression':
      return t.failing ? 'REGRESSION' : 'slower';
    case 'improvement':
      return 'faster';
    case 'unchanged':
      return 'no significant change';
    case 'not-comparable':
      return `not compared: ${t.reason ?? ''}`;
  }
}

/** The cells of one comparison row: suite, task, baseline mean, current mean, change, CI, p, verdict. */
export function comparisonRow(t: TaskComparison): string[] {
  return [
    t.suite,
    t.task,
    formatDuration(t.baselineLatency),
    formatDuration(t.currentLatency),
    formatPercent(t.changePercent),
    t.interval ? `[${formatPercent(t.interval[0])}, ${formatPercent(t.interval[1])}]` : '-',
    formatP(t.p),
    verdictLabel(t),
  ];
}

/** Column titles of {@link comparisonRow}. */
export function comparisonHeader(confidence: number): string[] {
  return ['suite', 'task', 'baseline', 'current', 'change', `${Math.round(confidence * 100)}% CI`, 'p', 'verdict'];
}

/** One line summing up a comparison. */
export function comparisonSummary(c: Comparison): string {
  const parts = [
    `${c.tasks.length} task${c.tasks.length === 1 ? '' : 's'} compared`,
    `${c.regressions} slower (${c.failing} beyond the ${c.threshold}% threshold)`,
    `${c.improvements} faster`,
  ];
  if (c.onlyInBaseline.length > 0) parts.push(`${c.onlyInBaseline.length} only in the baseline`);
  if (c.onlyInCurrent.length > 0) parts.push(`${c.onlyInCurrent.length} new`);
  return parts.join(', ');
}

/** The comparison for a terminal: method, table, tasks on one side only, warnings, summary. */
export function formatComparison(c: Comparison, baselineName: string): string {
  const lines = [
    `compared with ${baselineName}: ${comparisonMethod(c)}; fails when significantly slower by more than ${c.threshold}%`,
  ];
  if (c.tasks.length > 0) {
    lines.push(renderColumns(comparisonHeader(c.confidence), c.tasks.map(comparisonRow), [false, false, true, true, true, true, true, false]));
  }
  for (const t of c.onlyInBaseline) lines.push(`  only in the baseline: ${t.suite} › ${t.task}`);
  for (const t of c.onlyInCurrent) lines.push(`  new (not in the baseline): ${t.suite} › ${t.task}`);
  for (const w of c.warnings) lines.push(`  warning: ${w}`);
  lines.push(comparisonSummary(c));
  return lines.join('\n');
}

/**
 * How a comparison was computed, in one phrase: the statistic, the test and the unit, e.g. "fastest 1% of each run,
 * near-best of 10 vs 10 runs, permutation test, 95% confidence".
 */
export function comparisonMethod(c: Comparison): string {
  const parts: string[] = [];
  const runCounts = (unit: string): string =>
    [...new Set(c.tasks.filter((t) => t.unit === unit).map((t) => `${t.baselineSamples} vs ${t.currentSamples}`))].join(', ');
  const units = [
    ['run-lows', 'fastest 1% of each run'],
    ['run-medians', 'median latency of each run'],
    ['run-means', 'mean latency of each run'],
  ] as const;
  for (const [unit, what] of units) {
    if (c.tasks.some((t) => t.unit === unit)) parts.push(`${what}, near-best of ${runCounts(unit)} runs, permutation test`);
  }
  if (c.tasks.some((t) => t.unit === 'samples')) parts.push("mean latency over the samples of single runs, Welch's t-test");
  if (parts.length === 0) parts.push('nothing comparable');
  return `${parts.join('; ')}, ${Math.round(c.confidence * 100)}% confidence`;
}
