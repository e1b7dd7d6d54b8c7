/**
 * The machine probe: what the process may use (CPUs, memory, cgroup limits), as plain numbers for the planner.
 *
 * {@link probeMachine} is synchronous and cheap (os calls and a few small cgroup files), so the first plan never
 * waits. {@link refineProbe} adds the figures that need `systeminformation` (physical cores spawn `lscpu`), read
 * lazily and once per process.
 */
import { availableParallelism, freemem, totalmem } from 'node:os';
import { cpuFacts, memoryFacts } from '../base/machine.ts';
import { readCgroupLimits, type CgroupLimits } from './cgroup.ts';
import type { MachineProbe, ProbeSources } from './types.ts';

/** The synchronous readers {@link probeMachine} uses; inject any of them in tests. */
export interface ProbeReaders {
  /** Logical CPUs this process may use. Default `os.availableParallelism()`. */
  availableParallelism: () => number;
  /** Total RAM in bytes. Default `os.totalmem()`. */
  totalmem: () => number;
  /** Available RAM in bytes. Default `os.freemem()` (libuv reads `MemAvailable` on Linux, not `MemFree`). */
  freemem: () => number;
  /** The memory constraint Node sees. Default `process.constrainedMemory()`. */
  constrainedMemory: () => number | undefined;
  /** cgroup limits. Default {@link readCgroupLimits} under `options.root`. */
  cgroup: (totalMemoryBytes: number) => CgroupLimits;
}

/** Options of {@link probeMachine}. */
export interface ProbeOptions {
  /** Filesystem root for the cgroup reader. Default `/`. */
  root?: string | undefined;
  /** Replacements for the default readers (tests). Default: none, the real machine. */
  readers?: Partial<ProbeReaders> | undefined;
}

/** The asynchronous readers {@link refineProbe} uses; inject them in tests. */
export interface RefineReaders {
  /** Physical cores. Default `(await si.cpu()).physicalCores`. */
  physicalCores: () => Promise<number>;
  /** Available memory in bytes. Default `(await si.mem()).available`. */
  availableMemory: () => Promise<number>;
}

/** Options of {@link refineProbe}. */
export interface RefineOptions {
  /**
   * Replacements for the `systeminformation` readers. Default: none. When any is given the readings are taken
   * afresh and not cached; the default readings are taken once per process and shared.
   */
  readers?: Partial<RefineReaders> | undefined;
  /** Give up waiting for the readers after this many milliseconds and keep the sync figures. Default 5000. */
  timeoutMs?: number | undefined;
}

/** Default for {@link RefineOptions.timeoutMs}: lscpu answers in well under a second; a hung one must not hang us. */
const REFINE_TIMEOUT_MS = 5_000;

interface Refinement {
  physicalCores: number | null;
  availableMemoryBytes: number | null;
}

/**
 * Probes the machine synchronously: logical CPUs, total and available memory, cgroup CPU quota and memory
 * limit/usage, and `process.constrainedMemory()`. `physicalCores` is null until {@link refineProbe}. Never throws
 * for a missing cgroup file; every figure is named in `sources`.
 *
 * `process.constrainedMemory()` returns about 2^64 when nothing constrains the process: any value >= total memory
 * (or 0 / undefined) is reported as null.
 *
 * @param options `root` (default `/`) and injected `readers` (default: the real machine).
 */
