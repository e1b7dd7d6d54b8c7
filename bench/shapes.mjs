#!/usr/bin/env node
/**
 * `npm run bench:shapes [-- --n 600000 --maps 5 --only nested,tuple --dist DIR]`: item shapes no other workload
 * has, each at ~1 µs of work per item, where moving an item can cost more than computing it: records with a null,
 * an optional key, a nested object, a nested array, both; tuples; records as results; strings in and out; lines
 * of ~1,000 characters; vectors (arrays of numbers) in, pairs out; a Date field; numbers mixed with strings; a
 * bigint field; text outside ASCII; JSON lines parsed into records; class instances; records of 16 fields; orders
 * with lines of records; Maps; Sets as a field; records three deep; arrays of arrays; lists of words; records as
 * results of numbers; byte arrays (256 bytes and 4 KiB hashed, 256 bytes in and out, 128 bytes as a record's
 * field); rows of 400 numbers out and in (plain arrays, ~16 µs of work per row: image rows, Mandelbrot rows). One warm runtime; per shape, two warm-up rounds, then `--maps` rounds of one plain loop and one `rt.map`
 * (results checked against the loop's); prints the medians, the map's CPU time (main thread, and the whole process
 * with its workers) and the speedup (never below 1.00× is the aim). `--dist` measures another build (an older checkout's dist/, built) for an A/B in
 * turns. Writes `bench/results/shapes.{json,md}` with the machine's description (not with `--dist`, or with
 * `--no-save`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeMachine } from './lib/machine.mjs';
import * as tasks from './shape-tasks.mjs';
import { calibrate, encode } from './workloads.mjs';
import { flagReader } from './lib/args.mjs';
import { plainVsMap } from './lib/plain-vs-map.mjs';

const args = process.argv.slice(2);
const opt = flagReader(args);
const n = Number(opt('n', '600000'));
const maps = Number(opt('maps', '5'));
const only = opt('only', '').split(',').filter(Boolean);

const iters = Math.max(1, Math.round((1000 - 60) / calibrate().nsPerIter));
const tag = (/** @type {number} */ i) => ((i * 2654435761) >>> 0).toString(36);
const id = (/** @type {number} */ i) => encode(iters, 0, i);
const wide = ['é', '€', '🙂'];
/** A class whose instances are items (simulation state, parsed entities): fields, and a method on the prototype. */
class Particle {
  /** @param {number} id @param {number} x @param {number} y */
  constructor(id, x, y) {
    this.id = id;
    this.x = x;
    this.y = y;
  }
  norm() {
    return Math.hypot(this.x, this.y);
  }
}

