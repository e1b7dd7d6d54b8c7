/**
 * Browser-side drawing of the benchmark pages (plain JavaScript, inlined after COMMON_SCRIPT): latency
 * histograms per task (with the baseline's behind), the change of each task with its confidence interval
 * (regressions in red), and horizontal bar charts for the peer comparison. Plain SVG: a few dozen marks each.
 */
export const BENCH_SCRIPT = String.raw`
var COLORS = { current: '#3563c9', baseline: '#b9c2d0', regression: '#c62828', improvement: '#2e7d32', unchanged: '#8a93a3', limit: '#e07b39' };

/** Histogram of latency samples (ms); a second, grey set behind it when a baseline is given. */
function histogram(host, task) {
  var W = widthOf(host), H = 150, L = 44, R = 10, T = 8, B = 30;
  var all = task.samples.concat(task.baseline || []);
  if (all.length === 0) { host.textContent = 'no samples'; return; }
  all.sort(function (a, b) { return a - b; });
  var lo = all[0], hi = all[Math.min(all.length - 1, Math.floor(all.length * 0.995))];
  if (!(hi > lo)) hi = lo + Math.max(1e-6, lo * 0.01);
  var bins = 36, width = (hi - lo) / bins;
  function counts(xs) {
    var c = new Array(bins).fill(0);
    xs.forEach(function (x) { var b = Math.floor((x - lo) / width); if (b >= bins) b = bins - 1; if (b >= 0) c[b]++; });
    return c.map(function (n) { return xs.length ? n / xs.length : 0; });
  }
  var sets = [{ name: 'this run', color: COLORS.current, c: counts(task.samples), n: task.samples.length }];
  if (task.baseline) sets.unshift({ name: 'baseline', color: COLORS.baseline, c: counts(task.baseline), n: task.baseline.length });
  var top = Math.max.apply(null, sets.map(function (s) { return Math.max.apply(null, s.c); })) || 1;
  var svg = svgEl('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H }, host);
  var x = function (v) { return L + ((v - lo) / (hi - lo)) * (W - L - R); };
  var y = function (f) { return T + (1 - f / top) * (H - T - B); };
  ticks(0, top, 3).forEach(function (f) {
    svgEl('line', { x1: L, x2: W - R, y1: y(f), y2: y(f), stroke: '#eceff3' }, svg);
    svgText(svg, L - 4, y(f) + 4, Math.round(f * 100) + '%', { 'text-anchor': 'end' });
  });
  sets.forEach(function (s, k) {
    s.c.forEach(function (f, b) {
      if (f === 0) return;
      var x0 = x(lo + b * width), x1 = x(lo + (b + 1) * width);
      var inset = sets.length > 1 && k === 1 ? (x1 - x0) * 0.2 : 0.5;
      svgEl('rect', { x: x0 + inset, y: y(f), width: Math.max(1, x1 - x0 - 2 * inset), height: H - B - y(f), fill: s.color, opacity: k === 0 && sets.length > 1 ? 0.9 : 1,
        'data-tip': s.name + ': ' + (f * 100).toFixed(1) + '% of ' + fmtInt(s.n) + ' samples\n' + fmtMs(lo + b * width) + ' – ' + fmtMs(lo + (b + 1) * width) }, svg);
    });
  });
  [['mean', task.mean, '#1d2330']].concat(task.baselineMean != null ? [['baseline mean', task.baselineMean, '#8a93a3']] : []).forEach(function (m) {
    if (m[1] == null || m[1] < lo || m[1] > hi) return;
    svgEl('line', { x1: x(m[1]), x2: x(m[1]), y1: T, y2: H - B, stroke: m[2], 'stroke-dasharray': '3 3', 'data-tip': m[0] + ' ' + fmtMs(m[1]) }, svg);
  });
  ticks(lo, hi, Math.max(2, Math.floor(W / 110))).forEach(function (v) {
    if (v < lo || v > hi) return;
    svgEl('line', { x1: x(v), x2: x(v), y1: H - B, y2: H - B + 4, stroke: '#8a93a3' }, svg);
    svgText(svg, x(v), H - B + 16, fmtMs(v), { 'text-anchor': 'middle' });
  });
  svgEl('line', { x1: L, x2: W - R, y1: H - B + 0.5, y2: H - B + 0.5, stroke: '#8a93a3' }, svg);
  svgTips(svg);
  registerChart('hist-' + task.id, 'histogram', svg, sets.length);
}

/** Change of each task's mean latency with its confidence interval; regressions red, improvements green. */
function forest(host, rows, threshold) {
  var W = widthOf(host), rowH = 26, L = Math.min(360, Math.floor(W * 0.4)), R = 70, T = 10, B = 28;
  var H = T + rows.length * rowH + B;
  var ext = rows.reduce(function (m, r) { return r.interval ? Math.max(m, Math.abs(r.interval[0]), Math.abs(r.interval[1])) : m; }, threshold * 1.2);
  var svg = svgEl('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H }, host);
  var x = function (v) { return L + ((v + ext) / (2 * ext)) * (W - L - R); };
  ticks(-ext, ext, 6).forEach(function (v) {
    svgEl('line', { x1: x(v), x2: x(v), y1: T, y2: H - B, stroke: v === 0 ? '#8a93a3' : '#eceff3' }, svg);
    svgText(svg, x(v), H - B + 16, (v > 0 ? '+' : '') + +v.toFixed(1) + '%', { 'text-anchor': 'middle' });
  });
  [threshold, -threshold].forEach(function (t) { svgEl('line', { x1: x(t), x2: x(t), y1: T, y2: H - B, stroke: COLORS.regression, 'stroke-dasharray': '4 3', opacity: t > 0 ? 0.6 : 0.25 }, svg); });
  rows.forEach(function (r, i) {
    var cy = T + i * rowH + rowH / 2, color = COLORS[r.verdict] || COLORS.unchanged;
    svgText(svg, L - 8, cy + 4, r.label.length > 52 ? r.label.slice(0, 51) + '…' : r.label, { 'text-anchor': 'end', class: 'lbl', fill: r.verdict === 'regression' ? COLORS.regression : '#1d2330' });
    if (!r.interval) { svgText(svg, x(0) + 6, cy + 4, 'not comparable: ' + r.reason); return; }
    var tipText = r.label + '\nchange ' + (r.change > 0 ? '+' : '') + fmtNum(r.change, 1) + '% (' + fmtNum(r.interval[0], 1) + '% to ' + fmtNum(r.interval[1], 1) + '%)\np = ' + (r.p < 0.001 ? r.p.toExponential(1) : fmtNum(r.p, 3)) + ', ' + r.verdict;
    svgEl('line', { x1: x(r.interval[0]), x2: x(r.interval[1]), y1: cy, y2: cy, stroke: color, 'stroke-width': 3, 'stroke-linecap': 'round', 'data-tip': tipText }, svg);
    svgEl('circle', { cx: x(r.change), cy: cy, r: 5, fill: color, 'data-tip': tipText }, svg);
    svgText(svg, W - R + 6, cy + 4, (r.change > 0 ? '+' : '') + fmtNum(r.change, 1) + '%', { class: 'lbl', fill: color });
  });
  svgTips(svg);
  registerChart('forest', 'interval', svg, 1);
}

/** Horizontal bars with min–max whiskers and reference lines (the peer comparison). */
function hbars(host, id, spec) {
  var W = widthOf(host), rowH = 20, L = 170, R = 56, T = 6, B = 26;
  var H = T + spec.rows.length * rowH + B;
  var max = spec.max || Math.max.apply(null, spec.rows.map(function (r) { return r.max != null ? r.max : r.value || 0; }).concat(spec.marks.map(function (m) { return m.value; }))) * 1.05 || 1;
  var svg = svgEl('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H }, host);
  var x = function (v) { return L + (Math.max(0, v) / max) * (W - L - R); };
  ticks(0, max, Math.max(2, Math.floor((W - L) / 80))).forEach(function (v) {
    svgEl('line', { x1: x(v), x2: x(v), y1: T, y2: H - B, stroke: '#eceff3' }, svg);
    svgText(svg, x(v), H - B + 15, +v.toFixed(2) + spec.unit, { 'text-anchor': 'middle' });
  });
  spec.rows.forEach(function (r, i) {
    var y = T + i * rowH;
    svgText(svg, L - 6, y + rowH / 2 + 4, r.label, { 'text-anchor': 'end', class: 'lbl', 'font-weight': r.highlight ? '700' : '400' });
    if (r.value == null || !isFinite(r.value)) { svgText(svg, L + 4, y + rowH / 2 + 4, r.error ? 'failed' : '–', { fill: COLORS.regression }); return; }
    svgEl('rect', { x: L, y: y + 3, width: Math.max(1, x(r.value) - L), height: rowH - 6, rx: 2, fill: r.highlight ? COLORS.current : '#9fb0cf', 'data-tip': r.tip }, svg);
    if (r.min != null && r.max != null && r.max > r.min) svgEl('line', { x1: x(r.min), x2: x(r.max), y1: y + rowH / 2, y2: y + rowH / 2, stroke: '#1d2330', 'stroke-width': 1, 'data-tip': r.tip }, svg);
    svgText(svg, x(r.value) + 4 + (r.max != null ? x(r.max) - x(r.value) : 0), y + rowH / 2 + 4, fmtNum(r.value, 2) + spec.unit);
  });
  spec.marks.forEach(function (m) {
    svgEl('line', { x1: x(m.value), x2: x(m.value), y1: T, y2: H - B, stroke: m.color, 'stroke-width': 1.5, 'stroke-dasharray': m.dash || '', 'data-tip': m.label + ': ' + fmtNum(m.value, 2) + spec.unit }, svg);
  });
  svgTips(svg);
  registerChart(id, 'bars', svg, spec.rows.length);
}

try {
  (DATA.tasks || []).forEach(function (t) { histogram(document.getElementById('hist-' + t.id), t); });
  if (DATA.comparison) forest(document.getElementById('forest'), DATA.comparison.rows, DATA.comparison.threshold);
  (DATA.peer || []).forEach(function (w) { hbars(document.getElementById('speedup-' + w.id), 'speedup-' + w.id, w.chart); });
  report.ready = true;
} catch (e) {
  report.errors.push(String(e && e.stack || e));
  throw e;
}
`;
