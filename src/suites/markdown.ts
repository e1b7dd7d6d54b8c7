/**
 * Markdown reports, for a pull-request comment or `$GITHUB_STEP_SUMMARY`: the baseline comparison table (or, with
 * no baseline, the results table), with the method, warnings and tasks present on one side only.
 */
import type { Comparison } from './compare.ts';
import { RESULT_HEADER, comparisonHeader, comparisonMethod, comparisonRow, comparisonSummary, resultRows } from './format.ts';
import type { BenchDocument } from './types.ts';

function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
}

const MARK = { failing: '🔴', regression: '🟠', improvement: '🟢', unchanged: '⚪', 'not-comparable': '⚫' } as const;

/** The comparison as markdown. */
export function comparisonMarkdown(c: Comparison, baselineName: string): string {
  const out = [
    `### Benchmarks compared with \`${cell(baselineName)}\``,
    '',
    `Latency per call: ${comparisonMethod(c)}. 🔴 significantly slower by more than ${c.threshold}% (fails), 🟠 slower, 🟢 faster, ⚪ no significant change.`,
    '',
  ];
  if (c.tasks.length > 0) {
    const rows = c.tasks.map((t) => {
      const row = comparisonRow(t);
      row[7] = `${MARK[t.failing ? 'failing' : t.verdict]} ${row[7] ?? ''}`;
      return row;
    });
    out.push(table(comparisonHeader(c.confidence), rows, [false, false, true, true, true, true, true, false]), '');
  }
  for (const t of c.onlyInBaseline) out.push(`- only in the baseline: \`${cell(t.suite)}\` › ${cell(t.task)}`);
  for (const t of c.onlyInCurrent) out.push(`- new, not in the baseline: \`${cell(t.suite)}\` › ${cell(t.task)}`);
  for (const w of c.warnings) out.push(`- ⚠️ ${cell(w)}`);
  if (c.onlyInBaseline.length + c.onlyInCurrent.length + c.warnings.length > 0) out.push('');
  out.push(`**${comparisonSummary(c)}**`, '');
  return out.join('\n');
}

/** The results of a run as markdown: one table over all suites, failed suites listed with their error. */
export function resultsMarkdown(document: BenchDocument): string {
  const out = ['### Benchmarks', ''];
  const rows = document.suites.flatMap((s) => resultRows(s).map((r) => [s.file, ...r]));
  if (rows.length > 0) out.push(table(['suite', ...RESULT_HEADER], rows, [false, false, true, true, true, true, true, true]), '');
  for (const s of document.suites.filter((x) => x.status === 'failed')) {
    out.push(`- ✖ \`${cell(s.file)}\` failed (${s.phase ?? 'unknown'}): ${cell(s.error?.message ?? 'unknown error')}`);
  }
  if (document.run.contended) out.push(`- ⚠️ up to ${document.run.parallel} suites ran at once: timings contended for the CPU`);
  out.push('');
  return out.join('\n');
}
