// The suite of the A/A benchmark (bench/aa-baseline.mjs): CPU-bound tasks whose work is multiplied by
// BT_AA_SLOWDOWN (default 1; 1.2 is a real 20 % slowdown of every task).
import { Bench } from 'tinybench';

const factor = Number(process.env.BT_AA_SLOWDOWN ?? 1);
let sink = 0;

function mix(rounds) {
  let h = 0x9e3779b1;
  for (let i = 0; i < rounds; i++) h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) + i;
  sink ^= h;
}

const words = Array.from({ length: 200 }, (_, i) => `w${(i * 7919) % 1000}`);
function sortWords(times) {
  for (let t = 0; t < times; t++) sink ^= [...words].sort().length;
}

const record = { id: 12345, name: 'batchtools', tags: ['a', 'b', 'c'], nested: { x: 1.5, y: [1, 2, 3] } };
function roundTrip(times) {
  for (let t = 0; t < times; t++) sink ^= JSON.parse(JSON.stringify(record)).id;
}

const bench = new Bench({ name: 'aa', time: 100, warmupTime: 20 });
bench
  .add('integer mixing, 20k rounds', () => mix(Math.round(20_000 * factor)))
  .add('sort 200 strings ×10', () => sortWords(Math.round(10 * factor)))
  .add('JSON round trip ×50', () => roundTrip(Math.round(50 * factor)));
export default bench;
/** What the tasks computed (exported so that no work is dead code). */
export const result = () => sink;
