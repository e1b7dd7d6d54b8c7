/**
 * What a library user writes in place of `batchtools run`: the plain script's job (bench/child/cli-plain.mjs: read
 * a JSON Lines file, parse each line, run the task, write the same output lines), with `rt.map` over the parsed
 * records. Timed as a whole process like the CLI, so that node's start-up and the workers' boot weigh on both.
 * Usage: node cli-map.mjs <input> <output> <export of bench/workloads.mjs>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BATCHTOOLS_ENTRY } from '../lib/contenders.mjs';

const [input, output, exportName] = process.argv.slice(2);
const { createRuntime, defineTask } = await import(BATCHTOOLS_ENTRY.href);
const rt = createRuntime();
const records = [];
const lines = [];
let line = 0;
for (const raw of readFileSync(input, 'utf8').split('\n')) {
  line++;
  if (raw.trim() === '') continue;
  records.push(JSON.parse(raw));
  lines.push(line);
}
const values = await rt.map(records, defineTask(new URL('../workloads.mjs', import.meta.url), exportName));
await rt.close();
const out = values.map((value, index) => `{"index":${index},"line":${lines[index]},"ok":true,"value":${JSON.stringify(value)}}`);
writeFileSync(output, out.join('\n') + '\n');
