#!/usr/bin/env node
/**
 * The cluster benchmark: `npm run bench:cluster [-- --repeats N --quick]`.
 *
 * On this machine, with a private redis-server: a producer plus 2 `batchtools worker` processes of 1 thread each,
 * against the local runtime with 2 threads, on ~1 ms and ~10 µs items (ratio of throughputs, median of
 * interleaved repeats); the per-job overhead (round trip minus in-worker time of one-item jobs) and Redis CPU per
 * job; the time to recover a killed worker's jobs, with the default locks and with short ones. Writes
 * bench/results/cluster.json and .md (with the machine's description) and bench/cluster-estimate.md (10 and 100
 * machines, from the measured Redis cost per job).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { QueueEvents } from 'bullmq';
import { describeMachine } from './lib/machine.mjs';
import { gc, median, waitQuiet } from './lib/measure.mjs';
import { startBenchRedis } from './lib/redis.mjs';
import { calibrate, encode, work } from './workloads.mjs';
import { renderClusterMarkdown, renderEstimate } from './lib/cluster-report.mjs';

const args = Object.fromEntries(process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]?.startsWith('--') ? '' : (all[i + 1] ?? '')]] : [])));
const quick = 'quick' in args;
const repeats = Number(args.repeats || (quick ? 1 : 5));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url));

const { createRuntime, defineTask } = await import('../dist/src/index.js');
const cluster = await import('../dist/src/cluster/index.js');
const task = defineTask(new URL('./isolation-task.mjs', import.meta.url), 'run');
const cal = calibrate();
const itemsOf = (us, n) => Array.from({ length: n }, (_, i) => encode(Math.max(1, Math.round((us * 1000) / cal.nsPerIter)), 0, i & 4095));

const redis = await startBenchRedis();
const probe = new Redis(redis.url, { maxRetriesPerRequest: 3 });
/** @type {Set<import('node:child_process').ChildProcess>} */
const workers = new Set();

/** Start a worker process; resolves once it is registered. */
async function startWorker(queue, extra = []) {
  const child = spawn(process.execPath, [BIN, 'worker', '--connection', redis.url, '--queue', queue, '--threads', '1', '--quiet', ...extra], { cwd: ROOT, stdio: 'inherit' });
  workers.add(child);
  child.on('exit', () => workers.delete(child));
  for (;;) {
    const info = await cluster.readClusterInfo(cluster.parseRedisUrl(redis.url), queue);
    if (info.workers.some((w) => w.pid === child.pid)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopWorkers() {
  const all = [...workers];
  for (const w of all) w.kill('SIGTERM');
  await Promise.all(all.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : null)));
}

/** CPU time of a process so far, ms (Linux /proc; null elsewhere). */
const processCpu = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
};
const workersCpu = () => {
  const each = [...workers].map((w) => processCpu(w.pid));
  return each.some((x) => x === null) ? null : each.reduce((a, b) => a + b, 0);
};
const ownCpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const redisCpu = async () => {
  const info = await probe.info('cpu');
  const f = (k) => Number(new RegExp(`^${k}:(.*)$`, 'm').exec(info)?.[1] ?? 0);
  return (f('used_cpu_sys') + f('used_cpu_user')) * 1000;
};

