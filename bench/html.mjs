#!/usr/bin/env node
/**
 * The HTML page of a peer benchmark result: `node bench/html.mjs [NAME]` renders bench/results/NAME.json (default
 * latest) to bench/results/NAME.html (speedup by workload and contender, efficiency against the practical limit).
 * Uses the built report product (`npm run build` first; `npm run bench` builds).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Write bench/results/NAME.html from a results object; returns the file's path.
 * @param {unknown} results @param {string} name
 */
export async function writeBenchHtml(results, name) {
  const { renderPeerBenchReport } = await import(new URL('../dist/src/report/index.js', import.meta.url).href);
  const file = new URL(`./results/${name}.html`, import.meta.url);
  writeFileSync(file, renderPeerBenchReport(results));
  return fileURLToPath(file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2] ?? 'latest';
  const results = JSON.parse(readFileSync(new URL(`./results/${name}.json`, import.meta.url), 'utf8'));
  process.stdout.write(`wrote ${await writeBenchHtml(results, name)}\n`);
}
