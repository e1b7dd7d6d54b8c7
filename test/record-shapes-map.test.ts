/**
 * Records of the shapes the codec packs beyond one flat shape, through real workers and back: optional keys (one
 * sparse shape), nested records, arrays of numbers, strings and records, and items that are arrays. What a worker receives is what structured
 * clone would have delivered (keys in order, absent keys absent, -0 kept), and results of these shapes come back
 * the same way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, defineTask } from '../src/index.ts';
import { describe as describeItem } from './fixtures/shapes-task.mjs';

const fixture = new URL('./fixtures/shapes-task.mjs', import.meta.url);
const seen = defineTask<unknown, string>(fixture, 'describe');
const echo = defineTask<unknown, unknown>(fixture, 'echo');
const rt = createRuntime({ threads: 2, maxHeapMb: 128 });
afterAll(() => rt.close());

const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

const inputs: Record<string, unknown[]> = {
  'optional keys': many(3000, (i) => (i % 3 === 0 ? { id: i } : i % 3 === 1 ? { id: i, note: `n${i}`, ok: i % 2 === 0 } : { note: '', ok: true })),
  'present but undefined, and absent': many(3000, (i) => (i % 2 ? { id: i, v: undefined } : { id: i })),
  'nested records': many(3000, (i) => ({ id: i, pos: { x: i & 7, y: -0, z: { w: `w${i}` } } })),
  'arrays of numbers, strings and records': many(3000, (i) => ({ id: i, n: [i, -0, NaN].slice(i % 3), s: [`s${i}`, 'é🙂'], r: [{ a: i }, { a: -i }] })),
  'vectors of numbers (items that are arrays)': many(3000, (i) => many(i % 5, (j) => (j === 1 ? -0 : i * 0.5 + j))),
  'arrays of strings, of records, of arrays': many(3000, (i) => (i % 3 === 0 ? [`s${i}`, 'é🙂'] : i % 3 === 1 ? [{ a: i }, { a: -i }] : [[i], [i, -i]])),
  'arrays a list would change: match arrays, named properties, a tuple': many(3000, (i) =>
    i % 1000 === 999 ? /(\d)(\d)?/.exec(`n${i}`) : i % 1000 === 500 ? Object.assign([i], { note: 'kept' }) : i === 1200 ? [i, 'x'] : [i, i + 1],
  ),
  'tuples (a hole, a named property, explicit undefined, a kind that changes, nested records and arrays)': many(3000, (i) => {
    if (i % 1000 === 250) return Object.assign([i, `t${i}`, true, { x: i }], { note: 'kept' });
    if (i % 1000 === 500) {
      const holey: unknown[] = [i, `t${i}`, false];
      holey[3] = { x: -i };
      delete holey[1];
      return holey;
    }
    return [i === 1700 ? `n${i}` : i % 7 ? i : -0, i % 5 ? `t${i}` : 'é🙂', i % 2 === 0, i % 3 ? { x: i, tags: [`g${i}`] } : undefined];
  }),
  'a date in every record (shared columns)': many(3000, (i) => ({ id: i, at: new Date(i * 1e6 - 5e8), ok: i % 2 === 0 })),
  'dates (invalid ones, a subclass, own properties dropped as structured clone drops them)': many(3000, (i) => ({
    id: i,
    at: i % 500 === 7 ? new Date(Number.NaN) : i % 500 === 9 ? new (class Day extends Date {})(i) : i % 500 === 11 ? Object.assign(new Date(i), { tz: 'x' }) : new Date(1.7e12 + i * 1000),
    ...(i % 3 ? { due: new Date(-i) } : {}),
  })),
  'all of them': many(3000, (i) => ({ ...(i % 4 ? { id: i } : {}), tags: i % 5 ? [`t${i}`] : [], pos: { x: i }, ...(i % 7 ? {} : { extra: [{ k: i }] }) })),
};

describe('records of other shapes through the workers', () => {
  for (const [name, items] of Object.entries(inputs)) {
    it(`${name}: each worker receives what structured clone would deliver, and results come back alike`, async () => {
      expect(await rt.map(items, seen)).toEqual(items.map((item) => describeItem(structuredClone(item))));
      const back = await rt.map(items, echo);
      expect(back.map((item) => describeItem(item))).toEqual(items.map((item) => describeItem(structuredClone(item))));
    });
  }
});