/** Shape name → [task (an export of shape-tasks.mjs, by its name), item maker, description]. @type {Record<string, [(x: any) => unknown, (i: number) => unknown, string]>} */
const SHAPES = {
  flat: [tasks.flat, (i) => ({ id: id(i), text: `rec-${tag(i)}-abcdefghij`.slice(0, 20) }), '{ id, text }'],
  utf8: [tasks.flat, (i) => ({ id: id(i), text: `${i % 3 ? 'r' : wide[i % 9 === 0 ? 0 : i % 9 === 3 ? 1 : 2]}c-${tag(i)}-abcdefghij`.slice(0, 20) }), '{ id, text }, a third of the texts outside ASCII'],
  nullable: [tasks.nullable, (i) => ({ id: id(i), email: i % 3 ? `u${tag(i)}@example.org` : null }), '{ id, email }, email null in a third'],
  optional: [tasks.optional, (i) => (i % 2 ? { id: id(i), note: `n${tag(i)}` } : { id: id(i) }), '{ id } and { id, note } in turn'],
  nestedObject: [tasks.nestedObject, (i) => ({ id: id(i), pos: { x: i & 255, y: 1 } }), '{ id, pos: { x, y } }'],
  nestedArray: [tasks.nestedArray, (i) => ({ id: id(i), tags: [`t${tag(i)}`, 'x'] }), '{ id, tags: [string, string] }'],
  nested: [tasks.nested, (i) => ({ id: id(i), tags: [`t${tag(i)}`, 'x'], pos: { x: i & 255, y: 1 } }), '{ id, tags: [..], pos: { x, y } }'],
  tuple: [tasks.tuple, (i) => [id(i), `rec-${tag(i)}`], '[id, text]'],
  recordOut: [tasks.recordOut, (i) => ({ id: id(i), text: `rec-${tag(i)}-abc` }), '{ id, text } in, { id, score, label } out'],
  bytes256: [tasks.bytes, (i) => new Uint8Array(256).fill(i & 255), 'Uint8Array of 256 bytes, hashed'],
  bytes4k: [tasks.bytes, (i) => new Uint8Array(4096).fill(i & 255), 'Uint8Array of 4 KiB, hashed; a tenth as many items'],
  namedBytes: [tasks.namedBytes, (i) => ({ id: id(i), data: new Uint8Array(128).fill(i & 255) }), '{ id, data: Uint8Array of 128 bytes }'],
  bytesOut: [tasks.bytesOut, (i) => new Uint8Array(256).fill(i & 255), 'Uint8Array of 256 bytes in, its inverse out'],
  parse: [tasks.parse, (i) => JSON.stringify({ id: id(i), name: `user-${tag(i)}`, tags: ['a', tag(i).slice(0, 3)], ok: i % 2 === 0 }), 'a JSON line in, the record it holds out'],
  classInstance: [tasks.particle, (i) => new Particle(id(i), i & 255, 1), 'class instances: new Particle(id, x, y)'],
  wide: [
    tasks.wide,
    (i) => Object.fromEntries([['id', id(i)], ...Array.from({ length: 15 }, (_, k) => [`f${k}`, k % 3 === 0 ? `v${tag(i + k)}` : k % 3 === 1 ? i + k : (i + k) % 2 === 0])]),
    'a record of 16 fields (numbers, strings, booleans)',
  ],
  order: [tasks.order, (i) => ({ id: id(i), lines: Array.from({ length: 1 + (i % 4) }, (_, k) => ({ sku: `s${tag(i + k)}`, qty: k + 1 })) }), '{ id, lines: [{ sku, qty }, …] } of 1–4 lines'],
  mapItem: [tasks.mapItem, (i) => new Map([['id', id(i)], ['x', i & 255]]), 'a Map of two entries'],
  setField: [tasks.setField, (i) => ({ id: id(i), seen: new Set([1, 2, i & 7]) }), '{ id, seen: Set of 2–3 numbers }'],
  deep: [tasks.deep, (i) => ({ id: id(i), a: { b: { c: { d: i & 7 } } } }), '{ id, a: { b: { c: { d } } } }, nested three deep'],
  matrix: [tasks.matrix, (i) => ({ id: id(i), m: [[1, 2], [3, i & 7]] }), '{ id, m: [[a, b], [c, d]] }, arrays of arrays'],
  words: [tasks.words, (i) => ({ id: id(i), words: Array.from({ length: 1 + (i % 5) }, (_, k) => `w${tag(i + k)}`) }), '{ id, words: [string, …] } of 1–5 words'],
  objOut: [tasks.objOut, (i) => id(i), 'a number in, { v, ok, tag } out'],
  textOut: [tasks.textOut, (i) => `${id(i).toString(36)}-rec-${tag(i)}-abcdefghijklmnop`, 'a string of ~40 characters in, a string out'],
  longText: [tasks.longText, (i) => `${id(i).toString(36)}-${tag(i).repeat(120)}`.slice(0, 1000), 'a string of ~1,000 characters, hashed'],
  vector: [tasks.vector, (i) => [id(i), i & 255, 1.5], '[x, y, z], a plain array of numbers'],
  pairOut: [tasks.pairOut, (i) => id(i), 'a number in, [a, b] out'],
  dated: [tasks.dated, (i) => ({ id: id(i), at: new Date(1.7e12 + i * 1000) }), '{ id, at: Date }'],
  mixed: [tasks.mixed, (i) => (i % 4 ? id(i) : String(id(i))), 'numbers with every fourth a numeric string'],
  bigId: [tasks.bigId, (i) => ({ id: BigInt(id(i)), text: `rec-${tag(i)}` }), '{ id: bigint, text }'],
  rowOut: [tasks.rowOut, (i) => i, 'a row index in, a row of 400 numbers out (new Array(400), filled; ~16 µs per row); a fortieth as many items'],
  rowIn: [tasks.rowIn, (i) => Array.from({ length: 400 }, (_, j) => (i + j) & 255), 'a row of 400 numbers in (~16 µs per row), a number out; a fortieth as many items'],
};