/** Throughput: local 2 threads vs producer + 2 workers of 1 thread, interleaved per repeat. */
async function throughput(queue, us, n) {
  const items = itemsOf(us, n);
  const expected = items.map((x) => work(x));
  const local = createRuntime({ threads: 2 });
  const remote = cluster.createRuntime({ cluster: { connection: redis.url, queue } });
  await local.map(items.slice(0, 2000), task);
  await remote.map(items.slice(0, 2000), task);
  const rows = [];
  for (let r = 0; r < repeats; r++) {
    const row = { load1: loadavg()[0] };
    for (const [name, rt] of r % 2 === 0 ? [['local', local], ['cluster', remote]] : [['cluster', remote], ['local', local]]) {
      await waitQuiet(0.25, 3000);
      gc();
      const cpu0 = await redisCpu();
      const [own0, workers0] = [ownCpu(), workersCpu()];
      const t0 = performance.now();
      let jobs = 0;
      const out = await rt.map(items, task, { onTrace: (t) => (jobs = t.chunks.length) });
      row[`${name}Ms`] = performance.now() - t0;
      // CPU per item, µs: this process (for local: main thread and its 2 worker threads), the worker processes, Redis.
      const [own1, workers1] = [ownCpu(), workersCpu()];
      row[`${name}CpuUsPerItem`] = ((own1 - own0) * 1000) / n;
      if (name === 'cluster') {
        const redisMs = (await redisCpu()) - cpu0;
        Object.assign(row, {
          jobs,
          redisCpuMs: redisMs,
          workersCpuUsPerItem: workers0 === null || workers1 === null ? null : ((workers1 - workers0) * 1000) / n,
          redisCpuUsPerItem: (redisMs * 1000) / n,
        });
      }
      if (out.length !== n || out.some((v, i) => v !== expected[i])) throw new Error(`${name}: wrong results at ${us} µs`);
    }
    row.ratio = row.localMs / row.clusterMs;
    rows.push(row);
    const cpu = `cpu µs/item: local ${row.localCpuUsPerItem.toFixed(2)}; producer ${row.clusterCpuUsPerItem.toFixed(2)}, workers ${row.workersCpuUsPerItem?.toFixed(2) ?? 'n/a'}, redis ${row.redisCpuUsPerItem.toFixed(2)}`;
    console.log(`  ${us} µs × ${n}: local ${row.localMs.toFixed(0)} ms, cluster ${row.clusterMs.toFixed(0)} ms (${row.jobs} jobs), ratio ${row.ratio.toFixed(3)}, load ${row.load1.toFixed(2)}; ${cpu}`);
  }
  await local.close();
  await remote.close();
  const localMs = median(rows.map((x) => x.localMs));
  const clusterMs = median(rows.map((x) => x.clusterMs));
  return {
    us,
    items: n,
    repeats: rows,
    localMs,
    clusterMs,
    // The throughput ratio: median local time over median cluster time (the same items both ways).
    ratio: localMs / clusterMs,
    // The median of the per-repeat ratios (each pair ran back to back), as a check on the one above.
    pairedRatio: median(rows.map((x) => x.ratio)),
    jobsPerRun: median(rows.map((x) => x.jobs)),
    // CPU per item (µs, medians): the local run's process, and the cluster's producer, workers and Redis. On 2
    // shared cores, throughput follows total CPU: local / (producer + workers + Redis) is a load-proof ratio.
    cpuUsPerItem: {
      local: median(rows.map((x) => x.localCpuUsPerItem)),
      producer: median(rows.map((x) => x.clusterCpuUsPerItem)),
      workers: rows.some((x) => x.workersCpuUsPerItem === null) ? null : median(rows.map((x) => x.workersCpuUsPerItem)),
      redis: median(rows.map((x) => x.redisCpuUsPerItem)),
    },
  };
}

/** Per-job overhead: one-item jobs of ~0 work; round trip minus in-worker time, and Redis CPU per job. */
async function overhead(queue, n) {
  const rt = cluster.createRuntime({ cluster: { connection: redis.url, queue } });
  const items = itemsOf(1, n);
  await rt.map(items.slice(0, 50), task, { chunkSize: 1 });
  await waitQuiet(0.25, 3000);
  const cpu0 = await redisCpu();
  const t0 = performance.now();
  let chunks = [];
  await rt.map(items, task, { chunkSize: 1, onTrace: (t) => (chunks = t.chunks) });
  const ms = performance.now() - t0;
  const cpuMs = (await redisCpu()) - cpu0;
  await rt.close();
  const gaps = chunks.map((c) => c.roundTripMs - c.runMs).sort((a, b) => a - b);
  return {
    jobs: n,
    jobsPerSecond: (n * 1000) / ms,
    roundTripMedianMs: median(chunks.map((c) => c.roundTripMs)),
    overheadMedianMs: median(gaps),
    overheadP90Ms: gaps[Math.floor(gaps.length * 0.9)],
    redisCpuMsPerJob: cpuMs / n,
  };
}

