/**
 * Browser-side helpers every report page shares (plain JavaScript, inlined into the page): number formats, the
 * tooltip, a registry of drawn charts (`window.batchtoolsReport`, which the browser tests read), and small SVG
 * builders for bars and intervals. Written without template literals so it can live in a TypeScript string.
 */
export const COMMON_SCRIPT = `
var DATA = JSON.parse(document.getElementById('report-data').textContent);
var PALETTE = ['#3563c9', '#e07b39', '#2a9d8f', '#8e5bd0', '#c2417a', '#6b8e23', '#b8860b', '#4682b4', '#d1495b', '#00798c'];
var report = window.batchtoolsReport = { charts: [], ready: false, errors: [] };

function fmtInt(n) { return n == null || !isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'); }
function fmtNum(n, d) { return n == null || !isFinite(n) ? '–' : Number(n).toFixed(d == null ? 2 : d); }
function fmtMs(ms) {
  if (ms == null || !isFinite(ms)) return '–';
  var a = Math.abs(ms);
  if (a >= 1000) return (ms / 1000).toFixed(a >= 10000 ? 1 : 2) + ' s';
  if (a >= 1) return ms.toFixed(a >= 100 ? 0 : 2) + ' ms';
  if (a >= 0.001) return (ms * 1000).toFixed(a >= 0.1 ? 0 : 1) + ' µs';
  return (ms * 1e6).toFixed(0) + ' ns';
}
function fmtPct(x, d) { return x == null || !isFinite(x) ? '–' : (x * 100).toFixed(d == null ? 1 : d) + '%'; }

/** Register a drawn chart: its element, kind and number of data series. */
function registerChart(id, kind, el, series) {
  report.charts.push({ id: id, kind: kind, series: series, el: el });
}

var tipEl = null;
function tip(text, x, y) {
  if (!tipEl) { tipEl = document.createElement('div'); tipEl.className = 'tip'; tipEl.id = 'tip'; document.body.appendChild(tipEl); }
  if (text == null) { tipEl.style.display = 'none'; return; }
  tipEl.textContent = text;
  tipEl.style.display = 'block';
  var w = tipEl.offsetWidth, h = tipEl.offsetHeight;
  var left = x + 14, top = y + 14;
  if (left + w > window.innerWidth - 4) left = Math.max(4, x - w - 14);
  if (top + h > window.innerHeight - 4) top = Math.max(4, y - h - 14);
  tipEl.style.left = left + 'px';
  tipEl.style.top = top + 'px';
}

var SVGNS = 'http://www.w3.org/2000/svg';
function svgEl(name, attrs, parent) {
  var el = document.createElementNS(SVGNS, name);
  for (var k in attrs) el.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(el);
  return el;
}
function svgText(parent, x, y, text, attrs) {
  var t = svgEl('text', Object.assign({ x: x, y: y }, attrs || {}), parent);
  t.textContent = text;
  return t;
}
/** Nice round ticks over [lo, hi]. */
function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
  var err = (hi - lo) / count / step;
  if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
  var out = [];
  for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  return out;
}
/** Attach hover tooltips to SVG marks carrying a data-tip attribute. */
function svgTips(svg) {
  svg.addEventListener('mousemove', function (e) {
    var t = e.target && e.target.getAttribute && e.target.getAttribute('data-tip');
    tip(t || null, e.clientX, e.clientY);
  });
  svg.addEventListener('mouseleave', function () { tip(null); });
}
/** Width available to a chart inside its container. */
function widthOf(el) { return Math.max(320, Math.floor(el.getBoundingClientRect().width)); }
window.addEventListener('error', function (e) { report.errors.push(String(e.message)); });
`;
