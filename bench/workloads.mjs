/**
 * Bench workloads. Every item is ONE JS number that encodes its own cost (or, for the records workload, a small
 * object `{ id, text }` whose `id` is that number), so every contender receives exactly the same input and no side
 * table has to reach the workers:
 *
 *   item = iters · 2^20 + allocMb · 2^12 + seed        (seed < 4096, allocMb < 256, iters < 2^32)
 *
 * `work(item)` runs an integer-hash mixing loop of `iters` rounds (calibrated on the main thread to ns per
 * round), and when `allocMb > 0` first builds a transient JS array of that many MiB of doubles. The result is a
 * 32-bit unsigned integer, so results are numbers too.
 *
 * This module is used three ways: as a batchtools / piscina / tinypool task module (export `work`, `noop`,
 * `workChunk`), imported by the workerpool and poolifier worker scripts, and directly on the main thread (the
 * plain-loop baseline, calibration and input generation).
 */

const ITERS_UNIT = 2 ** 20;
const MB_UNIT = 2 ** 12;

/**
 * The mixing loop: `iters` rounds of two multiply-xorshift steps. Deterministic; cost is linear in `iters`.
 * @param {number} iters
 * @param {number} seed
 * @returns {number} an unsigned 32-bit integer
 */
import { rng } from './lib/rng.mjs';
export function spin(iters, seed) {
  let h = (seed ^ 0x9e3779b9) | 0;
  for (let i = 0; i < iters; i++) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = (Math.imul(h ^ (h >>> 13), 0xc2b2ae35) + i) | 0;
  }
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Build a transient array of `mb` MiB of doubles on the JS heap and fold it into `h`.
 * @param {number} mb
 * @param {number} h
 * @returns {number}
 */
function allocate(mb, h) {
  const len = (mb * 1024 * 1024) / 8;
  const a = new Array(len).fill(0.5); // PACKED_DOUBLE_ELEMENTS: len · 8 bytes on the JS heap
  let x = (h >>> 0) / 4294967296 + 0.5;
  for (let i = 0; i < len; i++) {
    x = x * 1.0000001 + 0.25;
    a[i] = x;
  }
  let acc = 0;
  for (let i = 0; i < len; i += 4096) acc += a[i];
  return (h ^ (acc | 0)) >>> 0;
}

/**
 * Encode an item.
 * @param {number} iters mixing rounds
 * @param {number} allocMb transient allocation in MiB (0..255)
 * @param {number} seed 0..4095
 * @returns {number}
 */
export function encode(iters, allocMb, seed) {
  return iters * ITERS_UNIT + allocMb * MB_UNIT + (seed & 4095);
}

/**
 * Decode an item.
 * @param {number} item
 * @returns {{ iters: number, allocMb: number, seed: number }}
 */
export function decode(item) {
  const iters = Math.floor(item / ITERS_UNIT);
  const rest = item - iters * ITERS_UNIT;
  const allocMb = Math.floor(rest / MB_UNIT);
  return { iters, allocMb, seed: rest - allocMb * MB_UNIT };
}

/**
 * The task: one item in, one number out. Signature `(item, ctx)` for batchtools; the context is ignored.
 * @param {number} item
 * @returns {number}
 */
export function work(item) {
  const iters = Math.floor(item / ITERS_UNIT);
  const rest = item - iters * ITERS_UNIT;
  const allocMb = Math.floor(rest / MB_UNIT);
  const seed = rest - allocMb * MB_UNIT;
  let h = spin(iters, seed);
  if (allocMb > 0) h = allocate(allocMb, h);
  return h;
}

/**
 * A chunk of items in, a plain array of results out (the manual-chunk piscina contender).
 * @param {ArrayLike<number>} items
 * @returns {number[]}
 */
export function workChunk(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = work(items[i]);
  return out;
}

