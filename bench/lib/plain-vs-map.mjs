/** One plain loop against `rt.map` on the same items, in turns, on a warm runtime (bench:short, bench:shapes). */
import { isDeepStrictEqual } from 'node:util';
import { median, startWindow } from './measure.mjs';

/**
 * `warmups` rounds of both first, then `rounds` rounds of one plain loop and one `rt.map`; every map's results are
 * checked against the loop's. Returns the medians, ms: the loop's and the map's wall time, and the map's CPU time on
 * the main thread and in the whole process (workers included; NaN where /proc is not readable).
 * @param {{ rt: { map(items: unknown[], task: unknown): Promise<unknown[]> }, task: unknown, fn: (item: any) => unknown, items: unknown[], warmups: number, rounds: number, label: string }} o
 * @returns {Promise<{ mapMs: number, plainMs: number, mapMainCpuMs: number, mapCpuMs: number }>}
 */
export async function plainVsMap(o) {
  const { rt, task, fn, items } = o;
  const expected = items.map(fn);
  for (let w = 0; w < o.warmups; w++) {
    items.map(fn);
    await rt.map(items, task);
  }
  const mapMs = [];
  const plainMs = [];
  const mainCpu = [];
  const cpu = [];
  for (let r = 0; r < o.rounds; r++) {
    const t = performance.now();
    items.map(fn);
    plainMs.push(performance.now() - t);
    const end = startWindow();
    const out = await rt.map(items, task);
    const w = end();
    mapMs.push(w.wallMs);
    mainCpu.push(w.mainCpuMs ?? Number.NaN);
    cpu.push(w.cpuMs);
    if (!isDeepStrictEqual(out, expected)) throw new Error(`${o.label}: results differ from the plain loop`);
  }
  return { mapMs: median(mapMs), plainMs: median(plainMs), mapMainCpuMs: median(mainCpu), mapCpuMs: median(cpu) };
}
