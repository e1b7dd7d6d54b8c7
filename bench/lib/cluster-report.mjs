/** Markdown of the cluster benchmark (bench/results/cluster.md) and the paper estimate (bench/cluster-estimate.md). */

/** The Redis CPU per job the producer assumes when it sizes jobs for a fleet (src/cluster/producer.ts). */
const PRODUCER_MS_PER_JOB = 1;

const f = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

/** @param {any} r */
function machineLine(r) {
  const m = r.machine ?? {};
  const cpu = m.cpu ? `${m.cpu.brand}, ${m.cpu.physicalCores} cores / ${m.cpu.logicalCores} threads` : 'unknown CPU';
  return `${cpu}; Node ${process.version}; ${r.date}`;
}

/** @param {any} r */
export function renderClusterMarkdown(r) {
  const lines = [
    '# Cluster benchmark',
    '',
    `Machine: ${machineLine(r)}. Repeats: ${r.repeats} (interleaved; medians). Command: \`npm run bench:cluster${r.quick ? ' -- --quick' : ''}\`.`,
    `Load average (1, 5, 15 min) at the start: ${(r.loadAverage ?? []).map((x) => x.toFixed(2)).join(' ') || 'n/a'}; at the end: ${(r.loadAverageEnd ?? []).map((x) => x.toFixed(2)).join(' ') || 'n/a'} (on 2 cores, anything above ~0.5 makes these figures noise).`,
    '',
    'Producer + 2 `batchtools worker` processes of 1 thread each, one private redis-server on loopback, against the',
    'local runtime with 2 threads, on the same items (integer mixing calibrated to the stated cost).',
    '',
    'Throughput ratio = median local time / median cluster time; "paired" is the median of the ratios of each',
    'back-to-back pair (the order alternates between repeats).',
    '',
    '| item cost | items | jobs per run | local ms (median) | cluster ms (median) | throughput ratio | paired | load (1 min) per repeat | target |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const t of r.throughput ?? []) {
    const target = t.us >= 1000 ? '≥ 0.90' : '≥ 0.75';
    const loads = t.repeats.map((x) => f(x.load1, 2)).join(', ');
    lines.push(`| ~${t.us} µs | ${t.items} | ${t.jobsPerRun} | ${f(t.localMs, 0)} | ${f(t.clusterMs, 0)} | ${f(t.ratio, 3)} | ${f(t.pairedRatio, 3)} | ${loads} | ${target} |`);
  }
  const withCpu = (r.throughput ?? []).filter((t) => t.cpuUsPerItem);
  if (withCpu.length > 0) {
    lines.push(
      '',
      'CPU per item (µs, medians; all threads of each process): on 2 shared cores throughput follows total CPU, so',
      '"CPU ratio" = local / (producer + workers + Redis) is a check on the wall-time ratio that other load does not skew.',
      '',
      '| item cost | local process | producer | 2 workers | Redis | CPU ratio |',
      '|---|---|---|---|---|---|',
    );
    for (const t of withCpu) {
      const c = t.cpuUsPerItem;
      const total = c.workers === null ? null : c.producer + c.workers + c.redis;
      lines.push(`| ~${t.us} µs | ${f(c.local)} | ${f(c.producer)} | ${c.workers === null ? 'n/a' : f(c.workers)} | ${f(c.redis)} | ${total === null ? 'n/a' : f(c.local / total, 3)} |`);
    }
  }
  const o = r.overhead;
  if (o) {
    lines.push(
      '',
      `Per-job overhead (${o.jobs} one-item jobs of ~0 work, 2 workers): round trip median ${f(o.roundTripMedianMs)} ms;`,
      `round trip minus in-worker time: median ${f(o.overheadMedianMs)} ms, p90 ${f(o.overheadP90Ms)} ms; ${f(o.jobsPerSecond, 0)} jobs/s;`,
      `Redis CPU ${f(o.redisCpuMsPerJob, 3)} ms per job (all commands of a job: add, fetch, lock, reply, finish, registry).`,
    );
  }
  if (r.recovery?.length) {
    lines.push('', 'Recovery of a worker killed with `kill -9` while holding jobs (4,000 items of ~1 ms, 2 workers):', '',
      '| locks | kill → job back in the queue (ms) | kill → run complete (ms) |', '|---|---|---|');
    for (const x of r.recovery) lines.push(`| ${x.lock} | ${f(x.stalledAfterMs, 0)} | ${f(x.runEndedAfterMs, 0)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** @param {any} r */
export function renderEstimate(r) {
  const c = r.overhead?.redisCpuMsPerJob ?? 1;
  const rows = [];
  for (const machines of [10, 100]) {
    for (const threads of [8, 32]) {
      const fleet = machines * threads;
      // Each thread finishes one job per S CPU-seconds of work: fleet jobs/s = fleet / S; Redis share = jobs/s × c.
      const minS = (fleet * c) / 1000 / 0.1;
      const atDefault = (fleet / 2) * (c / 1000);
      // The producer assumes 1 ms of Redis CPU per job (PRODUCER_MS_PER_JOB).
      const picks = Math.max(0.2, (fleet * PRODUCER_MS_PER_JOB) / 1000 / 0.1);
      rows.push(`| ${machines} | ${threads} | ${fleet} | ${f(fleet / 2, 0)} | ${f(atDefault * 100, 1)} % | ${f(minS, 2)} s | ${f(picks, 2)} s |`);
    }
  }
  return `# Paper estimate: 10 and 100 machines on one Redis

Measured here (\`npm run bench:cluster\`, ${machineLine(r)}): one chunk job costs Redis **${f(c, 3)} ms of CPU**
(BullMQ's add, fetch-and-lock, lock renewal and finish scripts plus ours: the run's liveness check, the reply push,
the producer's pop, the worker's registry writes), and a job's round trip adds **${f(r.overhead?.overheadMedianMs)} ms**
to its compute. Redis runs commands on one core, so one Redis serves at most about **${f(1000 / c, 0)} jobs/s** at
100 % of that core (and about a third of that is a sensible ceiling: latency grows long before 100 %).

A fleet of M machines with T threads each keeps M·T threads busy; with S CPU-seconds of work per job it finishes
M·T/S jobs per second, which costs Redis M·T·c/S of CPU. Keeping Redis under 10 % needs **S ≥ 10·M·T·c**. The
producer sizes jobs by time: its lower bound is max(200 ms, 10·M·T·1 ms), assuming 1 ms per job, so its jobs grow
with the fleet it sees (\`info\` lists it); its upper bound is four times that (at least 2 s).

| machines | threads each | fleet threads | jobs/s at 2 s per job | Redis CPU at 2 s per job | S for Redis < 10 % | job size the producer picks (min) |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Bytes: a number item costs ~12 B in a job (V8-serialized, base64) and ~9 B back; a fleet moves its items/s
times that through Redis whatever the job size. At 10 µs items that is ~2 MB/s per thread: 100 machines × 32
threads would need ~6 GB/s, far past one Redis' network, so at that scale tiny items must be batched into heavier
items, or passed by reference (paths, object keys); at 1 ms items it is ~20 KB/s per thread (64 MB/s for 3,200
threads), which one Redis carries. Memory: at most two jobs per fleet thread are in flight, so Redis holds about
2·M·T job payloads (6,400 at 100 × 32).

Beyond one Redis: separate queues (\`--queue\`) on separate Redis servers split a fleet; Redis Cluster is not
needed for a job queue of this rate.
`;
}