/**
 * The records task: the item's cost is encoded in `id` as for `work`; the text is hashed into the result too, so
 * a contender that loses or garbles a text gets a different result. Five-field records (`1us-rec5`) also have
 * their `name`, `score` and `ok` folded in.
 * @param {{ id: number, text: string, name?: string, score?: number, ok?: boolean }} record
 * @returns {number}
 */
export function workRecord(record) {
  let h = hashText(0x811c9dc5, record.text);
  const name = record.name;
  if (name !== undefined) h = Math.imul(hashText(h, name) ^ ((record.score ?? 0) * 4) ^ (record.ok ? 1 : 0), 16777619);
  return (work(record.id) ^ h) >>> 0;
}

/**
 * The async task: `work` behind an `async` function, so every item returns a promise (a task written `async` out
 * of habit, or awaiting nothing slow): what awaiting each item costs a contender.
 * @param {number} item
 * @returns {Promise<number>}
 */
export async function workAsync(item) {
  return work(item);
}

/**
 * A chunk of items in, each awaited in turn (the plain loop and the manual-chunk piscina contender).
 * @param {ArrayLike<number>} items
 * @returns {Promise<number[]>}
 */
export async function workAsyncChunk(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = await workAsync(items[i]);
  return out;
}

/**
 * The strings task: an item is a string `<id>:<text>` whose leading digits encode its cost as `work`'s items do;
 * the whole string is hashed into the result.
 * @param {string} s
 * @returns {number}
 */
export function workText(s) {
  let id = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    id = id * 10 + (c - 48);
  }
  return (work(id) ^ hashText(0x811c9dc5, s)) >>> 0;
}

/**
 * A chunk of strings in, a plain array of results out (the manual-chunk piscina contender).
 * @param {ArrayLike<string>} items
 * @returns {number[]}
 */
export function workTextChunk(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = workText(items[i]);
  return out;
}

/** FNV-1a over the UTF-16 units of `text`, from `h`. @param {number} h @param {string} text */
function hashText(h, text) {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h;
}

/**
 * A chunk of records in, a plain array of results out (the manual-chunk piscina contender).
 * @param {ArrayLike<{ id: number, text: string }>} items
 * @returns {number[]}
 */
export function workRecordChunk(items) {
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = workRecord(items[i]);
  return out;
}

/**
 * The empty task (dispatch overhead and start-up probes).
 * @param {unknown} item
 * @returns {unknown}
 */
export function noop(item) {
  return item;
}

/**
 * A number plus one: a task of a few ns, whose map is all loop and transport (bench/item-loop.mjs).
 * @param {number} x
 * @returns {number}
 */
export function inc(x) {
  return x + 1;
}

/** Default export: piscina / tinypool call it when no `name` is given. */
export default work;

// ---------------------------------------------------------------------------------------------------------------
// Main-thread helpers: calibration and input generation.

/**
 * Measure the cost of one mixing round (ns) and of a 1 MiB allocation (ns per MiB) on this thread.
 * @returns {{ nsPerIter: number, nsPerAllocMb: number }}
 */
export function calibrate() {
  const rounds = 2_000_000;
  spin(rounds, 1); // warm up / optimise
  const samples = [];
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    spin(rounds, r);
    samples.push(Number(process.hrtime.bigint() - t0) / rounds);
  }
  samples.sort((a, b) => a - b);
  const nsPerIter = samples[Math.floor(samples.length / 4)]; // lower quartile: robust to a noisy neighbour
  const allocSamples = [];
  for (let r = 0; r < 3; r++) allocate(32, r); // the first ones also grow the heap: not representative
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    allocate(32, r);
    allocSamples.push(Number(process.hrtime.bigint() - t0) / 32);
  }
  allocSamples.sort((a, b) => a - b);
  return { nsPerIter, nsPerAllocMb: allocSamples[2] };
}

