#!/usr/bin/env node
/**
 * `node bench/probes/result-array.mjs [--n 1000000] [--rounds 15]`: what building a JS array of `--n` numbers from a
 * Float64Array costs, the last step of a numeric map (src/schedule/sinks.ts: `new Array(n).fill(0)`, then a copy).
 * Times that against filling with a double, `Array.from`, `push`, and a holey `new Array(n)`, for doubles and for
 * integers; medians in ms.
 */
import { flagReader } from '../lib/args.mjs';
import { median } from '../lib/measure.mjs';

const opt = flagReader(process.argv.slice(2));
const n = Number(opt('n', '1000000'));
const rounds = Number(opt('rounds', '15'));
/** @type {Array<[string, (s: Float64Array) => number[]]>} */
const ways = [
  ['fill(0), then copy (what sinks.ts does)', (s) => { const a = new Array(n).fill(0); for (let i = 0; i < n; i++) a[i] = s[i]; return a; }],
  ['fill(0.5), then copy', (s) => { const a = new Array(n).fill(0.5); for (let i = 0; i < n; i++) a[i] = s[i]; return a; }],
  ['Array.from', (s) => Array.from(s)],
  ['push', (s) => { const a = []; for (let i = 0; i < n; i++) a.push(s[i]); return a; }],
  ['new Array(n), holey, then copy', (s) => { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = s[i]; return a; }],
];
for (const [kind, source] of /** @type {const} */ ([
  ['doubles', Float64Array.from({ length: n }, (_, i) => i * 1.5 + 1)],
  ['integers', Float64Array.from({ length: n }, (_, i) => i)],
])) {
  for (const [label, build] of ways) {
    const ts = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      if (build(source).length !== n) throw new Error(label);
      ts.push(performance.now() - t);
    }
    process.stdout.write(`${kind.padEnd(9)} ${label.padEnd(40)} ${median(ts).toFixed(2)} ms\n`);
  }
}