export function probeMachine(options: ProbeOptions = {}): MachineProbe {
  const readers = options.readers ?? {};
  const root = options.root ?? '/';
  const logicalCpus = Math.max(1, Math.floor((readers.availableParallelism ?? availableParallelism)()));
  const totalMemoryBytes = (readers.totalmem ?? totalmem)();
  const availableMemoryBytes = (readers.freemem ?? freemem)();
  const constrained = (readers.constrainedMemory ?? defaultConstrainedMemory)();
  const readCgroup = readers.cgroup ?? ((total: number) => readCgroupLimits({ root, totalMemoryBytes: total }));
  const cgroup = readCgroup(totalMemoryBytes);

  const constrainedMemoryBytes =
    typeof constrained === 'number' && Number.isFinite(constrained) && constrained > 0 && constrained < totalMemoryBytes
      ? constrained
      : null;

  const sources: ProbeSources = {
    logicalCpus: 'os.availableParallelism()',
    totalMemoryBytes: 'os.totalmem()',
    availableMemoryBytes: 'os.freemem()',
  };
  const version = cgroup.version;
  if (version !== null) sources.cgroupVersion = cgroup.sources['version'] ?? '/proc/self/cgroup';
  const cgroupSource = (key: string): string | undefined => {
    const file = cgroup.sources[key];
    return file === undefined ? undefined : `cgroup v${version ?? '?'} ${describeFile(file)}`;
  };
  assignDefined(sources, 'cgroupCpuQuota', cgroupSource('cpuQuota'));
  assignDefined(sources, 'cgroupMemoryLimitBytes', cgroupSource('memoryLimitBytes'));
  assignDefined(sources, 'cgroupMemoryUsageBytes', cgroupSource('memoryUsageBytes'));
  if (constrainedMemoryBytes !== null) sources.constrainedMemoryBytes = 'process.constrainedMemory()';

  return {
    logicalCpus,
    physicalCores: null,
    cgroupCpuQuota: cgroup.cpuQuota,
    cgroupVersion: version,
    totalMemoryBytes,
    availableMemoryBytes,
    cgroupMemoryLimitBytes: cgroup.memoryLimitBytes,
    cgroupMemoryUsageBytes: cgroup.memoryUsageBytes,
    constrainedMemoryBytes,
    sources,
  };
}

/**
 * Returns a copy of `probe` with `physicalCores` (`si.cpu().physicalCores`) and `availableMemoryBytes`
 * (`si.mem().available`) filled in. The default readings come from the one cached systeminformation reader
 * (base/machine.ts): taken once per process, on first call. Never rejects: a reading that
 * fails, is not a positive number, or takes longer than `timeoutMs` (default 5000) leaves the sync figure.
 *
 * @param probe A probe from {@link probeMachine} (not modified).
 * @param options Injected `readers` (uncached) and `timeoutMs`.
 */
export async function refineProbe(probe: MachineProbe, options: RefineOptions = {}): Promise<MachineProbe> {
  const timeoutMs = options.timeoutMs ?? REFINE_TIMEOUT_MS;
  const refinement = await readRefinement(options.readers ?? {}, timeoutMs);
  const sources: ProbeSources = { ...probe.sources };
  const refined: MachineProbe = { ...probe, sources };
  if (refinement.physicalCores !== null) {
    refined.physicalCores = refinement.physicalCores;
    sources.physicalCores = 'systeminformation cpu().physicalCores';
  }
  if (refinement.availableMemoryBytes !== null) {
    refined.availableMemoryBytes = refinement.availableMemoryBytes;
    sources.availableMemoryBytes = 'systeminformation mem().available';
  }
  return refined;
}

async function readRefinement(readers: Partial<RefineReaders>, timeoutMs: number): Promise<Refinement> {
  // The default readers share the one cached systeminformation reading (base/machine.ts).
  const physical = readers.physicalCores ?? (async () => (await cpuFacts())?.physicalCores ?? Number.NaN);
  const available = readers.availableMemory ?? (async () => (await memoryFacts())?.availableBytes ?? Number.NaN);
  const [cores, memory] = await Promise.all([withTimeout(physical, timeoutMs), withTimeout(available, timeoutMs)]);
  return {
    physicalCores: cores !== null && Number.isInteger(cores) && cores > 0 ? cores : null,
    availableMemoryBytes: memory !== null && Number.isFinite(memory) && memory > 0 ? memory : null,
  };
}

/** Runs `read`, resolving null on any failure or after `ms` (the timer is unref'd: it never keeps the process up). */
function withTimeout(read: () => Promise<number>, ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    timer.unref();
    const settle = (value: number | null): void => {
      clearTimeout(timer);
      resolve(value);
    };
    try {
      read().then((value) => settle(typeof value === 'number' ? value : null), () => settle(null));
    } catch {
      settle(null);
    }
  });
}

function defaultConstrainedMemory(): number | undefined {
  // Typed as always present on Node 20 typings, but absent before 19.6: call it only when it exists.
  const fn = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory;
  return typeof fn === 'function' ? fn.call(process) : undefined;
}

/** `/sys/fs/cgroup/a/b/cpu.max` -> `cpu.max (/sys/fs/cgroup/a/b)`. */
function describeFile(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash <= 0 ? file : `${file.slice(slash + 1)} (${file.slice(0, slash)})`;
}

function assignDefined(sources: ProbeSources, key: keyof ProbeSources, value: string | undefined): void {
  if (value !== undefined) sources[key] = value;
}