/**
 * @typedef {object} WorkloadSpec
 * @property {string} name
 * @property {string} description
 * @property {boolean} uniform  every item costs the same (per-item dispatch may be timed on a prefix)
 * @property {(n: number, cal: {nsPerIter: number, nsPerAllocMb: number}) => unknown[]} make  build n items
 * @property {number} meanUs nominal mean cost per item, µs (used to size N before the real baseline is timed)
 * @property {'work' | 'workRecord' | 'workText' | 'workAsync'} [task] the task export (default 'work': items are numbers)
 * @property {number} [weight] the plain loop's target time is `--seconds` × this (default 1)
 */

/** @param {number} us @param {{nsPerIter: number}} cal */
const itersFor = (us, cal) => Math.max(1, Math.round((us * 1000) / cal.nsPerIter));

/** @param {number} us @returns {WorkloadSpec} */
function uniform(us) {
  const name = us >= 1000 ? `${us / 1000}ms` : `${us}us`;
  return {
    name,
    description: `uniform, ~${us} µs per item`,
    uniform: true,
    meanUs: us,
    make(n, cal) {
      const iters = itersFor(us, cal);
      const items = new Array(n);
      for (let i = 0; i < n; i++) items[i] = encode(iters, 0, i);
      return items;
    },
  };
}

/** Heavy tail: Pareto(α = 1.5) costs, capped at 100× the mean, rescaled to a mean of 100 µs, sorted ascending. */
const skew = {
  name: 'skew',
  description: 'heavy tail: Pareto α=1.5, cap 100× mean, mean 100 µs, sorted ascending (expensive items last)',
  uniform: false,
  meanUs: 100,
  /** @param {number} n @param {{nsPerIter: number}} cal */
  make(n, cal) {
    const rand = rng(20261129);
    const raw = new Array(n);
    for (let i = 0; i < n; i++) raw[i] = (1 - rand()) ** (-1 / 1.5); // Pareto, x_min = 1, mean 3
    // cap at 100× the running mean, twice (capping lowers the mean)
    for (let pass = 0; pass < 2; pass++) {
      const mean = raw.reduce((a, b) => a + b, 0) / n;
      for (let i = 0; i < n; i++) raw[i] = Math.min(raw[i], 100 * mean);
    }
    const mean = raw.reduce((a, b) => a + b, 0) / n;
    raw.sort((a, b) => a - b);
    const baseIters = itersFor(100, cal);
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = encode(Math.max(1, Math.round((baseIters * raw[i]) / mean)), 0, i);
    return items;
  },
};

/**
 * Cost changes linearly along the input between 0 and 200 µs (mean 100 µs): growing (item i costs ≈ 200 µs ·
 * (i + 0.5) / n, expensive last) or falling (expensive first).
 * @param {'linear' | 'falling'} name
 * @returns {WorkloadSpec}
 */
function ramp(name) {
  const growing = name === 'linear';
  return {
    name,
    description: growing
      ? 'cost grows linearly along the input, 0 → 200 µs (mean 100 µs)'
      : 'cost falls linearly along the input, 200 → 0 µs (mean 100 µs; the expensive items come first)',
    uniform: false,
    meanUs: 100,
    make(n, cal) {
      const top = 2 * itersFor(100, cal);
      const items = new Array(n);
      for (let i = 0; i < n; i++) items[i] = encode(Math.max(1, Math.round((top * ((growing ? i : n - i - 1) + 0.5)) / n)), 0, i);
      return items;
    },
  };
}

/** Memory-hungry mix: ~100 µs of hashing per item; every 200th item also builds a transient 32 MiB JS array. */
const mem = {
  name: 'mem',
  description: '~100 µs of hashing per item; every 200th item also fills a transient 32 MiB JS array (mean cost set by the allocation)',
  uniform: false,
  meanUs: 100, // plus the allocation share, see expectedMeanUs()
  /** @param {number} n @param {{nsPerIter: number}} cal */
  make(n, cal) {
    const iters = itersFor(100, cal);
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = encode(iters, i % 200 === 199 ? 32 : 0, i);
    return items;
  },
};

