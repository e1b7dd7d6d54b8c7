import { cross } from './fixtures/cross.ts';
import { describe, expect, it } from 'vitest';
import { packValues, payloadReader, unpackValues } from '../src/transport/pack.ts';
import { MAX_LIST_LENGTH, MAX_TUPLE_LENGTH } from '../src/transport/record-shapes.ts';
import { isPackedRecords, packRecords, recordReader, unpackRecords, type PackedRecords } from '../src/transport/records.ts';


/** Pack, move to "another thread", unpack; compare with what structured clone would deliver, key order included. */
function roundTrip(values: unknown[]): unknown[] {
  const packed = packRecords(values);
  expect(packed).not.toBeNull();
  const arrived = cross(packed!.packed, packed!.transfer);
  expect(isPackedRecords(arrived)).toBe(true);
  const out = unpackRecords(arrived);
  const cloned = structuredClone(values);
  expect(out).toEqual(cloned);
  for (let i = 0; i < out.length; i++) {
    expect(Object.keys(out[i]!)).toEqual(Object.keys(cloned[i] as object));
    expect(Object.getPrototypeOf(out[i])).toBe(Object.prototype);
  }
  expect(JSON.stringify(out)).toBe(JSON.stringify(values));
  return out;
}

const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('records codec', () => {
  it('round-trips small records of one shape as columns', () => {
    const values = many(1000, (i) => ({ id: i, text: `item-${i.toString(36)}-xyz` }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns.map((c) => c.type)).toEqual(['number', 'string']);
    expect(packed.columns[1]!.data).toBeInstanceOf(Uint8Array);
    roundTrip(values);
  });

  it('keeps every JS string exactly: Latin-1 (0x80-0xff), astral characters and lone surrogates', () => {
    const texts = ['plain', 'café \u0080\u009f\u00ff', '😀 emoji', '\ud800 lone high', 'lone low \udfff', '', 'ä', 'z'];
    const values = many(16, (i) => ({ s: texts[i % texts.length]!, n: i }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns[0]!.type).toBe('string');
    expect(packed.columns[0]!.data).toBeInstanceOf(Uint16Array);
    const out = roundTrip(values) as Array<{ s: string }>;
    for (let i = 0; i < 16; i++) expect(out[i]!.s === texts[i % texts.length]).toBe(true);
    // Only Latin-1: stays one byte per unit, and 0x80-0x9f are not remapped (no windows-1252 decoding).
    const latin = many(8, (i) => ({ s: `\u0080\u0091\u009f\u00e9${i}` }));
    expect(packRecords(latin)!.packed.columns[0]!.data).toBeInstanceOf(Uint8Array);
    roundTrip(latin);
  });

  it('packs several string columns at once: long ones that outgrow the scratch, one that turns 16-bit late', () => {
    const values = many(2000, (i) => ({ a: `${'x'.repeat(90)}${i}`, b: i === 1999 ? `wide \u4e2d ${i}` : `narrow ${i}`, n: i }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns.map((c) => c.type)).toEqual(['string', 'string', 'number']);
    expect(packed.columns[0]!.data).toBeInstanceOf(Uint8Array);
    expect(packed.columns[1]!.data).toBeInstanceOf(Uint16Array);
    roundTrip(values);
    // The scratch is reused by the next call: nothing of the previous records may leak into it.
    roundTrip(many(10, (i) => ({ a: `short ${i}`, b: `b${i}`, n: -i })));
  });

  it('keeps numbers exactly (NaN, -0, infinities) and booleans', () => {
    const specials = [NaN, -0, Infinity, -Infinity, 2 ** 53 + 2, 5e-324, 0.1, -1];
    const values = many(8, (i) => ({ x: specials[i]!, ok: i % 2 === 0 }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns.map((c) => c.type)).toEqual(['number', 'boolean']);
    const out = roundTrip(values) as Array<{ x: number }>;
    expect(Object.is(out[1]!.x, -0)).toBe(true);
    expect(Number.isNaN(out[0]!.x)).toBe(true);
  });

  it('clones a column of mixed or nested values as it is, and columns the rest', () => {
    const values = many(10, (i) => ({
      id: i,
      mixed: i === 3 ? 'three' : i,
      nested: { a: [i, { b: i }] },
      maybe: i % 2 ? null : undefined,
      when: new Date(0),
      text: `t${i}`,
    }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns.map((c) => c.type)).toEqual(['number', 'any', 'any', 'any', 'date', 'string']);
    roundTrip(values);
  });

  it('packs instances of classes of one\'s own as the plain objects structured clone makes of them', () => {
    class Base {
      kind = 'p';
      describe(): string {
        return this.kind;
      }
    }
    class Particle extends Base {
      id: number;
      x: number;
      pos: { x: number; y: number };
      constructor(id: number, x: number, pos: { x: number; y: number }) {
        super();
        this.id = id;
        this.x = x;
        this.pos = pos;
      }
      get norm(): number {
        return Math.hypot(this.x, 1);
      }
    }
    function Legacy(this: { a: number }, a: number): void {
      this.a = a;
    }
    const particles = many(20, (i) => new Particle(i, i / 2, { x: i, y: -i }));
    const packed = packRecords(particles)!.packed;
    expect(packed.columns.map((c) => c.type)).toEqual(['string', 'number', 'number', 'any']);
    const out = roundTrip(particles);
    expect(out.every((r) => !('norm' in (r as object)))).toBe(true);
    // Plain objects may mix with instances of the first record's class; a second class leaves the chunk to clone.
    roundTrip(particles.map((p, i) => (i % 3 === 1 ? { kind: 'p', id: p.id, x: p.x, pos: p.pos } : p)));
    class Other extends Base {
      id = 1;
      x = 2;
      pos = { x: 0, y: 0 };
    }
    expect(packRecords([...particles.slice(0, 10), new Other(), ...particles.slice(10)])).toBeNull();
    roundTrip(many(10, (i) => new (Legacy as unknown as new (a: number) => { a: number })(i)));
  });

  it('leaves to structured clone what it treats apart: built-ins and their subclasses, symbol keys, enumerable prototypes', () => {
    class Failure extends Error {
      code = 'E_X';
    }
    class Table extends Map<string, number> {
      size2 = 1;
    }
    class Stamp extends Date {
      label = 'x';
    }
    const sym = Symbol('state');
    class Handle {
      id = 1;
      [sym] = 2;
    }
    function Proto(this: { a: number }): void {
      this.a = 1;
    }
    (Proto.prototype as { shared: number }).shared = 1; // enumerable: a for-in would list it, a clone would not
    for (const make of [() => new Failure('x'), () => new Table(), () => new Stamp(0), () => new Handle(), () => new (Proto as unknown as new () => object)()]) {
      expect(packRecords(many(10, make))).toBeNull();
    }
  });

  it('packs a field of typed arrays of one class as their bytes end to end: every element, each a view of its own', () => {
    const values = many(40, (i) => ({ id: i, bytes: Buffer.from(`payload ${i}`), samples: new Float64Array([i, -0, NaN, i / 3]) }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns.map((c) => (c.type === 'any' && c.views ? c.views.type : c.type))).toEqual(['number', 'Uint8Array', 'Float64Array']);
    const out = unpackRecords(cross(packed, packRecords(values)!.transfer)) as { id: number; bytes: Uint8Array; samples: Float64Array }[];
    expect(out).toEqual(structuredClone(values));
    for (const [i, r] of out.entries()) {
      expect(Object.getPrototypeOf(r.bytes)).toBe(Uint8Array.prototype);
      expect(Buffer.from(r.bytes).toString()).toBe(`payload ${i}`);
      expect(Object.is(r.samples[1], -0)).toBe(true);
    }
    // Mixed classes in one field: that field is cloned, the others still go as columns.
    const mixed = values.map((r, i) => (i === 5 ? { ...r, samples: new Float32Array(4) } : r));
    const column = packRecords(mixed)!.packed.columns[2]!;
    expect(column.type === 'any' && column.views === undefined && column.data.length === mixed.length).toBe(true);
    roundTrip(mixed.map((r) => ({ id: r.id, samples: r.samples })));
  });

  it('packs nested records and arrays as columns of their own, and rebuilds what structured clone would', () => {
    const values = many(40, (i) => ({
      id: i,
      pos: { x: i & 7, y: -0, label: `p${i}` },
      tags: i % 5 === 0 ? [] : [`t${i}`, 'x', 'é😀'.repeat(i % 3)],
      scores: [i, NaN, -0, Infinity].slice(0, 1 + (i % 4)),
      rows: [{ a: i, b: `b${i}` }, { a: -i, b: '' }],
      meta: { deep: { n: i, deeper: { m: -i } } }, // three levels of records below the top one
    }));
    const packed = packRecords(values)!.packed;
    const [id, pos, tags, scores, rows, meta] = packed.columns;
    expect(id!.type).toBe('number');
    for (const c of [pos, tags, scores, rows, meta]) expect(c!.type === 'any' && c!.data.length).toBe(0);
    expect(pos!.type === 'any' && pos!.packed?.columns.map((c) => c.type)).toEqual(['number', 'number', 'string']);
    expect(tags!.type === 'any' && tags!.list?.packed?.bare).toBe(true);
    expect(scores!.type === 'any' && scores!.list?.numbers).toBeInstanceOf(Float64Array);
    // Arrays of one length are tuples: a column per position, here records of one shape each.
    expect(rows!.type === 'any' && rows!.packed?.tuple).toBe(true);
    const row0 = rows!.type === 'any' ? rows!.packed?.columns[0] : undefined;
    expect(row0?.type === 'any' && row0.packed?.keys).toEqual(['a', 'b']);
    const out = roundTrip(values) as Array<(typeof values)[number]>;
    expect(Object.is(out[3]!.pos.y, -0)).toBe(true);
    expect(Object.is(out[3]!.scores[2], -0)).toBe(true);
    expect(out[7]!.meta.deep.deeper.m).toBe(-7);
    expect(Array.isArray(out[1]!.tags) && Object.getPrototypeOf(out[1]!.tags)).toBe(Array.prototype);
  });

  it('clones arrays that a list would change (holes, named properties, subclasses), and ends cycles', () => {
    class Tuple extends Array<number> {}
    for (const odd of [
      (i: number) => {
        const holey: unknown[] = [i];
        holey[2] = i; // index 1 is a hole
        return holey;
      },
      (i: number) => Object.assign([i, i], { note: 'kept' }),
      (i: number) => Tuple.from([i, i]),
    ]) {
      const values = many(12, (i) => ({ id: i, list: i === 6 ? odd(i) : [i, i + 1, i + 2] }));
      const packed = packRecords(values)!.packed;
      const list = packed.columns[1]!;
      expect(list.type === 'any' && list.list).toBeUndefined();
      const out = unpackRecords(cross(packed, packRecords(values)!.transfer)) as Array<{ list: unknown[] }>;
      const cloned = structuredClone(values) as Array<{ list: unknown[] }>;
      expect(out[6]!.list).toEqual(cloned[6]!.list);
      expect(Object.keys(out[6]!.list)).toEqual(Object.keys(cloned[6]!.list));
    }
    // A record that holds itself: packed to MAX_NESTING levels, cloned below; the chain still ends where it began.
    const selfish = many(10, (i) => {
      const r: Record<string, unknown> = { id: i };
      r['self'] = r;
      return r;
    });
    const packed = packRecords(selfish)!;
    const out = unpackRecords(cross(packed.packed, packed.transfer)) as Array<{ id: number; self: { id: number; self: unknown } }>;
    let r: { id: number; self: unknown } = out[4]!;
    for (let level = 0; level < 6; level++) {
      expect(r.id).toBe(4);
      r = r.self as typeof r;
    }
  });

  it('packs records of several shapes whose keys come in one order (optional keys) as one sparse shape', () => {
    const base = many(12, (i) => ({ id: i, text: `x${i}` }));
    const withOne = (v: unknown): unknown[] => [...base.slice(0, 4), v, ...base.slice(5)];
    for (const values of [
      withOne({ id: 4 }), // a key missing
      withOne({ id: 4, text: 'x', extra: 1 }), // a key more, at the end
      withOne({ first: 0, id: 4, text: 'x' }), // a key more, first
      many(40, (i) => (i % 3 === 0 ? { id: i } : i % 3 === 1 ? { id: i, note: `n${i}`, ok: i % 2 === 0 } : { note: '', ok: true })),
      many(40, (i) => ({ ...(i % 2 ? { a: i } : {}), b: `b${i}`, ...(i % 5 ? {} : { c: { deep: i } }), ...(i % 7 ? {} : { d: [i, i] }) })),
    ]) {
      const packed = packRecords(values);
      expect(packed?.packed.masks).toBeInstanceOf(Uint32Array);
      const out = roundTrip(values) as Array<Record<string, unknown>>;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as Record<string, unknown>;
        for (const k of Object.keys(out[i]!)) expect(k in v).toBe(true);
        for (const k of Object.keys(v)) expect(k in out[i]!).toBe(true);
      }
    }
    // Present but undefined is not absent: one shape (its column cloned), and the key is still there.
    const undef = roundTrip(withOne({ id: 4, text: undefined })) as Array<Record<string, unknown>>;
    expect('text' in undef[4]!).toBe(true);
    // The union found for one chunk is tried first on the next; another key set still packs exactly.
    roundTrip(many(20, (i) => (i % 2 ? { id: i, z: i } : { id: i })));
    roundTrip(many(20, (i) => (i % 2 ? { id: i, y: `y${i}` } : { id: i })));
    // Keys in opposite orders, or more keys than a mask holds: cloned as they are.
    expect(packRecords(withOne({ text: 'swapped', id: 4 }))).toBeNull();
    expect(packRecords(many(10, (i) => Object.fromEntries(many(31, (k) => [`k${(k + i) % 40}`, k]))))).toBeNull();
  });

  it('accepts null-prototype records and odd keys (quotes, new lines, numeric, constructor)', () => {
    const values = many(8, (i) => {
      const r = Object.create(null) as Record<string, unknown>;
      r['2'] = i;
      r['a"b\nc'] = `q${i}`;
      r['constructor'] = i * 2;
      r['€'] = true;
      return r;
    });
    roundTrip(values);
  });

  it('falls back (null) for anything irregular', () => {
    const base = many(8, (i) => ({ id: i, text: `x${i}` }));
    const withOne = (v: unknown): unknown[] => [...base.slice(0, 4), v, ...base.slice(5)];
    class Point {
      id = 1;
      text = 'p';
    }
    expect(packRecords(base.slice(0, 7))).toBeNull(); // too few
    expect(packRecords(withOne({ text: 'swapped', id: 4 }))).toBeNull(); // key order
    expect(packRecords(withOne(new Point()))).toBeNull(); // a class instance
    expect(packRecords(withOne([4, 'x']))).toBeNull(); // an array among records
    expect(packRecords(withOne(null))).toBeNull();
    expect(packRecords(withOne(undefined))).toBeNull();
    expect(packRecords(withOne(7))).toBeNull();
    expect(packRecords(many(8, () => JSON.parse('{"__proto__": 1, "a": 2}') as unknown))).toBeNull();
    expect(packRecords(many(8, () => ({})))).toBeNull(); // no fields
    // Nothing to column (mixed kinds in arrays of several lengths are neither tuples nor a list).
    expect(packRecords(many(8, (i) => ({ o: new Map<unknown, unknown>([[i, i], ['k', 'v']]), p: [i, 'mixed', i].slice(0, 2 + (i % 2)) })))).toBeNull();
  });

  it('packs Maps and Sets as their entries end to end, rebuilt in insertion order (items, fields, nested)', () => {
    const entries = (c: Map<unknown, unknown> | Set<unknown>) => [...c.entries()];
    const check = (values: unknown[], read: (x: unknown) => Map<unknown, unknown> | Set<unknown>) => {
      const packed = packRecords(values)!;
      expect(packed).not.toBeNull();
      const out = unpackRecords(cross(packed.packed, packed.transfer));
      expect(out).toEqual(structuredClone(values));
      for (let k = 0; k < values.length; k++) {
        const got = read(out[k]);
        expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(read(values[k])));
        expect(entries(got)).toEqual(entries(read(values[k])));
      }
    };
    const maps = many(20, (i) => new Map<string, number>([['id', i], [`k${i}`, -i], ['z', NaN]].slice(0, i % 4) as [string, number][]));
    check(maps, (x) => x as Map<unknown, unknown>);
    const sets = many(20, (i) => new Set([`b${i}`, 'a', `é${i % 3}`].slice(0, i % 4)));
    check(sets, (x) => x as Set<unknown>);
    const numberSets = many(12, (i) => new Set([i, -0, NaN, Infinity].slice(0, 1 + (i % 4))));
    check(numberSets, (x) => x as Set<unknown>);
    const fields = many(16, (i) => ({ id: i, attrs: new Map([[`a${i}`, { x: i, label: `l${i}` }]]), seen: new Set([i, i + 1]) }));
    check(fields, (x) => (x as (typeof fields)[number]).attrs);
    check(fields, (x) => (x as (typeof fields)[number]).seen);
    const packed = packRecords(fields)!.packed;
    expect(packed.columns.map((c) => c.type === 'any' && c.collections?.type)).toEqual([false, 'map', 'set']);
    const nested = many(10, (i) => new Map([[i, new Map([['deep', i]])]]));
    check(nested, (x) => x as Map<unknown, unknown>);
    // A forEach of its own changes nothing: the entries are read as structured clone reads them.
    const liars = many(10, (i) => Object.assign(new Map([['v', i]]), { forEach: () => {} }));
    check(liars, (x) => x as Map<unknown, unknown>);
  });

  it('clones Maps and Sets that entries would change: mixed kinds, undefined, subclasses, a Set among Maps', () => {
    class Tagged extends Map<string, number> {}
    const maps = (f: (i: number) => unknown) => many(10, f);
    expect(packRecords(maps((i) => new Map<unknown, number>([[i === 5 ? 'five' : i, i]])))).toBeNull(); // keys of two kinds
    expect(packRecords(maps((i) => new Map([['v', i === 5 ? undefined : i]])))).toBeNull(); // an undefined value
    expect(packRecords(maps((i) => (i === 5 ? new Tagged([['v', i]]) : new Map([['v', i]]))))).toBeNull(); // a subclass
    expect(packRecords(maps((i) => (i === 5 ? new Set([i]) : new Map([[i, i]]))))).toBeNull(); // a Set among Maps
    const fields = maps((i) => ({ id: i, m: new Map<string, unknown>([['v', i === 3 ? null : i]]) }));
    const packed = packRecords(fields)!.packed;
    expect(packed.columns[1]).toMatchObject({ type: 'any' });
    expect((packed.columns[1] as { collections?: unknown }).collections).toBeUndefined();
    roundTrip(fields);
  });

  it('reads records one at a time, each a fresh object', () => {
    const values = many(20, (i) => ({ id: i, text: `r${i}`, flag: i > 10 }));
    const packed = packRecords(values)!;
    const reader = recordReader(cross(packed.packed, packed.transfer));
    expect(reader.length).toBe(20);
    const a = reader.at(5);
    const b = reader.at(5);
    expect(a).toEqual({ id: 5, text: 'r5', flag: false });
    expect(a).not.toBe(b);
    expect(reader.at(19)).toEqual({ id: 19, text: 'r19', flag: true });
  });

  it('widens a column in the middle of a long text (pieces before and after), then packs narrow text again', () => {
    const values = many(5000, (i) => ({ t: i === 2500 ? `mid \ud83d\ude00 ${i}` : `text number ${i} `, i }));
    const packed = packRecords(values)!.packed;
    expect(packed.columns[0]!.data).toBeInstanceOf(Uint16Array);
    roundTrip(values);
    // The scratch is wide now; the next chunk is one byte per unit again and holds nothing of the last.
    const narrow = many(3000, (i) => ({ t: `n${i}`, i }));
    expect(packRecords(narrow)!.packed.columns[0]!.data).toBeInstanceOf(Uint8Array);
    roundTrip(narrow);
  });

  it('matches structured clone on random records (seeded): kinds that change mid-chunk, odd strings, specials', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const texts = ['', 'a', 'é', '\u4e2d文', '\ud800', '\udfff', '😀', 'x'.repeat(300), '\u0000\u00ff'];
    const values: unknown[] = [-0, NaN, Infinity, 0.5, 2 ** 31, true, false, null, undefined];
    let packedRounds = 0;
    for (let round = 0; round < 30; round++) {
      const keys = many(1 + Math.floor(rand() * 6), (k) => `k${k}`);
      const base = keys.map(() => pick(['number', 'string', 'boolean', 'mixed'] as const));
      const value = (kind: string): unknown =>
        kind === 'number' ? pick(values.slice(0, 5)) : kind === 'string' ? pick(texts) + String(rand()) : kind === 'boolean' ? rand() < 0.5 : pick(values);
      const records = many(8 + Math.floor(rand() * 200), () => {
        const r: Record<string, unknown> = {};
        // Now and then a value of another kind than its column's.
        for (let k = 0; k < keys.length; k++) r[keys[k]!] = value(rand() < 0.02 ? 'mixed' : base[k]!);
        return r;
      });
      const packed = packRecords(records);
      // null (every column ended up cloned): the caller clones the records as they are, nothing to compare.
      if (packed !== null) {
        packedRounds++;
        const out = unpackRecords(cross(packed.packed, packed.transfer));
        expect(out).toEqual(structuredClone(records));
        for (let i = 0; i < out.length; i++) for (const k of keys) expect(Object.is((out[i] as Record<string, unknown>)[k], records[i]![k])).toBe(true);
      }
    }
    expect(packedRounds).toBeGreaterThanOrEqual(10);
  });

  it('keeps shapes apart whose keys joined would read the same', () => {
    const a = many(8, (i) => ({ 'a\u0000b': i, c: i }));
    const b = many(8, (i) => ({ a: i, 'b\u0000c': i }));
    expect(roundTrip(a)).toEqual(a);
    expect(roundTrip(b)).toEqual(b);
  });

  it('a column cloned as it is keeps its own values while later chunks of its shape pack (scratch arrays reused)', () => {
    const chunk = (from: number, n: number) => many(n, (i) => ({ id: from + i, mixed: (from + i) % 3 === 0 ? `s${from + i}` : from + i }));
    const first = packRecords(chunk(0, 40))!;
    const column = first.packed.columns[1]!;
    expect(column.type).toBe('any');
    const kept = [...(column as { data: unknown[] }).data];
    expect(kept).toHaveLength(40);
    for (let r = 0; r < 3; r++) packRecords(chunk(1000 * (r + 1), 60 - 20 * r));
    expect((column as { data: unknown[] }).data).toEqual(kept);
    expect(unpackRecords(cross(first.packed, first.transfer))).toEqual(chunk(0, 40));
  });

  it('packs a shorter chunk after a longer one of nested values: nothing of the longer one shows', () => {
    const orders = (n: number, lines: number) =>
      many(n, (i) => ({ id: i, pos: { x: i, y: -i }, lines: many(1 + ((i * lines) % 4), (k) => ({ sku: `s${i}-${k}`, qty: k })) }));
    for (const [n, lines] of [
      [500, 3],
      [9, 1],
      [200, 2],
      [8, 0],
    ] as const) {
      const values = orders(n, lines);
      roundTrip(values);
    }
  });

  it('rebuilds nested records and arrays at each read, not before: fresh ones every time', () => {
    const values = many(12, (i) => ({ id: i, pos: { x: i }, tags: [`t${i}`, 'u', 'v'].slice(0, 1 + (i % 3)), bytes: new Uint8Array([i, i]) }));
    const packed = packRecords(values)!;
    const reader = recordReader(cross(packed.packed, packed.transfer));
    const a = reader.at(4) as (typeof values)[number];
    const b = reader.at(4) as (typeof values)[number];
    expect(a).toEqual(values[4]);
    expect(b).toEqual(values[4]);
    expect(a.pos).not.toBe(b.pos);
    expect(a.tags).not.toBe(b.tags);
    expect(a.bytes).not.toBe(b.bytes);
  });

  it('packs a window of a larger array', () => {
    const values = many(100, (i) => ({ id: i, text: `w${i}` }));
    const packed = packRecords(values, 40, 60)!.packed;
    expect(unpackRecords(packed)).toEqual(values.slice(40, 60));
  });
});

describe('dates in records', () => {
  it('packs Date fields as time values and rebuilds plain Dates, as structured clone does', () => {
    class Day extends Date {}
    const values = many(40, (i) => ({
      id: i,
      at: i === 3 ? new Date(Number.NaN) : i === 4 ? new Day(i) : i === 5 ? Object.assign(new Date(i), { tz: 'dropped' }) : new Date(1.7e12 + i),
      ...(i % 2 ? { due: new Date(-i * 1000) } : {}),
    }));
    const packed = packRecords(values)!;
    expect(packed.packed.columns.map((c) => c.type)).toEqual(['number', 'date', 'date']);
    const out = unpackRecords(cross(packed.packed, packed.transfer)) as Array<Record<string, Date>>;
    const cloned = structuredClone(values) as unknown as Array<Record<string, Date>>;
    expect(out.map((r) => Object.keys(r))).toEqual(cloned.map((r) => Object.keys(r)));
    for (let i = 0; i < out.length; i++) {
      for (const k of Object.keys(cloned[i]!).slice(1)) {
        const [got, want] = [out[i]![k]!, cloned[i]![k]!];
        expect(Object.getPrototypeOf(got)).toBe(Date.prototype);
        expect(Object.is(got.getTime(), want.getTime())).toBe(true);
        expect(Object.keys(got)).toEqual(Object.keys(want)); // own properties dropped by both
      }
    }
    expect(out[3]!['at']!.getTime()).toBeNaN();
  });

  it('clones a column that holds something else than Dates (a string, a fake Date, null, a Proxy)', () => {
    const odd: Array<[unknown, boolean]> = [
      ['2024-01-01', true],
      [Object.create(Date.prototype), true], // inherits from Date.prototype, has no date inside: cloned as an object
      [null, true],
      [new Proxy(new Date(0), {}), false], // structured clone cannot move it either
    ];
    for (const [value, movable] of odd) {
      const values = many(12, (i) => ({ id: i, at: i === 6 ? value : new Date(i) }));
      const packed = packRecords(values)!;
      expect(packed.packed.columns[1]!.type).toBe('any');
      if (!movable) continue;
      const out = unpackRecords(cross(packed.packed, packed.transfer)) as Array<{ at: unknown }>;
      const cloned = structuredClone(values);
      expect(out[6]!.at).toEqual(cloned[6]!.at);
      if (value !== null) expect(Object.getPrototypeOf(out[6]!.at)).toBe(Object.getPrototypeOf(cloned[6]!.at));
      expect((out[2]!.at as Date).getTime()).toBe(2);
    }
  });
});

describe('arrays as items or results', () => {
  /** Pack, move, unpack; every array arrives as structured clone would deliver it: a plain array, same elements. */
  function arraysRoundTrip(values: unknown[][]): PackedRecords {
    const packed = packRecords(values)!;
    expect(packed).not.toBeNull();
    const arrived = cross(packed.packed, packed.transfer) as PackedRecords;
    const out = unpackRecords(arrived) as unknown[][];
    expect(out).toEqual(structuredClone(values));
    for (let k = 0; k < out.length; k++) {
      expect(Object.getPrototypeOf(out[k])).toBe(Array.prototype);
      expect(Object.keys(out[k]!)).toEqual(Object.keys(values[k]!));
      expect(out[k]).not.toBe(values[k]);
    }
    return arrived;
  }

  it('packs vectors of numbers as one Float64Array: lengths 0 to 64, NaN, -0 and infinities kept', () => {
    const values = many(200, (i) => many(i % 65, (j) => (j === 1 ? -0 : j === 2 ? NaN : j === 3 ? -Infinity : i * 1000.5 + j)));
    const packed = arraysRoundTrip(values);
    expect(packed.bare).toBe(true);
    const column = packed.columns[0]!;
    expect(column.type === 'any' && column.list?.numbers).toBeInstanceOf(Float64Array);
    const out = unpackRecords(packRecords(values)!.packed) as number[][];
    expect(Object.is(out[5]![1], -0)).toBe(true);
    expect(out[5]![2]).toBeNaN();
  });

  it('packs arrays of strings, of records and of arrays; a reader gives arrays equal to them', () => {
    const strings = many(30, (i) => [`t${i}`, 'é😀\ud800'.slice(0, i % 4), ''].slice(0, i % 4));
    const records = many(30, (i) => [{ a: i, b: `b${i}` }, { a: -i, b: '' }]);
    const nested = many(30, (i) => [[i, i + 0.5], [], [-i]]);
    for (const values of [strings, records, nested]) {
      const packed = arraysRoundTrip(values);
      const reader = recordReader(packed);
      expect(many(reader.length, (k) => reader.at(k))).toEqual(values);
    }
  });

  it('chunks of empty arrays, one after another (no buffer is moved twice)', () => {
    for (let r = 0; r < 3; r++) {
      arraysRoundTrip(many(10, () => []));
      arraysRoundTrip(many(10, (i) => (i < 9 ? [] : [i])));
    }
  });

  it('clones what a list would change: mixed kinds, holes, named properties, match arrays, subclasses', () => {
    class Row extends Array<number> {}
    const holey = (): unknown[] => {
      const a: unknown[] = [1];
      a[2] = 3;
      return a;
    };
    const odd: Array<[string, () => unknown]> = [
      ['a hole', holey],
      ['a named property', () => Object.assign([1, 2], { note: 'kept' })],
      ['a match array', () => /(b)(c)/.exec('abc')],
      ['a subclass', () => Row.from([1, 2])],
      ['booleans', () => [true, false]],
      ['nulls', () => [null, null]],
      ['a record', () => ({ 0: 1, 1: 2 })],
    ];
    for (const [what, make] of odd) {
      for (const at of [0, 5, 9]) {
        const values = many(10, (i) => (i === at ? make() : [i, i + 1]));
        expect(packRecords(values), `${what} at ${at}`).toBeNull();
        expect(packValues(values)).toBeNull();
      }
    }
    expect(packRecords(many(7, (i) => [i]))).toBeNull(); // too few
  });

  it('packs tuples (one length, each position of one kind) as a column per position, rebuilt as arrays', () => {
    const tuples = many(40, (i) => [i * 1.5, `t${i}`, i % 2 === 0, { x: i, y: [i] }, new Date(i * 1000), i % 3 ? null : -0]);
    const packed = arraysRoundTrip(tuples);
    expect(packed.tuple).toBe(true);
    expect(packed.columns.map((c) => c.type)).toEqual(['number', 'string', 'boolean', 'any', 'date', 'any']);
    const records = packed.columns[3]!;
    expect(records.type === 'any' && records.packed?.keys).toEqual(['x', 'y']);
    // A position whose kind changes mid-chunk is cloned; explicit undefined stays (it is not a hole).
    const mixed = many(20, (i) => [i === 13 ? 'thirteen' : i, i % 4 ? undefined : `u${i}`, -i]);
    expect(arraysRoundTrip(mixed).columns.map((c) => c.type)).toEqual(['any', 'any', 'number']);
    // Nothing left in columns (every position cloned): the tuples are cloned as they are.
    expect(packRecords(many(20, (i) => [i === 13 ? 'thirteen' : i, null]))).toBeNull();
    const pairs = many(20, (i) => [i, `p${i}`]);
    expect(arraysRoundTrip(pairs).columns.map((c) => c.type)).toEqual(['number', 'string']);
    // Pairs of numbers are tuples too (one array literal each to rebuild); arrays of several lengths are a list.
    expect(arraysRoundTrip(many(20, (i) => [i, -i])).tuple).toBe(true);
    expect(arraysRoundTrip(many(20, (i) => many(1 + (i % 3), (j) => j))).tuple).toBeUndefined();
  });

  it('clones tuples that columns would change: a hole, a named property, a match array, a subclass, another length', () => {
    class Pair extends Array<unknown> {}
    const holey = (): unknown[] => {
      const a: unknown[] = [7];
      a.length = 2;
      return a;
    };
    const odd: Array<[string, () => unknown]> = [
      ['a hole', holey],
      ['a hole and a named property (as many keys as elements)', () => Object.assign(holey(), { note: 'kept' })],
      ['a named property', () => Object.assign([7, 'x'], { note: 'kept' })],
      ['a match array', () => /(\d)/.exec('7')],
      ['a subclass', () => Pair.of<unknown>(7, 'x')],
      ['another length', () => [7, 'x', 1]],
      ['a record', () => ({ 0: 7, 1: 'x' })],
    ];
    for (const [what, make] of odd) {
      for (const at of [0, 5, 9]) {
        const values = many(10, (i) => (i === at ? make() : [i, `t${i}`]));
        const packed = packRecords(values);
        if (packed !== null) {
          // Packed only as something that still delivers the same (never as a tuple that dropped the difference).
          expect(packed.packed.tuple, `${what} at ${at}`).toBeUndefined();
          expect(unpackRecords(cross(packed.packed, packed.transfer))).toEqual(structuredClone(values));
        }
        expect(packed === null || packed.packed.tuple !== true, `${what} at ${at}`).toBe(true);
      }
    }
  });

  it('clones an array with a hidden index or an inherited one beside a named property (as many keys as elements)', () => {
    const hidden = (): unknown[] => {
      const a: unknown[] = [3, 'secret'];
      Object.defineProperty(a, 1, { enumerable: false });
      return Object.assign(a, { foo: 'x' });
    };
    const holeWithName = (): unknown[] => {
      const a: unknown[] = [3];
      a.length = 2;
      return Object.assign(a, { foo: 'x' });
    };
    const proto = Array.prototype as unknown as Record<number, unknown>;
    proto[1] = 'inherited';
    try {
      for (const [what, make, other] of [
        ['a hidden index, a tuple', hidden, (i: number) => [i, `s${i}`]],
        ['an inherited index, a tuple', holeWithName, (i: number) => [i, `s${i}`]],
        ['a hidden index, a list', () => Object.assign(Object.defineProperty([3, 4], 1, { enumerable: false }), { foo: 'x' }), (i: number) => [i, i, i].slice(0, 2 + (i % 2))],
        ['an inherited index, a list', holeWithName, (i: number) => [i, i, i].slice(0, 2 + (i % 2))],
      ] as const) {
        const values = many(10, (i) => (i === 3 ? make() : other(i)));
        const packed = packRecords(values);
        const out = packed === null ? structuredClone(values) : unpackRecords(cross(packed.packed, packed.transfer));
        const cloned = structuredClone(values);
        expect(Object.keys(out[3] as object), what).toEqual(Object.keys(cloned[3] as object));
        expect(Object.hasOwn(out[3] as object, 1), what).toBe(false);
        expect((out[3] as { foo?: string }).foo, what).toBe('x');
      }
    } finally {
      delete proto[1];
    }
  });

  it('a tuple at the longest packs as one, one element longer does not', () => {
    const at = (m: number): unknown[][] => many(10, (i) => many(m, (j) => (j % 2 ? `s${i}` : i + j)));
    expect(packRecords(at(MAX_TUPLE_LENGTH))?.packed.tuple).toBe(true);
    expect(packRecords(at(MAX_TUPLE_LENGTH + 1))).toBeNull(); // mixed kinds: no list either
  });

  it('reads each element once: a getter that answers differently the next time cannot make a list lose values', () => {
    let reads = 0;
    const flipping: unknown[] = [0, 0];
    Object.defineProperty(flipping, 0, { enumerable: true, get: () => (reads++ === 0 ? 'x' : 1) });
    // Read as 'x' for the kinds, then as 1 in a pass that demotes the column: a tuple of what that pass read.
    const flipped = packRecords([flipping, ...many(9, (i) => [i, i])])!;
    expect(flipped.packed.tuple).toBe(true);
    expect((unpackRecords(cross(flipped.packed, flipped.transfer)) as unknown[][])[0]).toEqual([1, 0]);
    let n = 10;
    const counting: unknown[] = [0, 0];
    Object.defineProperty(counting, 0, { enumerable: true, get: () => n++ });
    const packed = packRecords([counting, ...many(9, (i) => [i, i])])!;
    // As a tuple: read for the column kinds, then by the encoder; what arrives is the encoder's read.
    expect(n).toBe(12);
    expect((unpackRecords(cross(packed.packed, packed.transfer)) as number[][])[0]).toEqual([11, 0]);
    // As a list (several lengths): one read.
    n = 10;
    const list = packRecords([counting, ...many(9, (i) => [i, i, i])])!;
    expect(list.packed.tuple).toBeUndefined();
    expect(n).toBe(11);
    expect((unpackRecords(cross(list.packed, list.transfer)) as number[][])[0]).toEqual([10, 0]);
  });

  it('long arrays pack as lists, even a few of them; an array longer than MAX_LIST_LENGTH is cloned', () => {
    const rows = (count: number, m: number): number[][] => many(count, (i) => many(m, (j) => i + j / 8));
    // Rows of a thousand numbers (a row of pixels, samples): one list, even a chunk of one or two of them.
    for (const count of [1, 2, 10]) {
      const packed = packRecords(rows(count, 1000))!;
      expect(packed.packed.bare).toBe(true);
      expect(unpackRecords(cross(packed.packed, packed.transfer))).toEqual(rows(count, 1000));
    }
    // Long rows of strings and of records too.
    for (const long of [many(3, (i) => many(200, (j) => `w${i}-${j}`)), many(9, (i) => many(150, (j) => ({ x: i, y: j })))]) {
      const packed = packRecords(long)!;
      expect(packed.packed.columns[0]!.type === 'any' && packed.packed.columns[0]!.list?.packed).toBeDefined();
      expect(unpackRecords(cross(packed.packed, packed.transfer))).toEqual(long);
    }
    // Each element is read once, long rows too (a getter may answer differently the next time).
    let reads = 0;
    const counted = rows(1, 300)[0]!;
    Object.defineProperty(counted, 0, { enumerable: true, get: () => ++reads });
    const once = packRecords([counted, ...rows(2, 300)])!;
    expect(reads).toBe(1);
    expect((unpackRecords(cross(once.packed, once.transfer)) as number[][])[0]![0]).toBe(1);
    // A few short arrays are not worth it (fewer than MIN_LIST_ELEMENTS elements in all).
    expect(packRecords(rows(2, 3))).toBeNull();
    // Holey arrays (`new Array(n)` then filled: what structured clone rebuilds slowest) arrive packed and equal.
    const holey = many(3, (i) => {
      const a = new Array<number>(500);
      for (let j = 0; j < 500; j++) a[j] = i * j;
      return a;
    });
    expect(unpackRecords(cross(packRecords(holey)!.packed, packRecords(holey)!.transfer))).toEqual(holey);
    // A hole, a named property or a non-number among many numbers: cloned as it is (null), or as a list of another kind.
    const withHole = rows(3, 300);
    delete withHole[1]![150];
    expect(packRecords(withHole)).toBeNull();
    const named = Object.assign(rows(1, 300)[0]!, { x0: 1 });
    expect(packRecords([named, ...rows(2, 300)])).toBeNull();
    const longest = new Array<number>(MAX_LIST_LENGTH + 1).fill(0);
    expect(packRecords([longest])).toBeNull();
    // Inside records too.
    const inRecords = many(10, (i) => ({ id: i, v: rows(10, 700)[i]! }));
    const column = packRecords(inRecords)!.packed.columns[1]!;
    expect(column.type === 'any' && column.list?.numbers).toBeInstanceOf(Float64Array);
    roundTrip(inRecords);
  });

  it('packs arrays as results: packValues, then read or unpacked on the other side', () => {
    const values = many(50, (i) => [i & 0xffff, i & 7]);
    const packed = packValues(values)!;
    const payload = cross(packed.payload, packed.transfer) as PackedRecords;
    expect(unpackValues(payload)).toEqual(values);
    const reader = payloadReader(payload);
    expect(many(reader.length, (k) => reader.at(k))).toEqual(values);
  });
});

describe('packValues', () => {
  it('packs numbers as a Float64Array, records as columns, leaves the rest', () => {
    const nums = packValues(many(8, (i) => i * 0.5))!;
    expect(nums.payload).toBeInstanceOf(Float64Array);
    const recs = packValues(many(8, (i) => ({ i })))!;
    expect(isPackedRecords(recs.payload)).toBe(true);
    const strs = packValues(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'])!;
    expect(isPackedRecords(strs.payload) && strs.payload.bare).toBe(true);
    expect(packValues(['a', 'b', 'c', 'd', 'e', 'f', 'g', 8])).toBeNull();
    expect(packValues([1, 2, 3])).toBeNull();
  });

  it('packs strings as one text column of themselves: every string exactly, in one width or two', () => {
    const narrow = many(40, (i) => (i % 3 === 0 ? '' : `s${i}-ÿ`));
    const wide = [...narrow.slice(0, 20), '日本語', '\u{1F600}', '\ud800', 'x\udfffy', ...narrow.slice(20)];
    for (const values of [narrow, wide]) {
      const packed = packRecords(values)!;
      expect(packed.packed.bare).toBe(true);
      const out = unpackRecords(cross(packed.packed, packed.transfer));
      expect(out).toEqual(values);
      const reader = recordReader(cross(packRecords(values)!.packed, packRecords(values)!.transfer));
      expect(many(reader.length, (k) => reader.at(k))).toEqual(values);
    }
    expect(packRecords(['a', 'b', 'c', 'd', 'e', 'f', 'g', { h: 1 }])).toBeNull(); // not all strings
    expect(packRecords(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBeNull(); // too few
  });

  it('reads and unpacks every payload kind the same way', () => {
    const values = many(9, (i) => ({ i, s: String(i) }));
    const packed = packValues(values)!;
    const payload = cross(packed.payload, packed.transfer) as PackedRecords;
    expect(unpackValues(payload)).toEqual(values);
    const reader = payloadReader(payload);
    expect(many(reader.length, (k) => reader.at(k))).toEqual(values);
    const plain = payloadReader(['x', 'y']);
    expect([plain.at(0), plain.at(1)]).toEqual(['x', 'y']);
  });
});
