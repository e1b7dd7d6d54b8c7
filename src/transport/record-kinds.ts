/**
 * What counts as a record, and the kind of each field, for the records codec (records.ts): plain objects, and
 * instances of the caller's own classes, which structured clone delivers as plain objects of their own enumerable
 * fields (the methods stay behind); never instances of built-ins, which structured clone treats apart.
 */
import { types } from 'node:util';
import type { ColumnKind } from './record-shapes.ts';

const OBJECT_PROTO = Object.prototype;
const { isDate } = types;

/**
 * The own enumerable keys of `value` when it is a plain object, or an instance of classes of one's own (which
 * structured clone delivers as a plain object of those keys: see {@link plainLike}); else null.
 */
export function plainKeys(value: unknown): string[] | null {
  if (typeof value !== 'object' || value === null) return null;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== OBJECT_PROTO && proto !== null && !(plainLike(proto) && Object.getOwnPropertySymbols(value).length === 0)) return null;
  const keys = Object.keys(value);
  // Symbol keys are dropped by structured clone too; a '__proto__' own key cannot be rebuilt by a literal.
  for (const k of keys) if (k === '__proto__') return null;
  return keys;
}

/** Prototypes found to be (or not to be) of classes whose instances clone as plain objects. */
const PLAIN_LIKE = new WeakMap<object, boolean>();
const fnSource = Function.prototype.toString;

/**
 * True when instances of `proto` clone as plain objects: every prototype up its chain (to Object.prototype, or to
 * none) belongs to a class or function of JavaScript source, not to a built-in (Error, Map, Date, Array, typed
 * arrays… all have native constructors, and structured clone treats their instances apart), and none has an
 * enumerable property of its own (a for-in over an instance would list it; structured clone would not). Then
 * structured clone copies an instance's own enumerable properties into a plain object, and so do the columns.
 * Instances with symbol-keyed properties are left to structured clone too (Node's cloneable and transferable
 * objects keep their state under symbols). Checked once per prototype.
 */
function plainLike(proto: object): boolean {
  const known = PLAIN_LIKE.get(proto);
  if (known !== undefined) return known;
  let ok = true;
  for (let p: object | null = proto; ok && p !== null && p !== OBJECT_PROTO; p = Object.getPrototypeOf(p) as object | null) {
    const ctor = Object.getOwnPropertyDescriptor(p, 'constructor')?.value as unknown;
    ok = typeof ctor === 'function' && !fnSource.call(ctor).endsWith('{ [native code] }') && !Object.values(Object.getOwnPropertyDescriptors(p)).some((d) => d.enumerable);
  }
  PLAIN_LIKE.set(proto, ok);
  return ok;
}

/** Kind of a value for column purposes. */
export function kindOf(v: unknown): ColumnKind {
  const t = typeof v;
  if (t === 'number' || t === 'boolean' || t === 'string') return t;
  return t === 'object' && isDate(v) ? 'date' : 'any';
}
