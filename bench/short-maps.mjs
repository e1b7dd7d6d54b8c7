#!/usr/bin/env node
/**
 * `npm run bench:short [-- --n 5000,20000,100000 --maps 15 --dist DIR]`: short maps of small records on a warm
 * runtime, where a fixed cost per map (chunk-size probe, round trips, the tail) weighs most. For each size: three
 * warm-up rounds, then `--maps` rounds of one plain loop and one `rt.map` of the same `{ id, text }` records (~1 µs
 * each, the task of `1us-rec`); prints the medians and the speedup. `--dist` measures another build (an older
 * checkout's dist/) for an A/B in turns. Writes `bench/results/short-maps.{json,md}` with the machine's
 * description (not with `--dist`, or with `--no-save`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import { calibrate, workRecord } from './workloads.mjs';
import { flagReader } from './lib/args.mjs';
import { plainVsMap } from './lib/plain-vs-map.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const sizes = opt('n', '5000,20000,100000').split(',').map(Number);
const maps = Number(opt('maps', '15'));
const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const bt = await import(new URL('src/index.js', dist).href);

const iters = Math.max(1, Math.round(970 / calibrate().nsPerIter));
const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);
const rt = bt.createRuntime();
const task = bt.defineTask(new URL('./workloads.mjs', import.meta.url), 'workRecord');
const loadBefore = os.loadavg();
const rows = [];
for (const n of sizes) {
  const items = Array.from({ length: n }, (_, i) => ({ id: iters * 2 ** 20 + (i % 4096), text: `rec-${tag(i)}-abcdefghij`.slice(0, 20) }));
  const { mapMs: m, plainMs: p } = await plainVsMap({ rt, task, fn: workRecord, items, warmups: 3, rounds: maps, label: `${n} records` });
  rows.push({ records: n, mapMs: m, plainMs: p, speedup: p / m, maps });
  process.stdout.write(`${String(n).padStart(7)} records  map ${m.toFixed(2)} ms  plain ${p.toFixed(2)} ms  speedup ${(p / m).toFixed(2)}x (medians of ${maps})\n`);
}
await rt.close();
if (!distArg && !args.includes('--no-save')) {
  const machine = await describeMachine();
  const load = [loadBefore, os.loadavg()].map((l) => l.map((x) => x.toFixed(2)).join(' '));
  const out = new URL('./results/', import.meta.url);
  mkdirSync(out, { recursive: true });
  const date = new Date().toISOString();
  writeFileSync(new URL('short-maps.json', out), `${JSON.stringify({ date, machine, loadBefore: load[0], loadAfter: load[1], rows }, null, 2)}\n`);
  const table = rows.map((r) => `| ${r.records} | ${r.mapMs.toFixed(2)} | ${r.plainMs.toFixed(2)} | **${r.speedup.toFixed(2)}×** |`).join('\n');
  writeFileSync(
    new URL('short-maps.md', out),
    `# Short maps of small records (\`npm run bench:short\`)\n\n${date}; ${machine.nodeOs.cpus} × ${machine.nodeOs.cpuModel}, Node ${process.version}; ` +
      `load average ${load[0]} before, ${load[1]} after\n\n` +
      `A warm runtime (three maps of the same records first); per size, medians of ${maps} rounds of one plain loop and one \`rt.map\` ` +
      'of `{ id, text }` records (~1 µs of work each, the `1us-rec` task).\n\n| records | rt.map ms | plain loop ms | speedup |\n|---:|---:|---:|---:|\n' +
      `${table}\n`,
  );
}
