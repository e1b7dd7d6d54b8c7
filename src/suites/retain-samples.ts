/**
 * Make tinybench keep its samples. tinybench 6 drops a task's samples after computing its statistics unless
 * `retainSamples` is set, and each task reads that flag when it is added, i.e. while the suite module is imported.
 * So, in the suite's own worker and before importing the suite, the runner wraps `Bench.prototype.add` of the
 * tinybench copy the suite will import so that every task is added with `retainSamples: true` unless the task
 * itself says otherwise. This changes nothing that is measured: tinybench collects the samples either way.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const patched = Symbol.for('batchtools.suites.retainSamples');

/**
 * Patch the tinybench that `suiteUrl` resolves. Best effort: returns false when tinybench cannot be found from
 * there or does not look like tinybench 6 (the statistics are exact without samples; only the samples are missing).
 */
export async function retainSamplesFor(suiteUrl: string): Promise<boolean> {
  try {
    const resolved = createRequire(fileURLToPath(suiteUrl)).resolve('tinybench');
    const mod = (await import(pathToFileURL(resolved).href)) as { Bench?: { prototype?: Record<PropertyKey, unknown> } };
    const proto = mod.Bench?.prototype;
    const add = proto?.['add'];
    if (!proto || typeof add !== 'function') return false;
    if (proto[patched] === true) return true;
    proto['add'] = function addRetainingSamples(this: unknown, name: unknown, fn: unknown, fnOpts?: Record<string, unknown>) {
      return (add as (...args: unknown[]) => unknown).call(this, name, fn, { retainSamples: true, ...fnOpts });
    };
    proto[patched] = true;
    return true;
  } catch {
    return false;
  }
}
