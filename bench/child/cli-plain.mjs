/**
 * The single-threaded script the CLI is measured against: read a JSON Lines file, parse each line, run the task,
 * write the same output lines `batchtools run` writes (`{"index":i,"line":l,"ok":true,"value":<result>}`).
 * Usage: node cli-plain.mjs <input> <output> <export of bench/workloads.mjs>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as tasks from '../workloads.mjs';

const [input, output, exportName] = process.argv.slice(2);
const fn = /** @type {(x: unknown) => unknown} */ (/** @type {any} */ (tasks)[exportName]);
const text = readFileSync(input, 'utf8');
const out = [];
let index = 0;
let line = 0;
for (const raw of text.split('\n')) {
  line++;
  if (raw.trim() === '') continue;
  const value = fn(JSON.parse(raw));
  out.push(`{"index":${index++},"line":${line},"ok":true,"value":${JSON.stringify(value)}}`);
}
writeFileSync(output, out.join('\n') + '\n');