/**
 * Heavy middle, like the rows of a Mandelbrot image: a Gaussian bump (σ = 10 % of the input) over a 5 % floor,
 * mean 100 µs; the middle items cost ~20× the edges.
 */
const middle = {
  name: 'middle',
  description: 'heavy middle (like Mandelbrot rows): Gaussian bump, σ = 10 % of N, over a 5 % floor; mean 100 µs',
  uniform: false,
  meanUs: 100,
  /** @param {number} n @param {{nsPerIter: number}} cal */
  make(n, cal) {
    const raw = new Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = ((i + 0.5) / n - 0.5) / 0.1;
      raw[i] = 0.05 + Math.exp(-x * x);
      sum += raw[i];
    }
    const base = itersFor(100, cal);
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = encode(Math.max(1, Math.round((base * raw[i] * n) / sum)), 0, i);
    return items;
  },
};

/** Bimodal: 1 % of the items, at seeded random positions, cost 500× the rest (10 µs and 5 ms; mean ≈ 60 µs). */
const bimodal = {
  name: 'bimodal',
  description: 'bimodal: 99 % of items ~10 µs, 1 % (random positions) 500× that (~5 ms); mean ≈ 60 µs',
  uniform: false,
  meanUs: 59.9,
  /** @param {number} n @param {{nsPerIter: number}} cal */
  make(n, cal) {
    const rand = rng(20261201);
    const cheap = itersFor(10, cal);
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = encode(cheap, 0, i);
    const heavy = Math.max(1, Math.round(n / 100));
    // Distinct positions: a partial Fisher-Yates over the indices.
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < heavy; k++) {
      const j = k + Math.floor(rand() * (n - k));
      [idx[k], idx[j]] = [idx[j], idx[k]];
      items[idx[k]] = encode(500 * cheap, 0, idx[k]);
    }
    return items;
  },
};

/**
 * A ~1 µs workload whose items are records: `record(i, iters)` makes item i, `usOfWork` is what the mixing rounds
 * cost (the rest of the microsecond goes to hashing the record's strings). Results are numbers.
 * @param {string} name @param {string} description @param {number} usOfWork
 * @param {(i: number, iters: number, tag: string) => object} record
 * @returns {WorkloadSpec}
 */
function recordWorkload(name, description, usOfWork, record) {
  return {
    name,
    description,
    uniform: true,
    meanUs: 1,
    task: 'workRecord',
    make(n, cal) {
      const iters = itersFor(usOfWork, cal);
      // A record with a fractional id first, so the shape's `id` field holds doubles from the start. Otherwise the
      // records get small-integer ids here and the contenders' warm-up records (~10 µs of work: larger ids) change
      // the field's representation later; V8 then migrates every older record on its next access, ~1.6 µs each,
      // charged to whichever contender touches them first (it made a 1 M-record map 0.44× the plain loop, with its
      // main thread 88 % busy).
      record(0, iters, '').id = 0.5;
      const items = new Array(n);
      for (let i = 0; i < n; i++) items[i] = record(i, iters, ((i * 2654435761) >>> 0).toString(36));
      return items;
    },
  };
}

/**
 * The JSON Lines of bench:cli: `n` records `{ id, text }` whose id encodes `iters` mixing rounds (see `encode`), text
 * of ~20 characters; with `utf8`, a third of the texts start outside ASCII (2-, 3- and 4-byte characters in turn).
 * @param {number} n @param {number} iters @param {boolean} [utf8]
 * @returns {string}
 */
export function cliLines(n, iters, utf8 = false) {
  const wide = ['é', '€', '🙂'];
  const body = [];
  for (let i = 0; i < n; i++) {
    const tag = ((i * 2654435761) >>> 0).toString(36);
    const text = utf8 && i % 3 === 0 ? `${wide[Math.floor(i / 3) % 3]}c-${tag}-abcdefghij` : `rec-${tag}-abcdefghij`;
    body.push(JSON.stringify({ id: encode(iters, 0, i), text: text.slice(0, 20) }));
  }
  return `${body.join('\n')}\n`;
}

