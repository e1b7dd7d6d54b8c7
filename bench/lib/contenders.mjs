/**
 * The contenders. Each one is created (pool built and warmed, timed separately as `createMs`), then runs a whole
 * input and returns the results as a plain JS array in input order, then is closed. Inputs are plain JS arrays of
 * numbers for every contender; what happens between that array and the result array is the contender's business
 * and is inside the timing.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { encode } from '../workloads.mjs';

const WORKLOADS_URL = new URL('../workloads.mjs', import.meta.url);
const WORKERPOOL_WORKER = fileURLToPath(new URL('../workers/workerpool-worker.mjs', import.meta.url));
const POOLIFIER_WORKER = fileURLToPath(new URL('../workers/poolifier-worker.mjs', import.meta.url));
const SAB_WORKER = new URL('../workers/sab-worker.mjs', import.meta.url);
export const BATCHTOOLS_ENTRY = new URL('../../dist/src/index.js', import.meta.url);

/**
 * @typedef {object} Instance
 * @property {(items: number[]) => Promise<number[]>} run
 * @property {() => Promise<void>} close
 * @property {Record<string, unknown>} [info]
 */

/**
 * @typedef {object} CreateContext
 * @property {number} cores      logical CPUs (os.availableParallelism())
 * @property {number} n          the workload's full N (sets N/(4·threads) chunks)
 * @property {number} nsPerIter  calibration, for warm-up items
 */

/**
 * @typedef {object} Contender
 * @property {string} id
 * @property {string} family      package or reference ('plain', 'batchtools', 'piscina', ..., 'limit')
 * @property {boolean} perItem    one dispatch per item (may be timed on a prefix of uniform workloads)
 * @property {string} how         one line: the usage measured
 * @property {(ctx: CreateContext) => Promise<Instance>} create
 */

/** 64 items of ~10 µs: spins every thread up and gets the task function optimised before timing. */
function warmItems(ctx) {
  const iters = Math.max(1, Math.round(10_000 / ctx.nsPerIter));
  return Array.from({ length: 64 }, (_, i) => encode(iters, 0, i));
}

/** @param {number[][]} parts @param {number} n */
function flatten(parts, n) {
  const out = new Array(n);
  let k = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[k++] = p[i];
  return out;
}

/** Per-item dispatch on a pool exposing `run(item, opts)`. @param {{ run: (x: number, o: object) => Promise<number> }} pool */
const perItemRun = (pool) => (/** @type {number[]} */ items) => Promise.all(items.map((x) => pool.run(x, { name: 'work' })));

/**
 * @param {number} cores
 * @returns {Contender[]}
 */
