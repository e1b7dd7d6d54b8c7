// A task graph of N nodes of uneven cost (busy loops of known milliseconds) on a seeded random DAG. The makespan
// of rt.graph against the bound no schedule can beat: max(longest dependency chain, total work / threads), and
// against the seed's level-by-level way (all ready nodes at once, the next level when the whole level is done).
import { loadavg } from 'node:os';
import { median, startWindow } from '../lib/measure.mjs';
import { rng } from '../lib/rng.mjs';

const { createRuntime, defineTask } = await import('../../dist/src/index.js');
const busy = defineTask(new URL('./stages.mjs', import.meta.url), 'busy');

const COSTS_MS = [10, 20, 40, 80, 160, 300];

/** A seeded DAG: node i may depend on up to three earlier nodes. */
export function makeGraph(n, seed) {
  const r = rng(seed);
  const nodes = [];
  for (let i = 0; i < n; i++) {
    const after = new Set();
    const deps = i === 0 ? 0 : Math.floor(r() * 4);
    for (let d = 0; d < deps; d++) after.add(`n${Math.floor(r() * i)}`);
    nodes.push({ id: `n${i}`, ms: COSTS_MS[Math.floor(r() * COSTS_MS.length)], after: [...after] });
  }
  return nodes;
}

/** The lower bound of the makespan on `threads` threads. */
export function bound(nodes, threads) {
  const finish = new Map();
  for (const node of nodes) finish.set(node.id, Math.max(0, ...node.after.map((d) => finish.get(d))) + node.ms);
  const criticalPath = Math.max(...finish.values());
  const total = nodes.reduce((s, x) => s + x.ms, 0);
  return { criticalPathMs: criticalPath, workPerThreadMs: total / threads, boundMs: Math.max(criticalPath, total / threads) };
}

/**
 * The makespan of the list schedule rt.graph follows (a free thread takes the ready node heading the costliest chain
 * of work left, ties in the order given), with exact costs and no overhead at all: what "the pool allows" for
 * this graph with this rule. It may exceed the bound (no list schedule reaches it on some graphs).
 */
export function listSchedule(nodes, threads) {
  const byId = new Map(nodes.map((x, k) => [x.id, { ...x, k }]));
  const children = new Map(nodes.map((x) => [x.id, []]));
  for (const x of nodes) for (const d of x.after) children.get(d).push(x.id);
  const chain = new Map();
  for (const x of [...nodes].reverse()) chain.set(x.id, x.ms + Math.max(0, ...children.get(x.id).map((c) => chain.get(c))));
  const waiting = new Map(nodes.map((x) => [x.id, x.after.length]));
  const ready = nodes.filter((x) => x.after.length === 0).map((x) => x.id);
  const running = [];
  let now = 0;
  let done = 0;
  while (done < nodes.length) {
    ready.sort((a, b) => chain.get(b) - chain.get(a) || byId.get(a).k - byId.get(b).k);
    while (running.length < threads && ready.length > 0) {
      const id = ready.shift();
      running.push({ id, end: now + byId.get(id).ms });
    }
    running.sort((a, b) => a.end - b.end);
    const next = running.shift();
    now = next.end;
    done++;
    for (const c of children.get(next.id)) if (waiting.set(c, waiting.get(c) - 1).get(c) === 0) ready.push(c);
  }
  return now;
}

async function viaGraph(rt, nodes) {
  const spec = Object.fromEntries(nodes.map((x) => [x.id, { task: busy, input: { ms: x.ms }, after: x.after, cost: x.ms }]));
  const out = await rt.graph(spec);
  for (const [id, o] of Object.entries(out)) if (o.status !== 'fulfilled') throw new Error(`${id}: ${o.status}`);
}

async function byLevels(rt, nodes) {
  const level = new Map();
  for (const node of nodes) level.set(node.id, Math.max(-1, ...node.after.map((d) => level.get(d))) + 1);
  const levels = Math.max(...level.values()) + 1;
  for (let l = 0; l < levels; l++) {
    await Promise.all(nodes.filter((x) => level.get(x.id) === l).map((x) => rt.map([{ ms: x.ms }], busy)));
  }
}

/**
 * What one node costs the runtime: a chain of `n` nodes that do nothing, run one after another (each waits for the
 * one before), in wall time and main-thread CPU per node; medians of `repeats`.
 */
async function nodeOverhead(rt, n, repeats) {
  const spec = {};
  for (let i = 0; i < n; i++) spec[`n${i}`] = { task: busy, input: { ms: 0 }, after: i > 0 ? [`n${i - 1}`] : [] };
  const wall = [];
  const cpu = [];
  for (let r = 0; r < repeats; r++) {
    const end = startWindow();
    await rt.graph(spec);
    const w = end();
    wall.push(w.wallMs / n);
    if (w.mainCpuMs !== null) cpu.push(w.mainCpuMs / n);
  }
  return { nodes: n, wallMsPerNode: median(wall), mainCpuMsPerNode: cpu.length ? median(cpu) : null };
}

/** Makespans of both ways over `graphs` seeded graphs of `n` nodes, each run `repeats` times. */
export async function measureGraph({ n, graphs, repeats }) {
  const rt = createRuntime();
  const rows = [];
  const loadAverage = { start: loadavg().map((x) => +x.toFixed(2)), end: null };
  let overhead;
  try {
    await rt.map([{ ms: 1 }, { ms: 1 }], busy);
    overhead = await nodeOverhead(rt, 200, Math.max(3, repeats));
    for (let g = 0; g < graphs; g++) {
      const nodes = makeGraph(n, 100 + g);
      const b = bound(nodes, rt.plan.threads);
      const row = { seed: 100 + g, nodes: n, ...b, listScheduleMs: listSchedule(nodes, rt.plan.threads), graphMs: [], levelsMs: [] };
      for (let r = 0; r < repeats; r++) {
        let t0 = performance.now();
        await viaGraph(rt, nodes);
        row.graphMs.push(performance.now() - t0);
        t0 = performance.now();
        await byLevels(rt, nodes);
        row.levelsMs.push(performance.now() - t0);
      }
      rows.push(row);
    }
  } finally {
    await rt.close();
  }
  loadAverage.end = loadavg().map((x) => +x.toFixed(2));
  return { rows, overhead, loadAverage, threads: rt.plan.threads };
}
