/**
 * `node -r ./bench/probes/start-marks.cjs <script> [args…]`: when a process's worker threads start. Preloaded before
 * any script (a `batchtools run`, a map), it prints to stderr at exit, in ms since the process started
 * (`performance.now()`): this file's own start (node ready), the first `setImmediate` turn, every `new Worker`,
 * its `online` event and its exit, and the process's exit. It wraps `worker_threads.Worker` for the CommonJS loader
 * (piscina's), so threads that ES modules create directly do not show.
 */
const wt = require('node:worker_threads');
const { writeSync } = require('node:fs');

/** @type {string[]} */
const marks = [];
const mark = (/** @type {string} */ what) => marks.push(`${performance.now().toFixed(1).padStart(8)} ms  ${what}`);
mark('preload (node ready)');
setImmediate(() => mark('first setImmediate'));

const Original = wt.Worker;
let count = 0;
wt.Worker = class extends Original {
  /** @param {ConstructorParameters<typeof Original>} args */
  constructor(...args) {
    const k = count++;
    mark(`new Worker #${k}`);
    super(...args);
    this.once('online', () => mark(`online #${k}`));
    this.once('exit', () => mark(`exit #${k}`));
  }
};
process.on('exit', () => {
  mark('process exit');
  writeSync(2, `${marks.join('\n')}\n`);
});
