/** What the machine probe found. Every field is a plain number (or null when unknown), so a plan is pure. */
export interface MachineProbe {
  /** `os.availableParallelism()`: logical CPUs this process may use (affinity-aware, not quota-aware on Node 20). */
  logicalCpus: number;
  /** Physical cores from systeminformation, or null when not (yet) known. */
  physicalCores: number | null;
  /** CPU quota in CPUs from cgroup (v2 `cpu.max` minimum up the hierarchy, or v1 cfs quota/period); null when none. */
  cgroupCpuQuota: number | null;
  /** Which cgroup version the quota/memory figures came from; null when no cgroup limits are visible. */
  cgroupVersion: 1 | 2 | null;
  /** Total memory of the machine in bytes (`os.totalmem()`). */
  totalMemoryBytes: number;
  /** Memory available on the machine in bytes (`si.mem().available`, or `os.freemem()` before it is read). */
  availableMemoryBytes: number;
  /** cgroup memory limit in bytes (`memory.max` / `memory.high`, v1 `memory.limit_in_bytes`); null when unlimited. */
  cgroupMemoryLimitBytes: number | null;
  /** cgroup memory in use in bytes (`memory.current`, v1 `memory.usage_in_bytes`); null when unknown. */
  cgroupMemoryUsageBytes: number | null;
  /** `process.constrainedMemory()` when it means something (below total memory), else null. */
  constrainedMemoryBytes: number | null;
  /**
   * Optional: where each figure came from, by field name (e.g. `cgroupCpuQuota: 'cgroup v2 cpu.max
   * (/sys/fs/cgroup/a/b)'`). Plain strings, so a plan stays pure; the planner names a generic source when absent.
   */
  sources?: ProbeSources;
}

/** Names of the {@link MachineProbe} fields that hold figures. */
export type ProbeField = Exclude<keyof MachineProbe, 'sources'>;

/** Where each {@link MachineProbe} figure came from, by field name. */
export type ProbeSources = Partial<Record<ProbeField, string>>;

/** Hints about the workload that change the plan. */
export interface PlanHints {
  /** Requested thread count (an override). */
  threads?: number | undefined;
  /** Requested per-worker heap limit in MiB (an override). */
  maxHeapMb?: number | undefined;
  /** Expected live heap of one worker in MiB, when the caller knows it; used to size the default heap limit. */
  expectedHeapMb?: number | undefined;
}

/** One figure of the plan, with where it came from. */
export interface PlanFigure {
  value: number | null;
  /** Where the figure came from, e.g. `os.availableParallelism()`, `cgroup v2 cpu.max`, `override`. */
  source: string;
}

/** The pool plan: how many threads and how much heap each, and why. */
export interface PoolPlan {
  /** Worker threads to run. */
  threads: number;
  /** Per-worker V8 old-generation limit in MiB (`resourceLimits.maxOldGenerationSizeMb`). */
  maxHeapMb: number;
  /** CPUs the process may really use (min of logical CPUs and the rounded-up quota). */
  effectiveCpus: number;
  /** Memory the pool may use in bytes (a fraction of the tightest of the memory figures). */
  memoryBudgetBytes: number;
  /** True when `threads` / `maxHeapMb` came from an override rather than from the machine. */
  overridden: { threads: boolean; maxHeapMb: boolean };
  /** Every input figure with its source. */
  figures: Record<string, PlanFigure>;
  /** Sentences explaining each choice, for people ("2 threads: 2 logical CPUs; no cgroup CPU quota"). */
  reasons: string[];
}

/** @internal What a pool's workers may be given beyond the plan (the CLI's line workers). */
export interface PoolLimits {
  /**
   * Each worker's young generation, MiB (`resourceLimits.maxYoungGenerationSizeMb`). Default: V8's, from the heap
   * limit (~48 MiB for 2 GiB), which objects that live for a chunk (a map's records and results) need.
   */
  youngGenerationMb?: number | undefined;
}
