// Files in, files out: N text files of ~50 KB, read -> CPU transform -> atomic write (temporary file, then rename),
// by rt.pipeline (io stages with bounded concurrency, the transform in the workers) against a hand-written
// Promise.all with a concurrency limit on the main thread (read, transform, write per file). Wall time and the
// peak of open file descriptors (sampled from /proc/self/fd) for both.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { rng } from '../lib/rng.mjs';
import { transformText } from './stages.mjs';

const { createRuntime, defineTask } = await import('../../dist/src/index.js');

const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega'.split(' ');

/** Write `n` files of about `kb` KiB of seeded pseudo-random words. */
export function makeFiles(dir, n, kb) {
  mkdirSync(dir, { recursive: true });
  const r = rng(7);
  for (let f = 0; f < n; f++) {
    const words = [];
    let size = 0;
    while (size < kb * 1024) {
      const w = WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.1 ? String(Math.floor(r() * 100)) : '');
      words.push(w);
      size += w.length + 1;
    }
    writeFileSync(join(dir, `f${String(f).padStart(5, '0')}.txt`), words.join(' '));
  }
  return readdirSync(dir).map((name) => join(dir, name));
}

let tmpCounter = 0;
/** Write atomically: a temporary file in the same directory, then rename over the destination. */
async function writeAtomic(path, text) {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** Sample open file descriptors every millisecond while `run` goes on; the peak above the count before. */
async function withFdPeak(run) {
  const base = readdirSync('/proc/self/fd').length;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, readdirSync('/proc/self/fd').length);
  }, 1);
  try {
    const t0 = performance.now();
    await run();
    return { seconds: (performance.now() - t0) / 1000, fdPeakAboveBase: peak - base };
  } finally {
    clearInterval(timer);
  }
}

export const FILE_WAYS = {
  async pipeline(rt, paths, outDir, concurrency) {
    let written = 0;
    const stages = [
      { io: async (path) => ({ path, text: await readFile(path, 'utf8') }), concurrency, name: 'read' },
      defineTask(new URL('./stages.mjs', import.meta.url), 'transformText'),
      { io: async ({ path, out }) => writeAtomic(join(outDir, basename(path)), out), concurrency, name: 'write' },
    ];
    for await (const r of rt.pipeline(paths, stages, { ordered: false })) {
      if (r.status !== 'fulfilled') throw r.reason;
      written++;
    }
    return written;
  },
  async promiseAll(_rt, paths, outDir, concurrency) {
    let next = 0;
    let written = 0;
    const worker = async () => {
      while (next < paths.length) {
        const path = paths[next++];
        const text = await readFile(path, 'utf8');
        const { out } = transformText({ path, text });
        await writeAtomic(join(outDir, basename(path)), out);
        written++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return written;
  },
};

/** Both ways, interleaved, `repeats` times, over `n` files of `kb` KiB. */
export async function measureFiles({ n, kb, repeats, concurrency }) {
  const root = join(tmpdir(), `bt-bench-files-${process.pid}`);
  const paths = makeFiles(join(root, 'in'), n, kb);
  const rt = createRuntime();
  const rows = Object.fromEntries(Object.keys(FILE_WAYS).map((w) => [w, []]));
  try {
    mkdirSync(join(root, 'warm'), { recursive: true });
    await FILE_WAYS.pipeline(rt, paths.slice(0, 20), join(root, 'warm'), concurrency);
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? Object.keys(FILE_WAYS) : Object.keys(FILE_WAYS).reverse();
      for (const way of order) {
        const outDir = join(root, `out-${way}-${r}`);
        mkdirSync(outDir, { recursive: true });
        let count = 0;
        const m = await withFdPeak(async () => {
          count = await FILE_WAYS[way](rt, paths, outDir, concurrency);
        });
        if (count !== n || readdirSync(outDir).length !== n) throw new Error(`${way} wrote ${count} files of ${n}`);
        rows[way].push(m);
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  } finally {
    await rt.close();
    rmSync(root, { recursive: true, force: true });
  }
  return { rows, threads: rt.plan.threads };
}