export function allContenders(cores) {
  const t = cores;
  /** @type {Contender[]} */
  const list = [];

  list.push({
    id: 'plain',
    family: 'plain',
    perItem: false,
    how: 'single-threaded for-loop on the main thread (the baseline)',
    async create() {
      const { work } = await import('../workloads.mjs');
      return {
        async run(items) {
          const n = items.length;
          const out = new Array(n);
          for (let i = 0; i < n; i++) out[i] = work(items[i]);
          return out;
        },
        async close() {},
      };
    },
  });

  list.push({
    id: 'batchtools',
    family: 'batchtools',
    perItem: false,
    how: 'createRuntime() defaults; rt.map(items, defineTask(workloads.mjs, "work")) with default options',
    async create(ctx) {
      const bt = await import(BATCHTOOLS_ENTRY.href);
      const rt = bt.createRuntime();
      const task = bt.defineTask(WORKLOADS_URL, 'work');
      await rt.map(warmItems(ctx), task);
      const plan = rt.plan;
      return {
        run: (items) => rt.map(items, task),
        close: () => rt.close(),
        info: { threads: plan?.threads, maxHeapMb: plan?.maxHeapMb },
      };
    },
  });

  const piscinaPool = async (/** @type {object} */ opts) => {
    const { Piscina } = await import('piscina');
    return new Piscina({ filename: WORKLOADS_URL.href, ...opts });
  };

  list.push({
    id: 'piscina-default/item',
    family: 'piscina',
    perItem: true,
    how: 'new Piscina({ filename }) defaults (maxThreads = 1.5 × cores); one run() per item, all submitted at once',
    async create(ctx) {
      const pool = await piscinaPool({});
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: 'work' })));
      return { run: perItemRun(pool), close: () => pool.destroy(), info: { threads: pool.threads.length } };
    },
  });

  list.push({
    id: `piscina-${t}t/item`,
    family: 'piscina',
    perItem: true,
    how: `new Piscina({ minThreads: ${t}, maxThreads: ${t} }); one run() per item, all submitted at once`,
    async create(ctx) {
      const pool = await piscinaPool({ minThreads: t, maxThreads: t });
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: 'work' })));
      return { run: perItemRun(pool), close: () => pool.destroy(), info: { threads: pool.threads.length } };
    },
  });

  for (const size of [1, 10, 100, 1000, 'N/4t']) {
    list.push({
      id: `piscina-${t}t/chunk${size === 'N/4t' ? `N/${4 * t}` : size}`,
      family: 'piscina',
      perItem: size === 1,
      how:
        `piscina ${t} threads, items split into fixed chunks of ${size === 'N/4t' ? `ceil(N/${4 * t})` : size}` +
        ' (plain arrays in, plain arrays out), all chunks submitted at once',
      async create(ctx) {
        const pool = await piscinaPool({ minThreads: t, maxThreads: t });
        await Promise.all(warmItems(ctx).map((x) => pool.run([x], { name: 'workChunk' })));
        const c = size === 'N/4t' ? Math.max(1, Math.ceil(ctx.n / (4 * t))) : size;
        return {
          async run(items) {
            const promises = [];
            for (let a = 0; a < items.length; a += c) promises.push(pool.run(items.slice(a, a + c), { name: 'workChunk' }));
            return flatten(await Promise.all(promises), items.length);
          },
          close: () => pool.destroy(),
          info: { chunk: c, threads: pool.threads.length },
        };
      },
    });
  }

  list.push({
    id: 'tinypool-default/item',
    family: 'tinypool',
    perItem: true,
    how: 'new Tinypool({ filename }) defaults; one run() per item, all submitted at once',
    async create(ctx) {
      const { Tinypool } = await import('tinypool');
      const pool = new Tinypool({ filename: WORKLOADS_URL.href });
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: 'work' })));
      return { run: perItemRun(pool), close: () => pool.destroy(), info: { threads: pool.threads.length } };
    },
  });

  list.push({
    id: `workerpool-${t}w/item`,
    family: 'workerpool',
    perItem: true,
    how: `workerpool.pool(workerScript, { maxWorkers: ${t}, workerType: 'thread' }); one exec('work', [item]) per item`,
    async create(ctx) {
      const workerpool = (await import('workerpool')).default;
      const pool = workerpool.pool(WORKERPOOL_WORKER, { maxWorkers: t, workerType: 'thread' });
      await Promise.all(warmItems(ctx).map((x) => pool.exec('work', [x])));
      return {
        run: (items) => Promise.all(items.map((x) => pool.exec('work', [x]))),
        close: async () => {
          await pool.terminate();
        },
        info: { workers: pool.stats().totalWorkers },
      };
    },
  });

  const poolifierPool = async () => {
    const { FixedThreadPool } = await import('poolifier');
    /** @type {unknown[]} */
    const errors = [];
    const pool = new FixedThreadPool(t, POOLIFIER_WORKER, { errorHandler: (e) => errors.push(e) });
    return { pool, errors };
  };

  list.push({
    id: `poolifier-${t}t/item`,
    family: 'poolifier',
    perItem: true,
    how: `new FixedThreadPool(${t}, workerScript) defaults; one execute(item, 'work') per item`,
    async create(ctx) {
      const { pool } = await poolifierPool();
      await Promise.all(warmItems(ctx).map((x) => pool.execute(x, 'work')));
      return { run: (items) => Promise.all(items.map((x) => pool.execute(x, 'work'))), close: () => pool.destroy() };
    },
  });

  list.push({
    id: `poolifier-${t}t/mapExecute`,
    family: 'poolifier',
    perItem: true,
    how: `new FixedThreadPool(${t}, workerScript) defaults; pool.mapExecute(items, 'work') (still one task per item)`,
    async create(ctx) {
      const { pool } = await poolifierPool();
      await pool.mapExecute(warmItems(ctx), 'work');
      return { run: (items) => pool.mapExecute(items, 'work'), close: () => pool.destroy() };
    },
  });

  list.push({
    id: 'limit/sab-guided',
    family: 'limit',
    perItem: false,
    how:
      `practical limit: ${t} bare worker_threads, items copied into a shared Float64Array, results out of another, ` +
      `guided self-scheduling on an atomic counter (chunk = remaining/(2·${t}), min 1), one start and one done message per worker`,
    async create(ctx) {
      const workers = Array.from({ length: t }, () => new Worker(SAB_WORKER));
      /** @param {Worker} w @param {object} msg @param {string} type */
      const ask = (w, msg, type) =>
        new Promise((resolve, reject) => {
          const onMsg = (/** @type {any} */ m) => {
            if (m.type !== type) return;
            w.off('message', onMsg);
            w.off('error', reject);
            resolve(m);
          };
          w.on('message', onMsg);
          w.once('error', reject);
          w.postMessage(msg);
        });
      await Promise.all(workers.map((w) => ask(w, { type: 'ping', item: encode(1, 0, 0) }, 'pong')));
      const run = async (/** @type {number[]} */ items) => {
        const n = items.length;
        const input = new SharedArrayBuffer(n * 8);
        const output = new SharedArrayBuffer(n * 8);
        const counter = new SharedArrayBuffer(4);
        const inView = new Float64Array(input);
        for (let i = 0; i < n; i++) inView[i] = items[i];
        await Promise.all(workers.map((w, id) => ask(w, { type: 'run', input, output, counter, n, threads: t, id }, 'done')));
        const outView = new Float64Array(output);
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = outView[i];
        return out;
      };
      await run(warmItems(ctx));
      return {
        run,
        close: async () => {
          await Promise.all(workers.map((w) => w.terminate()));
        },
      };
    },
  });

  return list;
}
