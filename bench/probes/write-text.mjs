#!/usr/bin/env node
/**
 * `node bench/probes/write-text.mjs [--blocks 430] [--lines 700] [--rounds 5]`: writing the CLI's output as the
 * strings the workers return (what src/base/atomic-file.ts gets) against writing the same bytes as buffers, with
 * `fs.writeSync` to a file in the temporary directory: whether returning output lines as bytes would spare the main
 * thread anything. Medians in ms.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const blocks = Number(opt('blocks', '430'));
const lines = Number(opt('lines', '700'));
const rounds = Number(opt('rounds', '5'));
const line = '{"index":12345,"line":12346,"ok":true,"value":2394936036}';
const texts = Array.from({ length: blocks }, (_, b) => `${Array.from({ length: lines }, (_, k) => `${line.slice(0, -1)}${(b + k) % 10}}`).join('\n')}\n`);
const buffers = texts.map((t) => Buffer.from(t));
const dir = mkdtempSync(join(tmpdir(), 'bt-write-'));
/** @param {Array<string | Buffer>} parts */
const write = (parts) => {
  const fd = openSync(join(dir, 'out'), 'w');
  const t0 = performance.now();
  for (const p of parts) writeSync(fd, p);
  const ms = performance.now() - t0;
  closeSync(fd);
  return ms;
};
const asText = [];
const asBytes = [];
for (let r = 0; r < rounds; r++) {
  asText.push(write(texts));
  asBytes.push(write(buffers));
}
rmSync(dir, { recursive: true, force: true });
const mb = buffers.reduce((s, b) => s + b.length, 0) / 1e6;
process.stdout.write(`${mb.toFixed(1)} MB in ${blocks} writes: strings ${median(asText).toFixed(1)} ms, buffers ${median(asBytes).toFixed(1)} ms (medians of ${rounds})\n`);
