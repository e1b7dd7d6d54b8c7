/**
 * Timing helpers: wall-clock windows that also record how many CPU cores this process used and how much of the
 * machine other processes took meanwhile (from /proc/stat), a quiet-machine wait, forced GC, statistics, and a
 * seeded shuffle.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
/** @type {() => void} */
const gcFn = vm.runInNewContext('gc');

/** Run a full GC (twice: the second collects what the first finalised). */
export function gc() {
  gcFn();
  gcFn();
}

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* keep 100 */
}

/**
 * Busy and total CPU time of the whole machine so far, in ms (all CPUs summed), or null when /proc is missing.
 * @returns {{ busyMs: number, totalMs: number } | null}
 */
export function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] || 0);
    return { busyMs: ((total - idle) * 1000) / clkTck, totalMs: (total * 1000) / clkTck };
  } catch {
    return null;
  }
}

/**
 * CPU time of this process's main thread so far, ms: from /proc/self/task/<pid>/schedstat (ns) when the kernel
 * keeps it, else from the utime + stime ticks of /proc/self/task/<pid>/stat; null without /proc.
 * @returns {number | null}
 */
export function mainThreadCpuMs() {
  const dir = `/proc/self/task/${process.pid}`;
  try {
    const ns = Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ', 1)[0]);
    if (Number.isFinite(ns) && ns > 0) return ns / 1e6;
  } catch {
    /* fall through */
  }
  try {
    const stat = readFileSync(`${dir}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clkTck;
  } catch {
    return null;
  }
}

/**
 * @typedef {object} WindowResult
 * @property {number} wallMs
 * @property {number} cpuMs        CPU time of this process (all its threads)
 * @property {number} coresUsed    cpuMs / wallMs
 * @property {number|null} mainCpuMs   CPU time of the main thread alone
 * @property {number|null} mainShare   mainCpuMs / wallMs: the main thread's CPU share of the wall time
 * @property {number|null} otherCpuMs  CPU time of every other thread (the workers, plus V8's GC helpers)
 * @property {number|null} foreignCores  machine busy time not spent by this process, per wall ms (other load)
 */

/** Start a measurement window; call the returned function to close it. @returns {() => WindowResult} */
export function startWindow() {
  const m0 = machineCpu();
  const c0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  return () => {
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const main1 = mainThreadCpuMs();
    const m1 = machineCpu();
    const cpuMs = (c.user + c.system) / 1000;
    const foreign = m0 && m1 ? Math.max(0, (m1.busyMs - m0.busyMs - cpuMs) / wallMs) : null;
    const mainCpuMs = main0 !== null && main1 !== null ? main1 - main0 : null;
    // /proc/stat ticks are 10 ms: windows shorter than ~200 ms give only a rough foreign figure.
    return {
      wallMs,
      cpuMs,
      coresUsed: cpuMs / wallMs,
      mainCpuMs,
      mainShare: mainCpuMs === null ? null : mainCpuMs / wallMs,
      otherCpuMs: mainCpuMs === null ? null : Math.max(0, cpuMs - mainCpuMs),
      foreignCores: foreign,
    };
  };
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until other processes use less than `threshold` cores over a 100 ms sample, for at most `maxMs`.
 * @param {number} threshold
 * @param {number} maxMs
 * @returns {Promise<{ waitedMs: number, foreignCores: number | null }>}
 */
export async function waitQuiet(threshold, maxMs) {
  const t0 = performance.now();
  let last = null;
  for (;;) {
    const end = startWindow();
    await sleep(100);
    last = end().foreignCores;
    if (last === null || last < threshold || performance.now() - t0 >= maxMs) break;
  }
  return { waitedMs: performance.now() - t0, foreignCores: last };
}

/** @param {number[]} xs */
export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** @param {number[]} xs @param {number} p 0..1 */
export function quantile(xs, p) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** @param {number[]} xs */
export function summary(xs) {
  const v = xs.filter((x) => Number.isFinite(x));
  return { median: median(v), min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, n: v.length };
}

export { rng } from './rng.mjs';
import { rng } from './rng.mjs';

/** Fisher–Yates with a seeded generator. @template T @param {T[]} xs @param {number} seed @returns {T[]} */
export function shuffle(xs, seed) {
  const out = xs.slice();
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Race a promise against a timeout. Resolves `{ ok: true, value }`, or `{ ok: false, timedOut: true }` after `ms`.
 * @template T @param {Promise<T>} p @param {number} ms
 * @returns {Promise<{ ok: true, value: T } | { ok: false, timedOut: true }>}
 */
export async function withTimeout(p, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const t = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, timedOut: true }), ms);
  });
  try {
    return /** @type {any} */ (await Promise.race([p.then((value) => ({ ok: true, value })), t]));
  } finally {
    clearTimeout(timer);
  }
}

/** Peak and current RSS of a process from /proc, in KiB (null when unreadable). @param {number} pid */
export function procRss(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    return { hwmKb: hwm ? Number(hwm[1]) : null, rssKb: rss ? Number(rss[1]) : null };
  } catch {
    return null;
  }
}
