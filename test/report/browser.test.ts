// Every kind of report page, opened from disk in a real headless chromium: drawn, quiet, offline, interactive.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask, type RunTrace } from '../../src/index.ts';
import { compareResults } from '../../src/suites/index.ts';
import { renderBenchReport, renderPeerBenchReport, renderRunReport } from '../../src/report/index.ts';
import { makeDocument, normalSamples } from '../fixtures/suites/make-document.ts';
import { drawnCharts, launchBrowser, openReport, type OpenedPage, type TestBrowser } from './browser.ts';
import { syntheticTrace } from './traces.ts';

const dir = mkdtempSync(join(tmpdir(), 'bt-report-'));
let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, html: string): Promise<OpenedPage> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  return openReport(browser.context, file);
}

/** The page drew without errors or requests, and a full-page screenshot is written under the test's folder. */
async function expectQuietAndShoot(p: OpenedPage, name: string): Promise<void> {
  expect(p.consoleErrors).toEqual([]);
  expect(p.requests).toEqual([]);
  expect(await p.page.evaluate('window.batchtoolsReport.errors')).toEqual([]);
  const png = join(dir, `${name}.png`);
  await p.page.screenshot({ path: png, fullPage: true });
  expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  expect(statSync(png).size).toBeGreaterThan(10_000);
}

/** Hover bar `i` of the timeline; returns the tooltip's text. */
async function hoverBar(p: OpenedPage, i: number): Promise<string> {
  const at = (await p.page.evaluate(`window.batchtoolsReport.locateBar(${i})`)) as { x: number; y: number };
  await p.page.mouse.move(at.x, at.y);
  return (await p.page.textContent('#tip')) ?? '';
}

describe('run report in a browser', () => {
  it('draws a real run: timeline, chunk size and heap charts, failed items listed, hover shows a chunk', async () => {
    const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
    let trace: RunTrace | undefined;
    try {
      const task = defineTask<number, number>(new URL('../fixtures/math.mjs', import.meta.url), 'failOnOdd');
      await rt.mapSettled(Array.from({ length: 3000 }, (_, i) => i * 2 + (i % 50 === 7 ? 1 : 0)), task, { timeout: 60_000, onTrace: (t) => (trace = t) });
    } finally {
      await rt.close();
    }
    const p = await open('run', renderRunReport({ trace: trace!, plan: rt.plan, title: 'failOnOdd' }));
    const charts = await drawnCharts(p.page);
    expect(charts.map((c) => [c.id, c.series])).toEqual([['chunk-size', 3], ['heap', 2], ['timeline', 2]]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(600);
      expect(c.height).toBeGreaterThan(50);
      expect(c.inked).toBeGreaterThan(1000);
    }
    const failed = await p.page.textContent('#failed-items');
    expect(failed).toContain('odd item 15');
    expect(failed).toContain('BT_TASK_FAILED');
    expect(await p.page.textContent('#failures h2')).toContain('60 items');
    const tip = await hoverBar(p, 0);
    expect(tip).toMatch(/^chunk on worker \d, items? [\d,]+(–[\d,]+)?\nitems: \d+\nin worker: .+\nround trip: .+/);
    await expectQuietAndShoot(p, 'run');
    await p.page.close();
  });

  it('draws a 1 M item run from its aggregated trace, with stolen, retried, isolated and crashed chunks marked', async () => {
    const trace = syntheticTrace({ items: 1_000_000, chunkItems: 8, workers: 2, itemMs: 0.01, markEvery: 400 });
    const p = await open('million', renderRunReport({ trace }));
    const charts = await drawnCharts(p.page);
    expect(charts.map((c) => [c.id, c.series])).toEqual([['chunk-size', 3], ['heap', 2], ['timeline', 3]]);
    for (const c of charts) expect(c.inked).toBeGreaterThan(1000);
    const find = (flag: number): Promise<number> => p.page.evaluate(`DATA.model.bars.flags.findIndex((f, i) => (f & ${flag}) && DATA.model.bars.chunks[i] === 1)`) as Promise<number>;
    const expectations: Array<[number, RegExp]> = [[8, /stolen/], [4, /retry/], [16, /isolated/], [2, /chunk failed: crash/], [1, /items failed/]];
    for (const [flag, text] of expectations) {
      const i = await find(flag);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(await hoverBar(p, i)).toMatch(text);
    }
    const merged = (await p.page.evaluate('DATA.model.bars.chunks.findIndex((n) => n > 1)')) as number;
    expect(await hoverBar(p, merged)).toMatch(/^\d[\d,]* chunks merged/);
    await expectQuietAndShoot(p, 'million');
    await p.page.close();
  });
});

describe('benchmark pages in a browser', () => {
  it('draws latency distributions with the baseline and the changes, regressions in red', async () => {
    const base = makeDocument({ 'a.bench.ts': { fast: normalSamples(1, 800, 0.02, 0.002), slow: normalSamples(2, 800, 0.5, 0.05) } });
    const cur = makeDocument({ 'a.bench.ts': { fast: normalSamples(3, 800, 0.02, 0.002), slow: normalSamples(4, 800, 0.65, 0.05) } });
    const comparison = compareResults(base, cur);
    const p = await open('bench', renderBenchReport({ document: cur, comparison, baseline: base, baselineName: 'base.json' }));
    const charts = await drawnCharts(p.page);
    expect(charts.map((c) => [c.id, c.series])).toEqual([['hist-0-0', 2], ['hist-0-1', 2], ['forest', 1]]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(600);
      expect(c.inked).toBeGreaterThan(5);
    }
    const color = await p.page.evaluate(`getComputedStyle(document.querySelector('#comparison tr.regression td')).color`);
    expect(color).toBe('rgb(198, 40, 40)');
    expect(await p.page.textContent('#comparison tr.regression')).toContain('slow');
    const dot = p.page.locator('#forest circle').nth(1);
    await dot.hover();
    expect(await p.page.textContent('#tip')).toMatch(/a\.bench\.ts › slow\nchange \+\d+\.\d%/);
    await expectQuietAndShoot(p, 'bench');
    await p.page.close();
  });

  it("draws the project's peer comparison: speedup per workload and efficiency", async () => {
    const results = JSON.parse(readFileSync(new URL('../../bench/results/latest.json', import.meta.url), 'utf8')) as {
      workloads: Record<string, unknown>;
      contenders: unknown[];
    };
    const p = await open('peers', renderPeerBenchReport(results));
    const charts = await drawnCharts(p.page);
    const workloads = Object.keys(results.workloads).length;
    expect(charts).toHaveLength(workloads + 1);
    for (const c of charts.slice(0, workloads)) expect(c.series).toBe(results.contenders.length - 1);
    expect(charts.at(-1)).toMatchObject({ id: 'speedup-efficiency', series: workloads });
    for (const c of charts) expect(c.inked).toBeGreaterThan(c.series);
    await expectQuietAndShoot(p, 'peers');
    await p.page.close();
  });
});
