/**
 * The real browser for the report tests: Debian's chromium, driven by playwright-core (no browser download).
 * A page is opened from disk with every network request recorded, and its console errors collected.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where the system browser is. */
export const CHROMIUM = process.env['BATCHTOOLS_CHROMIUM'] ?? '/usr/bin/chromium';

/** A launched browser with its own fresh profile directory. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launch headless chromium; fails with a clear message when it is not installed (CI installs it). */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set BATCHTOOLS_CHROMIUM; the report tests need a real browser`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'bt-chromium-'));
  // The fresh profile is playwright's --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page opened from a file, with what it did. */
export interface OpenedPage {
  page: Page;
  consoleErrors: string[];
  /** Every request the page made other than the file itself. */
  requests: string[];
}

/** Open `file` in a new page of `context` and wait until its charts are drawn (or an error is reported). */
export async function openReport(context: BrowserContext, file: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  const url = `file://${file}`;
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url);
  await page.waitForFunction('window.batchtoolsReport !== undefined && (window.batchtoolsReport.ready || window.batchtoolsReport.errors.length > 0)', undefined, { timeout: 10_000 });
  return { page, consoleErrors, requests };
}

/** Each registered chart: id, kind, series count, drawn size (CSS px) and how many pixels are not blank. */
export interface DrawnChart {
  id: string;
  kind: string;
  series: number;
  width: number;
  height: number;
  inked: number;
}

/** Read the page's chart registry and measure each chart as drawn. */
export async function drawnCharts(page: Page): Promise<DrawnChart[]> {
  // A string: the test project has no DOM types, and this runs in the page.
  return page.evaluate(`window.batchtoolsReport.charts.map((c) => {
    const box = c.el.getBoundingClientRect();
    let inked = 0;
    if (c.el instanceof HTMLCanvasElement) {
      const data = c.el.getContext('2d').getImageData(0, 0, c.el.width, c.el.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
    } else {
      inked = c.el.querySelectorAll('rect, path, line, circle, polyline').length;
    }
    return { id: c.id, kind: c.kind, series: c.series, width: box.width, height: box.height, inked };
  })`) as Promise<DrawnChart[]>;
}
