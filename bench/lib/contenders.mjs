/**
 * The contenders. Each one is created (pool built and warmed, timed separately as `createMs`), then runs a whole
 * input and returns the results as a plain JS array in input order, then is closed. Inputs are plain JS arrays
 * (of numbers, or of `{ id, text }` records for the records workload) for every contender; what happens between
 * that array and the result array is the contender's business and is inside the timing. The one exception is
 * the practical limit on records: its bare workers are handed the records once before the timing (`prepare`).
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
 * @property {(items: any[]) => Promise<number[]>} run
 * @property {() => Promise<void>} close
 * @property {(items: any[]) => Promise<void>} [prepare]  untimed set-up with the input (the records limit only)
 * @property {Record<string, unknown>} [info]
 */

/**
 * @typedef {object} CreateContext
 * @property {number} cores      logical CPUs (os.availableParallelism())
 * @property {number} n          the workload's full N (sets N/(4·threads) chunks)
 * @property {number} nsPerIter  calibration, for warm-up items
 * @property {'work' | 'workRecord' | 'workText' | 'workAsync'} [task]  the task export of the workload (default 'work')
 */

/**
 * @typedef {object} Contender
 * @property {string} id
 * @property {string} family      package or reference ('plain', 'batchtools', 'piscina', ..., 'limit')
 * @property {boolean} perItem    one dispatch per item (may be timed on a prefix of uniform workloads)
 * @property {string} how         one line: the usage measured
 * @property {(ctx: CreateContext) => Promise<Instance>} create
 */

/** 64 items of ~10 µs (of the workload's kind): spins every thread up and gets the task optimised before timing. */
function warmItems(ctx) {
  const iters = Math.max(1, Math.round(10_000 / ctx.nsPerIter));
  const numbers = Array.from({ length: 64 }, (_, i) => encode(iters, 0, i));
  if (ctx.task === 'workText') return numbers.map((id, i) => `${id}:warm-${i}-abcdefghijk`);
  return ctx.task === 'workRecord' ? numbers.map((id, i) => ({ id, text: `warm-${i}-abcdefghijk` })) : numbers;
}

/** @param {CreateContext} ctx */
const taskOf = (ctx) => ctx.task ?? 'work';
/** @param {CreateContext} ctx */
const chunkTaskOf = (ctx) => `${taskOf(ctx)}Chunk`;

/** @param {number[][]} parts @param {number} n */
function flatten(parts, n) {
  const out = new Array(n);
  let k = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[k++] = p[i];
  return out;
}

/** Per-item dispatch on a pool exposing `run(item, opts)`. @param {{ run: (x: any, o: object) => Promise<number> }} pool @param {string} name */
const perItemRun = (pool, name) => (/** @type {any[]} */ items) => Promise.all(items.map((x) => pool.run(x, { name })));

