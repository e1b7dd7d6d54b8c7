// A task graph of N nodes of uneven cost (busy loops of known milliseconds) on a seeded random DAG. The makespan
// of rt.graph against the bound no schedule can beat: max(longest dependency chain, total work / threads), and
// against the seed's level-by-level way (all ready nodes at once, the next level when the whole level is done).
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

/** Makespans of both ways over `graphs` seeded graphs of `n` nodes, each run `repeats` times. */
export async function measureGraph({ n, graphs, repeats }) {
  const rt = createRuntime();
  const rows = [];
  try {
    await rt.map([{ ms: 1 }, { ms: 1 }], busy);
    for (let g = 0; g < graphs; g++) {
      const nodes = makeGraph(n, 100 + g);
      const b = bound(nodes, rt.plan.threads);
      const row = { seed: 100 + g, nodes: n, ...b, graphMs: [], levelsMs: [] };
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
  return { rows, threads: rt.plan.threads };
}
