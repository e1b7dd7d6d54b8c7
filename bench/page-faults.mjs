#!/usr/bin/env node
/**
 * `node bench/page-faults.mjs [--mb 12] [--rounds 7]`: what touching fresh memory costs on this machine, the cost
 * the runtime's shelf of spare shared buffers (src/transport/buffer-shelf.ts) saves from one map to the next. Per
 * round, each of: a fresh SharedArrayBuffer of `--mb` MiB filled as a Float64Array; the same buffer filled again;
 * a fresh JS array of as many doubles (what a numeric map returns). Prints the medians: ms and minor page faults
 * (`process.resourceUsage()`), and µs per fault.
 */
import { flagReader } from './lib/args.mjs';
import { median } from './lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Math.round((Number(opt('mb', '12')) * 2 ** 20) / 8);
const rounds = Number(opt('rounds', '7'));

/** Wall ms and minor faults of `fn`. @param {() => unknown} fn */
function measure(fn) {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  const keep = fn();
  const ms = performance.now() - t0;
  return { ms, faults: process.resourceUsage().minorPageFault - f0, keep };
}

/** @type {Record<string, { ms: number[], faults: number[] }>} */
const acc = { 'fresh shared buffer': { ms: [], faults: [] }, 'the same buffer again': { ms: [], faults: [] }, 'fresh array of doubles': { ms: [], faults: [] } };
let sink = 0;
for (let r = 0; r < rounds; r++) {
  const fresh = measure(() => new Float64Array(new SharedArrayBuffer(n * 8)).fill(1.5));
  const again = measure(() => fresh.keep.fill(2.5));
  const array = measure(() => {
    const out = new Array(n).fill(0);
    for (let i = 0; i < n; i++) out[i] = i + 0.5;
    return out;
  });
  sink += fresh.keep[n - 1] + again.keep[0] + array.keep[n - 1];
  for (const [name, m] of /** @type {const} */ ([['fresh shared buffer', fresh], ['the same buffer again', again], ['fresh array of doubles', array]])) {
    acc[name].ms.push(m.ms);
    acc[name].faults.push(m.faults);
  }
}
if (!(sink > 0)) throw new Error('nothing written');
process.stdout.write(`${n.toLocaleString('en-US')} doubles (${((n * 8) / 2 ** 20).toFixed(0)} MiB), medians of ${rounds} rounds\n`);
for (const [name, { ms, faults }] of Object.entries(acc)) {
  const f = median(faults);
  process.stdout.write(`${name.padEnd(24)} ${median(ms).toFixed(1).padStart(7)} ms ${String(f).padStart(7)} minor faults${f > 0 ? `  (${((median(ms) * 1000) / f).toFixed(1)} µs per fault)` : ''}\n`);
}
