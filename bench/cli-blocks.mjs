#!/usr/bin/env node
/**
 * `node bench/cli-blocks.mjs [--lines 300000] [--passes 4] [--export noop] [--utf8] [--dist DIR]`: the CLI's byte
 * path without threads. The JSON Lines of bench:cli's ~1 µs records (`--utf8`: a third of the texts outside ASCII)
 * are split into blocks as `batchtools run` splits them (`lineBlocks`, 4,096 lines each), then `runBlock` (what a
 * worker runs per block: decode, parse, the task, the output lines) runs every block in this thread, `--passes`
 * times; prints the time of the split and of each pass. The task is an export of bench/workloads.mjs (`noop`: the
 * byte path's own cost). `--dist` times another build (an older checkout's dist/, built) for an A/B in turns.
 */
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flagReader } from './lib/args.mjs';
import { calibrate, cliLines } from './workloads.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const lines = Number(opt('lines', '300000'));
const passes = Number(opt('passes', '4'));
const exportName = opt('export', 'noop');
const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const { lineBlocks } = await import(new URL('src/cli/line-blocks.js', dist).href);
const { runBlock } = await import(new URL('src/cli/line-worker.js', dist).href);

const iters = Math.max(1, Math.round((1000 - 30) / calibrate().nsPerIter));
const input = Buffer.from(cliLines(lines, iters, args.includes('--utf8')));

const blocks = [];
let t0 = performance.now();
// In pieces of 1 MiB, as `batchtools run` reads a file.
const pieces = [];
for (let at = 0; at < input.length; at += 1 << 20) pieces.push(input.subarray(at, at + (1 << 20)));
const source = Readable.from(pieces);
for await (const piece of lineBlocks(source, { lines: 4096, bytes: 1 << 20 }, undefined, () => ({ ok: true, value: null }))) blocks.push(piece.block);
const splitMs = performance.now() - t0;
const task = { kind: 'module', url: new URL('./workloads.mjs', import.meta.url).href, exportName };
const context = { signal: new AbortController().signal, workerId: 0, host: undefined };
await runBlock([blocks[0], task, false], context); // loads the task
const times = [];
for (let p = 0; p < passes; p++) {
  t0 = performance.now();
  let bytes = 0;
  for (const block of blocks) {
    const reply = await runBlock([block, task, false], context);
    if (reply[3] !== undefined || reply[1] !== null) throw new Error(`block ${block.first}: ${JSON.stringify(reply[3] ?? reply[1])}`);
    bytes += reply[0].length;
  }
  times.push(performance.now() - t0);
  if (p === 0) process.stdout.write(`${lines} lines in ${blocks.length} blocks (split ${splitMs.toFixed(0)} ms); ${bytes} bytes of output per pass\n`);
}
process.stdout.write(`${distArg || 'dist'} ${exportName}${args.includes('--utf8') ? ' utf8' : ''}: runBlock passes ${times.map((t) => t.toFixed(0)).join(' ')} ms\n`);
