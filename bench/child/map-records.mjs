/**
 * rt.map's speedup on the records of a JSON Lines file (the in-process counterpart of the CLI comparison): the
 * records are parsed once, then a plain loop and `rt.map` (default options) run `workRecord` over them, each
 * warmed with one pass, interleaved, `runs` timed passes each. Prints { plainMs, mapMs, speedup } (medians).
 * Usage: node map-records.mjs <input.jsonl> <runs>
 */
import { readFileSync } from 'node:fs';
import { workRecord } from '../workloads.mjs';
import { BATCHTOOLS_ENTRY } from '../lib/contenders.mjs';
import { median } from '../lib/measure.mjs';

const [input, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const records = readFileSync(input, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
const { createRuntime, defineTask } = await import(BATCHTOOLS_ENTRY.href);
const rt = createRuntime();
const task = defineTask(new URL('../workloads.mjs', import.meta.url), 'workRecord');
const plain = () => {
  const out = new Array(records.length);
  for (let i = 0; i < records.length; i++) out[i] = workRecord(records[i]);
  return out;
};
const time = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
await time(plain);
await time(() => rt.map(records, task));
const plainMs = [];
const mapMs = [];
for (let r = 0; r < runs; r++) {
  for (const mode of r % 2 ? ['map', 'plain'] : ['plain', 'map']) {
    if (mode === 'plain') plainMs.push(await time(plain));
    else mapMs.push(await time(() => rt.map(records, task)));
  }
}
await rt.close();
console.log(JSON.stringify({ plainMs, mapMs, speedup: median(plainMs) / median(mapMs) }));