/** Kill -9 a worker holding jobs; time until its job is back in the queue (stalled) and until the run ends. */
async function recovery(queue, lockArgs) {
  await stopWorkers();
  await startWorker(queue, lockArgs);
  const victimless = await startWorker(queue, lockArgs);
  const eventsConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queue, { connection: eventsConnection, prefix: 'bt' });
  await events.waitUntilReady();
  let stalledAt = null;
  events.on('stalled', () => (stalledAt ??= performance.now()));
  const rt = cluster.createRuntime({ cluster: { connection: redis.url, queue } });
  const items = itemsOf(1000, 4000);
  const run = rt.map(items, task);
  let victim;
  for (;;) {
    const info = await cluster.readClusterInfo(cluster.parseRedisUrl(redis.url), queue);
    victim = info.workers.find((w) => w.active > 0 && w.jobs > 3 && w.pid !== victimless.pid);
    if (victim) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const killedAt = performance.now();
  process.kill(victim.pid, 'SIGKILL');
  const out = await run;
  const endedAt = performance.now();
  await rt.close();
  await events.close();
  eventsConnection.disconnect();
  if (out.length !== items.length) throw new Error('recovery: items lost');
  return { lock: lockArgs.join(' ') || 'defaults (--lock-ms 5000, stall = lock / 2)', stalledAfterMs: stalledAt === null ? null : stalledAt - killedAt, runEndedAfterMs: endedAt - killedAt };
}

const result = { date: new Date().toISOString(), machine: await describeMachine(), calibration: cal, repeats, quick, loadAverage: loadavg() };
try {
  const queue = 'bench';
  await startWorker(queue);
  await startWorker(queue);
  console.log('throughput (2 workers × 1 thread vs local 2 threads):');
  result.throughput = [await throughput(queue, 1000, quick ? 2000 : 6000), await throughput(queue, 10, quick ? 60_000 : 300_000)];
  console.log('per-job overhead:');
  result.overhead = await overhead(queue, quick ? 300 : 2000);
  console.log(' ', JSON.stringify(result.overhead));
  console.log('recovery of a killed worker:');
  result.recovery = [];
  for (const lock of [[], ['--lock-ms', '1000', '--stall-ms', '500']]) {
    result.recovery.push(await recovery(`rec${result.recovery.length}`, lock));
    console.log(' ', JSON.stringify(result.recovery.at(-1)));
  }
} finally {
  await stopWorkers();
  probe.disconnect();
  await redis.stop();
}
result.loadAverageEnd = loadavg();
console.log('');
console.log(`summary (medians of ${repeats} repeat${repeats === 1 ? '' : 's'}; load average ${result.loadAverage.map((x) => x.toFixed(2)).join(' ')} at the start, ${result.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')} at the end, ${cpus().length} cores):`);
for (const t of result.throughput ?? []) {
  const target = t.us >= 1000 ? 0.9 : 0.75;
  console.log(
    `  ~${t.us} µs items: cluster/local throughput ${t.ratio.toFixed(3)} (local ${t.localMs.toFixed(0)} ms, cluster ${t.clusterMs.toFixed(0)} ms; ` +
      `paired ${t.pairedRatio.toFixed(3)}; target >= ${target}: ${t.ratio >= target ? 'met' : 'NOT met'})`,
  );
  const c = t.cpuUsPerItem;
  if (c?.workers !== null && c?.workers !== undefined) {
    console.log(`    CPU per item: local ${c.local.toFixed(2)} µs; cluster ${(c.producer + c.workers + c.redis).toFixed(2)} µs (producer ${c.producer.toFixed(2)}, workers ${c.workers.toFixed(2)}, Redis ${c.redis.toFixed(2)}): CPU ratio ${(c.local / (c.producer + c.workers + c.redis)).toFixed(3)}`);
  }
}
if (result.overhead) console.log(`  per-job overhead ${result.overhead.overheadMedianMs.toFixed(2)} ms (median), Redis CPU ${result.overhead.redisCpuMsPerJob.toFixed(3)} ms per job`);
for (const x of result.recovery ?? []) console.log(`  recovery (${x.lock}): job back after ${x.stalledAfterMs?.toFixed(0)} ms, run done ${x.runEndedAfterMs.toFixed(0)} ms after the kill`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/cluster.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(new URL('./results/cluster.md', import.meta.url), renderClusterMarkdown(result));
writeFileSync(new URL('./cluster-estimate.md', import.meta.url), renderEstimate(result));
console.log('wrote bench/results/cluster.json, cluster.md and bench/cluster-estimate.md');
