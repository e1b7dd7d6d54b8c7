/**
 * The typed face of an object that lives in another thread (a dedicated worker's exports, a run's `host`): every
 * method returns a promise of its result, every other property reads as a promise of its value. batchtools' own
 * type, so the public declarations do not expose comlink's (which need DOM typings to check).
 */

/** A method called across threads: the same parameters, a promise of the awaited result. */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** `T` as seen from another thread: methods return promises, other properties are promises of their values. */
export type Remote<T> = (T extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : unknown) & {
  readonly [K in keyof T]: T[K] extends (...args: never[]) => unknown ? RemoteMethod<T[K]> : Promise<Awaited<T[K]>>;
};
