/**
 * Browser-side drawing of the run report (plain JavaScript, inlined after COMMON_SCRIPT and uPlot): the
 * per-worker chunk timeline on a canvas with hover details, and two uPlot charts on the same time axis (chunk
 * size, controller reasons and throughput; heap per worker with the pressure bands).
 */
export const RUN_SCRIPT = String.raw`
var M = DATA.model;
var STATUS = {
  ok: '#6d93e8', failedItems: '#e53935', chunkFailed: '#8b1a1a', isolated: '#f2b705', retried: '#f08c2e', stolen: '#7b4fc9'
};
var REASON_COLORS = {
  'probe': '#9fb7ef', 'time-target': '#2a9d8f', 'dead-band': '#b7d7c9', 'fac2-cap': '#c8a2e8', 'tail': '#8e5bd0',
  'heap-freeze': '#f2b705', 'heap-shrink': '#e07b39', 'pressure-freeze': '#d1495b', 'oom-cap': '#8b1a1a', 'max-cap': '#5d6675', 'split': '#3d7dd8'
};
var FAILED_ITEMS = 1, CHUNK_FAILED = 2, RETRIED = 4, STOLEN = 8, ISOLATED = 16;
var OUTCOMES = ['ok', 'oom', 'crash', 'clone', 'timeout'];

function barColor(f) {
  if (f & CHUNK_FAILED) return STATUS.chunkFailed;
  if (f & FAILED_ITEMS) return STATUS.failedItems;
  if (f & ISOLATED) return STATUS.isolated;
  if (f & RETRIED) return STATUS.retried;
  return STATUS.ok;
}

/** The x range all charts show, ms (zooming one chart zooms the others). */
var view = { from: 0, to: Math.max(M.elapsedMs, 1e-3) };
var margins = { left: 86, right: 14 };

function drawTimeline() {
  var host = document.getElementById('timeline');
  var B = M.bars, rows = M.workers, n = B.start.length;
  var rowOf = {}; rows.forEach(function (w, i) { rowOf[w] = i; });
  var byRow = rows.map(function () { return []; });
  for (var i = 0; i < n; i++) byRow[rowOf[B.worker[i]]].push(i);
  var canvas = document.createElement('canvas');
  host.appendChild(canvas);
  var top = 8, rowH = Math.max(14, Math.min(30, Math.floor(260 / Math.max(1, rows.length)))), axisH = 26;
  var W = 0, H = top + rows.length * rowH + axisH, left = 0, right = 0;
  function xOf(t) { return left + ((t - view.from) / (view.to - view.from)) * (W - left - right); }
  function draw() {
    W = widthOf(host);
    left = margins.left; right = margins.right;
    var dpr = window.devicePixelRatio || 1;
    canvas.width = W * dpr; canvas.height = H * dpr;
    canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
    var c = canvas.getContext('2d');
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.clearRect(0, 0, W, H);
    c.font = '12px system-ui, sans-serif';
    c.textBaseline = 'middle';
    rows.forEach(function (w, r) {
      var y = top + r * rowH;
      c.fillStyle = r % 2 ? '#f7f8fa' : '#ffffff';
      c.fillRect(left, y, W - left - right, rowH);
      c.fillStyle = '#1d2330';
      c.fillText(w < 0 ? 'lost worker' : 'worker ' + w, 8, y + rowH / 2);
    });
    c.save();
    c.beginPath(); c.rect(left, 0, W - left - right, H); c.clip();
    // Marked bars (failed, retried, stolen, isolated) are drawn last, on top of merged neighbours.
    for (var pass = 0; pass < 2; pass++) for (var i = 0; i < n; i++) {
      if ((B.flags[i] !== 0) !== (pass === 1)) continue;
      if (B.end[i] < view.from || B.start[i] > view.to) continue;
      var r = rowOf[B.worker[i]], y = top + r * rowH + 2, h = rowH - 4;
      var x0 = xOf(B.start[i]), x1 = Math.max(x0 + 1, xOf(B.end[i]));
      var f = B.flags[i];
      c.fillStyle = barColor(f);
      c.globalAlpha = B.chunks[i] > 1 ? Math.max(0.35, Math.min(1, B.runMs[i] / Math.max(1e-6, B.end[i] - B.start[i]))) : 1;
      c.fillRect(x0, y, x1 - x0, h);
      c.globalAlpha = 1;
      if (f & STOLEN) { c.fillStyle = STATUS.stolen; c.fillRect(x0, y, x1 - x0, Math.max(2, h / 4)); }
      if ((f & RETRIED) && (f & (CHUNK_FAILED | FAILED_ITEMS | ISOLATED))) { c.fillStyle = STATUS.retried; c.fillRect(x0, y + h - 3, x1 - x0, 3); }
    }
    c.restore();
    var axisY = top + rows.length * rowH;
    c.strokeStyle = '#c5cad3'; c.beginPath(); c.moveTo(left, axisY + 0.5); c.lineTo(W - right, axisY + 0.5); c.stroke();
    c.fillStyle = '#5d6675'; c.textAlign = 'center';
    var span = view.to - view.from, unit = span >= 2000 ? 1000 : 1, label = unit === 1000 ? ' s' : ' ms';
    ticks(view.from / unit, view.to / unit, Math.max(2, Math.floor((W - left) / 90))).forEach(function (v) {
      var x = xOf(v * unit);
      c.fillRect(x, axisY, 1, 4);
      c.fillText(String(+v.toFixed(3)) + label, x, axisY + 14);
    });
    c.textAlign = 'left';
  }
  function find(px, py) {
    var r = Math.floor((py - top) / rowH);
    if (r < 0 || r >= rows.length || px < left) return -1;
    var span = view.to - view.from;
    var t = view.from + ((px - left) / (W - left - right)) * span, slack = (3 / (W - left - right)) * span;
    var list = byRow[r], best = -1, bestD = Infinity;
    var lo = 0, hi = list.length - 1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (B.start[list[mid]] <= t) lo = mid + 1; else hi = mid - 1; }
    // Within reach, a marked bar wins over its neighbours (it is what one hovers for), then the nearest.
    for (var k = Math.max(0, hi - 3); k <= Math.min(list.length - 1, hi + 3); k++) {
      var i = list[k], d = t < B.start[i] ? B.start[i] - t : t > B.end[i] ? t - B.end[i] : 0;
      if (d > slack) continue;
      var better = best < 0 || (B.flags[i] !== 0) > (B.flags[best] !== 0) || ((B.flags[i] !== 0) === (B.flags[best] !== 0) && d < bestD);
      if (better) { bestD = d; best = i; }
    }
    return best;
  }
  function describe(i) {
    var f = B.flags[i], lines = [];
    var who = B.worker[i] < 0 ? 'lost worker' : 'worker ' + B.worker[i];
    if (B.chunks[i] > 1) lines.push(fmtInt(B.chunks[i]) + ' chunks merged (' + who + ')');
    else if (B.first[i] < 0) lines.push('chunk on ' + who);
    else lines.push('chunk on ' + who + (B.items[i] === 1 ? ', item ' + fmtInt(B.first[i]) : ', items ' + fmtInt(B.first[i]) + '–' + fmtInt(B.first[i] + B.items[i] - 1)));
    lines.push('items: ' + fmtInt(B.items[i]));
    lines.push('in worker: ' + fmtMs(B.runMs[i]) + (B.chunks[i] > 1 ? ' (total)' : ''));
    lines.push('round trip: ' + fmtMs(B.roundTripMs[i]) + (B.chunks[i] > 1 ? ' (longest)' : ''));
    lines.push('from ' + fmtMs(B.start[i]) + ' to ' + fmtMs(B.end[i]));
    var marks = [];
    if (B.outcome[i] > 0) marks.push('chunk failed: ' + OUTCOMES[B.outcome[i]]);
    if (f & FAILED_ITEMS) marks.push('items failed');
    if (f & RETRIED) marks.push('retry');
    if (f & ISOLATED) marks.push('isolated');
    if (f & STOLEN) marks.push('stolen');
    if (marks.length) lines.push(marks.join(', '));
    return lines.join('\n');
  }
  canvas.addEventListener('mousemove', function (e) {
    var box = canvas.getBoundingClientRect(), i = find(e.clientX - box.left, e.clientY - box.top);
    tip(i < 0 ? null : describe(i), e.clientX, e.clientY);
  });
  canvas.addEventListener('mouseleave', function () { tip(null); });
  draw();
  window.addEventListener('resize', draw);
  /** Viewport position of bar i's centre (for tests and links). */
  report.locateBar = function (i) {
    var box = canvas.getBoundingClientRect(), r = rowOf[B.worker[i]];
    return { x: box.left + (xOf(B.start[i]) + Math.max(xOf(B.start[i]) + 1, xOf(B.end[i]))) / 2, y: box.top + top + r * rowH + rowH / 2 };
  };
  registerChart('timeline', 'timeline', canvas, rows.length);
  return draw;
}

var plots = [], redrawTimeline = function () {};
/** When one chart zooms, the others and the timeline follow. */
function onScale(u, key) {
  if (key !== 'x') return;
  var from = u.scales.x.min * 1000, to = u.scales.x.max * 1000;
  if (Math.abs(from - view.from) < 1e-9 && Math.abs(to - view.to) < 1e-9) return;
  view.from = from; view.to = to;
  plots.forEach(function (p) { if (p !== u) p.setScale('x', { min: from / 1000, max: to / 1000 }); });
  redrawTimeline();
}
function plotOpts(title, host, height, series, axes, scales, hooks) {
  hooks = hooks || {};
  hooks.setScale = [onScale];
  scales.x = { time: false };
  return {
    title: title, width: widthOf(host), height: height, series: series, axes: axes, scales: scales,
    cursor: { sync: { key: 'run' }, drag: { x: true, y: false } }, legend: { live: true }, hooks: hooks
  };
}
var xSeries = { label: 'time', value: function (u, v) { return v == null ? '–' : fmtMs(v * 1000); } };
var xAxis = { label: 'seconds since the run started', values: function (u, vals) { return vals.map(function (v) { return +v.toFixed(3); }); } };

function drawSizeChart() {
  var host = document.getElementById('chunk-size');
  var S = M.series;
  var series = [xSeries,
    { label: 'decided size', stroke: '#3563c9', width: 2, scale: 'items', points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }), value: function (u, v) { return fmtInt(v); } },
    { label: 'completed size (mean)', stroke: '#9fb7ef', width: 1, scale: 'items', points: { show: false }, value: function (u, v) { return fmtInt(v); } },
    { label: 'throughput (items/s)', stroke: '#2a9d8f', width: 1.5, scale: 'tp', fill: '#2a9d8f14', points: { show: false }, value: function (u, v) { return fmtInt(v); } }];
  var data = [S.x, S.decided, S.completed, S.throughput];
  if (M.decisions === 0) { series.splice(1, 1); data.splice(1, 1); }
  var axes = [xAxis,
    { scale: 'items', label: 'items per chunk', size: 64, values: function (u, vals) { return vals.map(fmtInt); } },
    { scale: 'tp', side: 1, label: 'items/s', size: 72, stroke: '#2a9d8f', grid: { show: false }, values: function (u, vals) { return vals.map(function (v) { return v >= 1e6 ? (v / 1e6) + 'M' : v >= 1e3 ? (v / 1e3) + 'k' : v; }); } }];
  var hooks = { draw: [function (u) {
    var ctx = u.ctx, b = u.bbox, h = 6 * (window.devicePixelRatio || 1);
    S.reasonSegments.forEach(function (s) {
      var x0 = u.valToPos(s[0], 'x', true), x1 = u.valToPos(s[1], 'x', true);
      ctx.fillStyle = REASON_COLORS[S.reasons[s[2]]] || '#999';
      ctx.fillRect(x0, b.top + b.height - h, Math.max(1, x1 - x0), h);
    });
  }] };
  var u = new uPlot(plotOpts('', host, 260, series, axes, { items: { range: function (u, lo, hi) { return [0, Math.max(1, hi) * 1.1]; } }, tp: { range: function (u, lo, hi) { return [0, Math.max(1, hi) * 1.1]; } } }, hooks), data, host);
  registerChart('chunk-size', 'uplot', u.root.querySelector('canvas'), series.length - 1);
  return u;
}

function drawHeapChart() {
  var host = document.getElementById('heap');
  var S = M.series;
  var live = M.perWorker;
  var series = [xSeries].concat(live.map(function (w, i) {
    return { label: 'worker ' + w.worker + (w.heapLimitMb ? ' (limit ' + fmtInt(w.heapLimitMb) + ' MiB)' : ''), stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false }, value: function (u, v) { return v == null ? '–' : v.toFixed(1) + '%'; } };
  }));
  var data = [S.x].concat(S.heap);
  var bands = [[DATA.bands.freezeAt, DATA.bands.halveAt, '#f2b70522'], [DATA.bands.halveAt, DATA.bands.quarterAt, '#e07b392b'], [DATA.bands.quarterAt, 1, '#d1495b2e']];
  var hooks = { drawClear: [function (u) {
    var ctx = u.ctx, b = u.bbox;
    bands.forEach(function (band) {
      var y0 = u.valToPos(band[1] * 100, 'y', true), y1 = u.valToPos(band[0] * 100, 'y', true);
      ctx.fillStyle = band[2];
      ctx.fillRect(b.left, y0, b.width, y1 - y0);
    });
  }] };
  var axes = [xAxis, { label: 'heap used / limit', size: 64, values: function (u, vals) { return vals.map(function (v) { return v + '%'; }); } },
    { side: 1, size: 72, scale: 'y', grid: { show: false }, ticks: { show: false }, values: function (u, vals) { return vals.map(function () { return ''; }); } }];
  var u = new uPlot(plotOpts('', host, 220, series, axes, { y: { range: [0, 100] } }, hooks), data, host);
  registerChart('heap', 'uplot', u.root.querySelector('canvas'), series.length - 1);
  return u;
}

try {
  plots.push(drawSizeChart(), drawHeapChart());
  plots.forEach(function (u) { u.setScale('x', { min: 0, max: view.to / 1000 }); });
  // The timeline's plot area lines up with the charts' (same x pixels for the same time).
  var dpr = window.devicePixelRatio || 1, bbox = plots[0].bbox;
  margins.left = bbox.left / dpr;
  margins.right = plots[0].width - (bbox.left + bbox.width) / dpr;
  redrawTimeline = drawTimeline();
  window.addEventListener('resize', function () {
    plots.forEach(function (u) { u.setSize({ width: widthOf(u.root.parentNode), height: u.height }); });
  });
  report.ready = true;
} catch (e) {
  report.errors.push(String(e && e.stack || e));
  throw e;
}
`;
