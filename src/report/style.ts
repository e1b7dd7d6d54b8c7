/** The stylesheet of every report page: light, quiet, readable; colours carry meaning only (see the legends). */
export const REPORT_STYLE = `
:root { --fg: #1d2330; --muted: #5d6675; --line: #dfe3ea; --bg: #f5f6f8; --card: #fff; --bad: #c62828; --good: #2e7d32;
  --warn: #e08a00; --accent: #3563c9; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font-size: 14px; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
header.top { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 6px; }
h1 { font-size: 22px; margin: 0; font-weight: 650; }
h2 { font-size: 16px; margin: 0 0 4px; font-weight: 650; }
h3 { font-size: 14px; margin: 14px 0 4px; font-weight: 600; }
.sub { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 14px 0; }
.card > p.sub { margin: 0 0 8px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(110px, 1fr)); gap: 10px; margin: 12px 0; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi b { display: block; font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.kpi span { color: var(--muted); font-size: 12px; }
.kpi.bad b { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; }
tr.regression td { color: var(--bad); font-weight: 600; }
tr.improvement td.change { color: var(--good); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.err { color: var(--bad); }
.bar { display: inline-block; height: 10px; background: var(--accent); border-radius: 2px; vertical-align: middle; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; color: var(--muted); margin: 6px 0 2px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 5px; vertical-align: -2px; }
.chart { position: relative; width: 100%; }
.chart canvas { display: block; }
.tip { position: fixed; pointer-events: none; z-index: 10; background: #1d2330; color: #fff; font-size: 12px;
  padding: 6px 8px; border-radius: 5px; max-width: 320px; white-space: pre-line; box-shadow: 0 2px 8px #0004; display: none; }
.note { font-size: 12px; color: var(--muted); margin-top: 4px; }
ul.reasons { margin: 4px 0 0; padding-left: 18px; }
svg text { font-family: inherit; font-size: 11px; fill: var(--muted); }
svg .lbl { fill: var(--fg); }
.u-legend { font-size: 12px; }
.task { border-top: 1px solid var(--line); padding-top: 4px; margin-top: 10px; }
.task h3 { margin-top: 6px; }
table.stats { margin-top: 4px; }
`;