/** Module instances of workloads.mjs made for the plain loop so far. */
let plainInstances = 0;

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
    how: 'single-threaded for-loop on the main thread (the baseline), its own module instance per workload',
    async create(ctx) {
      // A module instance of its own per workload (a query makes a new one): the loop and the work function then
      // see one workload's items only. Shared by every workload, they ran slower after the first ones, as the
      // other contenders' fresh workers do not (speedups above 2 on 2 cores in the record workloads).
      const fresh = await import(`../workloads.mjs?plain=${++plainInstances}`);
      const chunk = fresh[chunkTaskOf(ctx ?? /** @type {CreateContext} */ ({}))];
      return {
        async run(items) {
          return chunk(items);
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
      const task = bt.defineTask(WORKLOADS_URL, taskOf(ctx));
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
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: taskOf(ctx) })));
      return { run: perItemRun(pool, taskOf(ctx)), close: () => pool.destroy(), info: { threads: pool.threads.length } };
    },
  });

  list.push({
    id: `piscina-${t}t/item`,
    family: 'piscina',
    perItem: true,
    how: `new Piscina({ minThreads: ${t}, maxThreads: ${t} }); one run() per item, all submitted at once`,
    async create(ctx) {
      const pool = await piscinaPool({ minThreads: t, maxThreads: t });
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: taskOf(ctx) })));
      return { run: perItemRun(pool, taskOf(ctx)), close: () => pool.destroy(), info: { threads: pool.threads.length } };
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
        await Promise.all(warmItems(ctx).map((x) => pool.run([x], { name: chunkTaskOf(ctx) })));
        const c = size === 'N/4t' ? Math.max(1, Math.ceil(ctx.n / (4 * t))) : size;
        return {
          async run(items) {
            const promises = [];
            for (let a = 0; a < items.length; a += c) promises.push(pool.run(items.slice(a, a + c), { name: chunkTaskOf(ctx) }));
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
      await Promise.all(warmItems(ctx).map((x) => pool.run(x, { name: taskOf(ctx) })));
      return { run: perItemRun(pool, taskOf(ctx)), close: () => pool.destroy(), info: { threads: pool.threads.length } };
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
      await Promise.all(warmItems(ctx).map((x) => pool.exec(taskOf(ctx), [x])));
      return {
        run: (items) => Promise.all(items.map((x) => pool.exec(taskOf(ctx), [x]))),
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
      await Promise.all(warmItems(ctx).map((x) => pool.execute(x, taskOf(ctx))));
      return { run: (items) => Promise.all(items.map((x) => pool.execute(x, taskOf(ctx)))), close: () => pool.destroy() };
    },
  });

  list.push({
    id: `poolifier-${t}t/mapExecute`,
    family: 'poolifier',
    perItem: true,
    how: `new FixedThreadPool(${t}, workerScript) defaults; pool.mapExecute(items, 'work') (still one task per item)`,
    async create(ctx) {
      const { pool } = await poolifierPool();
      await pool.mapExecute(warmItems(ctx), taskOf(ctx));
      return { run: (items) => pool.mapExecute(items, taskOf(ctx)), close: () => pool.destroy() };
    },
  });

  list.push({
    id: 'limit/sab-guided',
    family: 'limit',
    perItem: false,
    how:
      `practical limit: ${t} bare worker_threads, guided self-scheduling on an atomic counter (chunk = remaining/(2·${t}), ` +
      `min 1), results into a shared Float64Array, one start and one done message per worker; numbers are copied into a ` +
      `shared Float64Array inside the timing, records and strings are handed to each worker once before it (structured clone, untimed)`,
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
      // Records and strings are handed to the workers before the timing (the numbers inside it).
      const task = taskOf(ctx);
      const records = task === 'workRecord' || task === 'workText';
      await Promise.all(workers.map((w) => ask(w, { type: 'ping', item: warmItems(ctx)[0], task }, 'pong')));
      const prepare = async (/** @type {any[]} */ items) => {
        if (records) await Promise.all(workers.map((w) => ask(w, { type: 'load', records: items }, 'loaded')));
      };
      const run = async (/** @type {any[]} */ items) => {
        const n = items.length;
        const output = new SharedArrayBuffer(n * 8);
        const counter = new SharedArrayBuffer(4);
        let input = null;
        if (!records) {
          input = new SharedArrayBuffer(n * 8);
          const inView = new Float64Array(input);
          for (let i = 0; i < n; i++) inView[i] = items[i];
        }
        await Promise.all(workers.map((w, id) => ask(w, { type: 'run', input, output, counter, n, threads: t, id, records, task }, 'done')));
        const outView = new Float64Array(output);
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = outView[i];
        return out;
      };
      const warm = warmItems(ctx);
      await prepare(warm);
      await run(warm);
      return {
        run,
        prepare,
        close: async () => {
          await Promise.all(workers.map((w) => w.terminate()));
        },
      };
    },
  });

  return list;
}
