/**
 * The batch worker's entry as piscina loads it: a CommonJS file, so piscina's `require()` of it is plain CommonJS,
 * never Node's `require()` of an ES module. On Node 20 that path crashed a worker now and then with a V8 fatal error
 * ("v8::Module::IsGraphAsync must be used on an instantiated module", seen once in four runs of the packaging test,
 * from a CommonJS project). The ES module `batch.js` is loaded once, by `import()`, and runs every chunk.
 */
type RunChunk = (message: never) => Promise<unknown>;

let run: RunChunk | undefined;
const loading: Promise<RunChunk> = import('./batch.ts').then((m) => (run = m.default as RunChunk));
// A failed load reaches each chunk through `loading`; this branch only keeps it from being an unhandled rejection.
loading.catch(() => {});

function batch(message: never): Promise<unknown> {
  return run === undefined ? loading.then((f) => f(message)) : run(message);
}

module.exports = batch;