/**
 * ~1 µs items that are small objects `{ id, text }` (text of ~20 characters), not numbers: what moving records
 * costs. The id encodes the cost as for the number workloads; the result (a number) also hashes the text, which
 * costs ~20 ns more than the number workloads' items (taken off the mixing rounds).
 */
const records = recordWorkload(
  '1us-rec',
  '~1 µs per item, items are small records { id, text } (text ~20 characters); results are numbers',
  0.97,
  (i, iters, tag) => ({ id: encode(iters, 0, i), text: `rec-${tag}-${'abcdefghij'.slice(0, 20 - 5 - tag.length)}`.slice(0, 24) }),
);

/**
 * ~1 µs items that are records of five fields of mixed kinds `{ id, name, score, ok, text }` (name ~10 characters,
 * text ~20): a wider shape than `1us-rec`, every field read by the task; hashing both strings costs ~35 ns more.
 */
const records5 = recordWorkload(
  '1us-rec5',
  '~1 µs per item, items are records { id, name, score, ok, text } (two strings, two numbers, a boolean); results are numbers',
  0.95,
  (i, iters, tag) => ({ id: encode(iters, 0, i), name: `user-${i % 100000}`, score: (i % 1000) * 0.25 - 7, ok: i % 3 === 0, text: `rec-${tag}-abcdefghij`.slice(0, 20) }),
);

/**
 * ~1 µs items that are strings (`<id>:rec-…`, ~30 characters), the commonest input after numbers and records
 * (lines, keys, names); results are numbers. Hashing the ~30 characters costs ~40 ns (taken off the mixing rounds).
 * @type {WorkloadSpec}
 */
const strings = {
  name: '1us-str',
  description: '~1 µs per item, items are strings of ~30 characters (the cost in their leading digits); results are numbers',
  uniform: true,
  meanUs: 1,
  task: 'workText',
  make(n, cal) {
    const iters = itersFor(0.95, cal);
    const items = new Array(n);
    for (let i = 0; i < n; i++) items[i] = `${encode(iters, 0, i)}:rec-${((i * 2654435761) >>> 0).toString(36)}-abcdefghij`;
    return items;
  },
};

/** Every workload, by name. @type {Record<string, WorkloadSpec>} */
export const WORKLOADS = {
  // 1.5 M numbers at the default --seconds, as in the issue that set the targets
  '1us': { ...uniform(1), weight: 1.5 },
  '1us-rec': records,
  '1us-rec5': records5,
  '1us-str': strings,
  // The same items as 1us, the task an async function: every item returns a promise, and every contender awaits it.
  '1us-async': { ...uniform(1), name: '1us-async', description: 'uniform, ~1 µs per item, the task an async function (every item returns a promise)', task: 'workAsync' },
  // A short map (20 k records at the default --seconds): what a fixed cost per map (start, probe, tail) weighs. As
  // for every workload, the timed map is the first one after the contender's 64-item warm-up, so here the workers'
  // JIT is still warming (`npm run bench:short` measures short maps on a warm runtime).
  '1us-rec-short': { ...records, name: '1us-rec-short', description: `${records.description}; a short map (50× fewer items), workers' JIT still warming`, weight: 0.02 },
  '10us': uniform(10),
  '100us': uniform(100),
  '1ms': uniform(1000),
  skew,
  linear: ramp('linear'),
  falling: ramp('falling'),
  middle,
  bimodal,
  mem,
};

/**
 * Expected mean cost (µs) of a workload on this machine, from the calibration.
 * @param {WorkloadSpec} w
 * @param {{nsPerIter: number, nsPerAllocMb: number}} cal
 */
export function expectedMeanUs(w, cal) {
  if (w.name === 'mem') return 100 + (32 * cal.nsPerAllocMb) / 1000 / 200;
  return w.meanUs;
}
