/**
 * Tasks of `npm run bench:shapes` (bench/shapes.mjs): ~1 µs of `work` per item, plus reading the fields of one
 * item shape each, so that what an item costs to move, not to compute, decides the speedup.
 */
import { work } from './workloads.mjs';

/** FNV-1a over a string's code units. @param {string} s */
const h = (s) => {
  let x = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619);
  return x;
};

/** `{ id, text }`. @param {{ id: number, text: string }} r */
export const flat = (r) => (work(r.id) ^ h(r.text)) >>> 0;
/** `{ id, email }`, email null in a third of them. @param {{ id: number, email: string | null }} r */
export const nullable = (r) => (work(r.id) ^ (r.email === null ? 3 : h(r.email))) >>> 0;
/** `{ id }` and `{ id, note }` in turn (an optional key). @param {{ id: number, note?: string }} r */
export const optional = (r) => (work(r.id) ^ (r.note === undefined ? 7 : h(r.note))) >>> 0;
/** `{ id, pos: { x, y } }`. @param {{ id: number, pos: { x: number, y: number } }} r */
export const nestedObject = (r) => (work(r.id) ^ r.pos.x) >>> 0;
/** `{ id, tags: [string, string] }`. @param {{ id: number, tags: string[] }} r */
export const nestedArray = (r) => (work(r.id) ^ h(r.tags[0] ?? '')) >>> 0;
/** `{ id, tags, pos }`. @param {{ id: number, tags: string[], pos: { x: number } }} r */
export const nested = (r) => (work(r.id) ^ h(r.tags[0] ?? '') ^ r.pos.x) >>> 0;
/** `[id, text]` tuples. @param {[number, string]} t */
export const tuple = (t) => (work(t[0]) ^ h(t[1])) >>> 0;
/** `{ id, text }` in, `{ id, score, label }` out. @param {{ id: number, text: string }} r */
export const recordOut = (r) => ({ id: r.id, score: work(r.id) & 0xffff, label: r.text.slice(0, 6) });
/** `{ id: bigint, text }`. @param {{ id: bigint, text: string }} r */
export const bigId = (r) => (work(Number(r.id)) ^ h(r.text)) >>> 0;
/** A string in, a string out (a text transform). @param {string} s */
export const textOut = (s) => `${(work(Number.parseInt(s, 36)) & 0xffff).toString(16)}:${s.slice(-12).toUpperCase()}`;
/** A line of ~1 KiB, hashed. @param {string} s */
export const longText = (s) => (work(Number.parseInt(s, 36)) ^ h(s)) >>> 0;
/** `[x, y, z]`, a vector as a plain array of numbers. @param {number[]} v */
export const vector = (v) => (work(v[0] ?? 0) ^ (v[1] ?? 0) ^ (v[2] ?? 0)) >>> 0;
/** A number in, `[a, b]` out. @param {number} x */
export const pairOut = (x) => [work(x) & 0xffff, x & 7];
/** `{ id, at: Date }`. @param {{ id: number, at: Date }} r */
export const dated = (r) => (work(r.id) ^ r.at.getUTCDate()) >>> 0;
/** Numbers and strings mixed. @param {number | string} x */
export const mixed = (x) => (typeof x === 'number' ? work(x) : work(Number.parseInt(x, 10)) ^ 1) >>> 0;
/** A Uint8Array (bytes of an image, a message…): FNV-1a over every byte. @param {Uint8Array} b */
export const bytes = (b) => {
  let x = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) x = Math.imul(x ^ b[i], 16777619);
  return x >>> 0;
};
/** `{ id, data }`, a record with a Uint8Array field (a file's name and bytes…): FNV-1a over the bytes. @param {{ id: number, data: Uint8Array }} r */
export const namedBytes = (r) => (work(r.id) ^ bytes(r.data)) >>> 0;
/** A Uint8Array in, a Uint8Array out (a transform: every byte inverted). @param {Uint8Array} b */
export const bytesOut = (b) => {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = 255 - b[i];
  return out;
};
/** A JSON line in, the record it holds out (parsing): `{ id, name, tags: [..], ok }`. @param {string} line */
export const parse = (line) => {
  const r = JSON.parse(line);
  r.id = work(r.id) & 0xffff;
  return r;
};
/** A class instance (`new Particle(id, x, y)`): it arrives as a plain object of its fields, as structured clone gives it. @param {{ id: number, x: number, y: number }} p */
export const particle = (p) => (work(p.id) ^ (p.x * 3 + p.y)) >>> 0;
/** A wide record of 16 fields (a row of a table): numbers, strings, booleans. @param {Record<string, unknown>} r */
export const wide = (r) => (work(/** @type {number} */ (r.id)) ^ h(/** @type {string} */ (r.f3)) ^ (r.f8 ? 1 : 0)) >>> 0;
/** `{ id, lines: [{ sku, qty }, …] }`, an order with 1–4 lines. @param {{ id: number, lines: { sku: string, qty: number }[] }} r */
export const order = (r) => {
  let x = work(r.id);
  for (const l of r.lines) x ^= h(l.sku) + l.qty;
  return x >>> 0;
};
/** A Map of a few entries. @param {Map<string, number>} m */
export const mapItem = (m) => (work(m.get('id') ?? 0) ^ m.size) >>> 0;
/** `{ id, seen: Set }`. @param {{ id: number, seen: Set<number> }} r */
export const setField = (r) => (work(r.id) ^ r.seen.size ^ (r.seen.has(3) ? 8 : 0)) >>> 0;
/** `{ id, a: { b: { c: { d } } } }`. @param {{ id: number, a: { b: { c: { d: number } } } }} r */
export const deep = (r) => (work(r.id) ^ r.a.b.c.d) >>> 0;
/** `{ id, m: [[a, b], [c, d]] }`. @param {{ id: number, m: number[][] }} r */
export const matrix = (r) => (work(r.id) ^ (r.m[1]?.[1] ?? 0)) >>> 0;
/** `{ id, words: [...] }`. @param {{ id: number, words: string[] }} r */
export const words = (r) => {
  let x = work(r.id);
  for (const w of r.words) x ^= h(w);
  return x >>> 0;
};
/** A number in, a small record out. @param {number} x */
export const objOut = (x) => ({ v: work(x) & 0xffff, ok: (x & 1) === 1, tag: `k${x & 15}` });
/** ~40 ns of integer mixing on one element of a row. @param {number} h @param {number} j */
const mixRound = (h, j) => {
  let x = (h ^ j) | 0;
  for (let k = 0; k < 10; k++) x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + k;
  return x;
};
/**
 * A row index in, a row of 400 numbers out (pixels of an image row, like Mandelbrot rows: ~40 ns of work per
 * element), built as user code builds it, `new Array(n)` then filled (a holey array). @param {number} y
 */
export const rowOut = (y) => {
  const out = new Array(400);
  let x = y | 0;
  for (let j = 0; j < 400; j++) {
    x = mixRound(x, j);
    out[j] = x & 255;
  }
  return out;
};
/** A row of 400 numbers in (~40 ns of work per element), a number out. @param {number[]} row */
export const rowIn = (row) => {
  let x = 0;
  for (let j = 0; j < row.length; j++) x = mixRound(x, row[j] ?? 0);
  return x >>> 0;
};