/** Shapes whose items cost more (or weigh more): run on a fraction of `--n` items. */
const FEWER = { bytes4k: 10, rowOut: 40, rowIn: 40 };

const distArg = opt('dist', '');
const dist = distArg ? pathToFileURL(`${resolve(distArg)}/`) : new URL('../dist/', import.meta.url);
const bt = await import(new URL('src/index.js', dist).href);
const rt = bt.createRuntime();
const loadBefore = os.loadavg();
const rows = [];
for (const [name, [fn, make, description]] of Object.entries(SHAPES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const items = Array.from({ length: Math.round(n / (FEWER[/** @type {keyof typeof FEWER} */ (name)] ?? 1)) }, (_, i) => make(i));
  const task = bt.defineTask(new URL('./shape-tasks.mjs', import.meta.url), fn.name);
  const { mapMs: m, plainMs: p, mapMainCpuMs: mainCpu, mapCpuMs: cpu } = await plainVsMap({ rt, task, fn, items, warmups: 2, rounds: maps, label: name });
  rows.push({ shape: name, description, items: items.length, mapMs: m, plainMs: p, speedup: p / m, mapMainCpuMs: mainCpu, mapCpuMs: cpu, maps });
  process.stdout.write(
    `${name.padEnd(13)} map ${m.toFixed(0).padStart(5)} ms  plain ${p.toFixed(0).padStart(5)} ms  speedup ${(p / m).toFixed(2)}x  ` +
      `map CPU: main ${mainCpu.toFixed(0).padStart(4)} ms, all ${cpu.toFixed(0).padStart(5)} ms  (${description})\n`,
  );
}
await rt.close();
if (!distArg && !args.includes('--no-save')) {
  const machine = await describeMachine();
  const load = [loadBefore, os.loadavg()].map((l) => l.map((x) => x.toFixed(2)).join(' '));
  const out = new URL('./results/', import.meta.url);
  mkdirSync(out, { recursive: true });
  const date = new Date().toISOString();
  writeFileSync(new URL('shapes.json', out), `${JSON.stringify({ date, machine, loadBefore: load[0], loadAfter: load[1], rows }, null, 2)}\n`);
  const table = rows
    .map((r) => `| ${r.shape} | ${r.description} | ${r.mapMs.toFixed(0)} | ${r.plainMs.toFixed(0)} | **${r.speedup.toFixed(2)}×** | ${r.mapMainCpuMs.toFixed(0)} | ${r.mapCpuMs.toFixed(0)} |`)
    .join('\n');
  writeFileSync(
    new URL('shapes.md', out),
    `# Item shapes at ~1 µs per item (\`npm run bench:shapes\`)\n\n${date}; ${machine.nodeOs.cpus} × ${machine.nodeOs.cpuModel}, Node ${process.version}; ` +
      `load average ${load[0]} before, ${load[1]} after\n\n` +
      `${n.toLocaleString('en-US')} items per shape (bytes4k: a tenth as many; rowOut and rowIn: a fortieth); a warm runtime (two maps first); medians of ${maps} rounds of one plain loop and one \`rt.map\`, results checked against the loop's.\n\n` +
      `| shape | items | rt.map ms | plain loop ms | speedup | map: main thread CPU ms | map: process CPU ms |\n|---|---|---:|---:|---:|---:|---:|\n${table}\n`,
  );
}
