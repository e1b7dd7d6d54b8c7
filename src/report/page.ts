/**
 * The shell every report page shares: one self-contained HTML file. Scripts, styles and data are inlined, and a
 * Content-Security-Policy forbids every fetch, so the page opens from disk and makes no network request.
 *
 * Charts: uPlot for the time series (chunk size, throughput, heap), hand-written canvas for the per-worker
 * timeline and hand-written SVG for bars, histograms and intervals. Why uPlot, against the other candidates:
 * - size: 51 KB minified, no dependencies (Observable Plot needs d3, ~300 KB; ECharts ~1 MB; Vega-Lite + Vega
 *   ~800 KB), which keeps a 1 M item report under 500 KB with its data inlined;
 * - speed: it draws to canvas in one pass, 100 k points in a few ms, with cursor, legend and synced cursors built
 *   in; SVG-based Plot and Vega-Lite's SVG renderer create a DOM node per mark and crawl at that size;
 * - no network at view time: a single IIFE file we inline; nothing is loaded from a CDN;
 * - licence: MIT, inlined with its notice.
 * Bars and histograms have a few dozen marks at most, so plain SVG (no library) is the smaller and clearer tool.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { REPORT_STYLE } from './style.ts';

const require = createRequire(import.meta.url);
let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's script and stylesheet, read once from the installed package. */
function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no `<!--`, no line separators). */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** What a page is made of. */
export interface PageParts {
  title: string;
  /** Server-rendered HTML of the body (headings, tables, chart containers). */
  body: string;
  /** Data for the page's script, as `window` reads it from the `report-data` element. */
  data: unknown;
  /** The page's script (plain browser JavaScript); runs after the data and the chart helpers. */
  script: string;
  /** Include uPlot (only pages with time series need it). */
  uplot: boolean;
}

/** The whole HTML document. */
export function renderPage(parts: PageParts): string {
  const assets = parts.uplot ? uplot() : undefined;
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="batchtools">',
    `<title>${escapeHtml(parts.title)}</title>`,
    assets ? `<style>${assets.css}</style>` : '',
    `<style>${REPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    parts.body,
    `<script type="application/json" id="report-data">${scriptJson(parts.data)}</script>`,
    assets ? `<script>/* uPlot (MIT License, Copyright (c) 2022 Leon Sorokin) */\n${assets.js}</script>` : '',
    `<script>\n"use strict";\n${parts.script}\n</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
