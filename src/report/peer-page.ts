/**
 * The page of the project's own peer benchmark (`npm run bench`, bench/results/<name>.json): speedup over the
 * plain loop by workload and contender, with the ideal (the core count) and the practical limit (bare workers
 * over shared memory) as reference lines; efficiency against the practical limit for every contender.
 */
import { BENCH_SCRIPT } from './client-bench.ts';
import { COMMON_SCRIPT } from './client-common.ts';
import { escapeHtml as h, renderPage } from './page.ts';

/** A median with its spread over repeats, as bench/run.js summarises. */
export interface PeerFigure {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** One contender on one workload (the fields the page reads). */
export interface PeerCell {
  speedup?: PeerFigure;
  efficiency?: PeerFigure;
  rate?: PeerFigure;
  errors?: string[];
  prefix?: number | null;
}

/** The results JSON of bench/run.js (the fields the page reads). */
export interface PeerResults {
  date: string;
  command: string;
  machine: { cpu?: { brand?: string; physicalCores?: number }; nodeOs: { cpuModel?: string; availableParallelism: number }; node: { version: string } };
  workloads: Record<string, { description: string; n: number }>;
  contenders: Array<{ id: string; family: string; how: string }>;
  cells: Record<string, Record<string, PeerCell>>;
  options?: { repeats?: number };
}

const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));

/** Check the parts of a results object the page needs; names the first one missing. */
function check(r: unknown): PeerResults {
  const o = r as Partial<PeerResults> | null;
  const missing = ['date', 'machine', 'workloads', 'contenders', 'cells'].find((k) => o === null || typeof o !== 'object' || !(k in o));
  if (missing !== undefined) throw new TypeError(`not a bench/run.js results object: "${missing}" is missing`);
  return o as PeerResults;
}

function heat(e: number | undefined): string {
  if (e === undefined || !Number.isFinite(e)) return '';
  const x = Math.max(0, Math.min(1, e));
  const hue = Math.round(x * 120);
  return ` style="background:hsl(${hue} 65% 88%)"`;
}

/** Render the peer benchmark page as one self-contained HTML document. */
export function renderPeerBenchReport(results: unknown, title = 'batchtools bench: peers'): string {
  const r = check(results);
  const cores = r.machine.nodeOs.availableParallelism;
  const workloads = Object.keys(r.workloads);
  const ids = r.contenders.map((c) => c.id).filter((id) => id !== 'plain');
  const limitId = ids.find((id) => r.contenders.find((c) => c.id === id)?.family === 'limit');
  const peer = workloads.map((w, k) => {
    const cells = r.cells[w] ?? {};
    const limit = limitId === undefined ? undefined : cells[limitId]?.speedup?.median;
    const rows = ids.map((id) => {
      const c = cells[id];
      const s = c?.speedup;
      const tip = `${id} on ${w}\nspeedup ${f2(s?.median)} (${f2(s?.min)}–${f2(s?.max)}, ${s?.n ?? 0} repeats)\nefficiency ${f2(c?.efficiency?.median)} of the practical limit` +
        `${c?.rate ? `\n${Math.round(c.rate.median).toLocaleString('en-US')} items/s` : ''}${c?.prefix ? `\ntimed on the first ${c.prefix} items` : ''}`;
      return { label: id, value: s?.median ?? null, min: s?.min ?? null, max: s?.max ?? null, highlight: id === 'batchtools', tip, error: (c?.errors?.length ?? 0) > 0 };
    });
    const marks = [{ value: cores, label: `ideal (${cores} cores)`, color: '#8a93a3', dash: '4 3' }];
    if (limit !== undefined) marks.push({ value: limit, label: 'practical limit', color: '#e07b39', dash: '' });
    return { id: String(k), workload: w, chart: { rows, marks, unit: '×', max: Math.max(cores, ...rows.map((x) => x.max ?? x.value ?? 0)) * 1.08 } };
  });
  const effRows = workloads.map((w) => {
    const c = r.cells[w]?.['batchtools'];
    return { label: w, value: c?.efficiency?.median ?? null, min: c?.efficiency?.min ?? null, max: c?.efficiency?.max ?? null, highlight: true, tip: `batchtools on ${w}: ${f2(c?.efficiency?.median)} of the practical limit`, error: (c?.errors?.length ?? 0) > 0 };
  });
  peer.push({ id: 'efficiency', workload: 'efficiency', chart: { rows: effRows, marks: [{ value: 1, label: 'practical limit', color: '#e07b39', dash: '' }], unit: '', max: 1.15 } });
  const header = `<tr><th>contender</th>${workloads.map((w) => `<th class="num">${h(w)}</th>`).join('')}</tr>`;
  const table = ids
    .map((id) => `<tr><td>${id === 'batchtools' ? `<b>${h(id)}</b>` : h(id)}</td>${workloads.map((w) => {
      const e = r.cells[w]?.[id]?.efficiency?.median;
      return `<td class="num"${heat(e)}>${f2(e)}</td>`;
    }).join('')}</tr>`)
    .join('');
  const m = r.machine;
  const body = `<main>
<header class="top"><h1>${h(title)}</h1><span class="sub">${h(r.date)}</span></header>
<p class="sub">${h(`${m.cpu?.brand ?? m.nodeOs.cpuModel ?? 'unknown CPU'}, ${m.cpu?.physicalCores ?? '?'} physical / ${cores} logical cores, Node ${m.node.version}`)} — <code>${h(r.command)}</code>, ${r.options?.repeats ?? '?'} repeat(s); medians, whiskers min–max.</p>
<section class="card"><h2>Efficiency of batchtools against the practical limit</h2>
<p class="sub">Speedup ÷ the speedup of bare workers over shared memory in the same round (1.00 = as fast as hand-written workers).</p>
<div class="chart" id="speedup-efficiency"></div></section>
<div class="grid2">${peer.slice(0, -1).map((p) => `<section class="card"><h2>${h(p.workload)}: speedup over the plain loop</h2><p class="sub">${h(r.workloads[p.workload]?.description ?? '')}, ${(r.workloads[p.workload]?.n ?? 0).toLocaleString('en-US')} items. Dashed: ideal ${cores}×; orange: the practical limit.</p><div class="chart" id="speedup-${p.id}"></div></section>`).join('\n')}</div>
<section class="card"><h2>Efficiency of every contender (speedup ÷ practical limit)</h2><table id="efficiency">${header}${table}</table></section>
${r.contenders.length > 0 ? `<section class="card"><h2>Contenders</h2><table>${r.contenders.map((c) => `<tr><td><code>${h(c.id)}</code></td><td>${h(c.how)}</td></tr>`).join('')}</table></section>` : ''}
</main>`;
  return renderPage({ title, body, data: { peer }, script: `${COMMON_SCRIPT}\n${BENCH_SCRIPT}`, uplot: false });
}
