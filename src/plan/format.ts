/**
 * Presenting a {@link PoolPlan}: a short text block for `batchtools info` and a plain JSON object for
 * `batchtools info --json`.
 */
import type { PlanFigure, PoolPlan } from './types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** The plan as plain JSON data (`batchtools info --json`). Field names are stable API. */
export interface PlanJson {
  /** Node.js version the plan was made under (`process.version`, e.g. `v20.20.2`). */
  node: string;
  threads: number;
  maxHeapMb: number;
  effectiveCpus: number;
  memoryBudgetBytes: number;
  overridden: { threads: boolean; maxHeapMb: boolean };
  figures: Record<string, { value: number | null; source: string }>;
  reasons: string[];
}

/** Options of {@link planToJson}. */
export interface PlanToJsonOptions {
  /** Node.js version to report. Default `process.version`. */
  node?: string | undefined;
}

/** Human labels of the figures a probe produces; other keys are shown as they are. */
const FIGURE_LABELS: Record<string, string> = {
  logicalCpus: 'logical CPUs',
  physicalCores: 'physical cores',
  cgroupVersion: 'cgroup version',
  cgroupCpuQuota: 'cgroup CPU quota',
  totalMemoryBytes: 'total memory',
  availableMemoryBytes: 'available memory',
  cgroupMemoryLimitBytes: 'cgroup memory limit',
  cgroupMemoryUsageBytes: 'cgroup memory usage',
  constrainedMemoryBytes: 'constrained memory',
  expectedHeapMb: 'expected heap per worker',
};

/**
 * Formats a byte count for people: `100 B` below 1 KiB, `512 KiB` below 1 MiB, whole MiB below 1 GiB
 * (`410 MiB`), else GiB with one decimal (`12.3 GiB`).
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const size = Math.abs(bytes);
  if (size < KiB) return `${bytes} B`;
  if (size < MiB) return `${Math.round(bytes / KiB)} KiB`;
  if (size < GiB) return `${Math.round(bytes / MiB)} MiB`;
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

/** One figure's value for people: bytes as MiB/GiB (keys ending in `Bytes`), MiB with a unit, null as `none`. */
function formatFigureValue(key: string, figure: PlanFigure): string {
  if (figure.value === null) return 'none';
  if (key.endsWith('Bytes')) return formatBytes(figure.value);
  if (key.endsWith('Mb')) return `${figure.value} MiB`;
  return String(Number.isInteger(figure.value) ? figure.value : Number(figure.value.toFixed(2)));
}

/**
 * A short human-readable block: threads, heap per worker, effective CPUs and memory budget; then every figure
 * with its source; then the reasons, one per line. Ends without a trailing newline.
 *
 * @example
 * ```text
 * threads          3
 * heap per worker  2048 MiB
 * effective CPUs   3
 * memory budget    18.6 GiB
 *
 * figures
 *   logical CPUs      8          os.availableParallelism()
 *   cgroup CPU quota  2.5        cgroup v2 cpu.max (/sys/fs/cgroup/a/b)
 *
 * reasons
 *   - 3 threads: cgroup quota 2.5 CPUs rounded up; 8 logical CPUs
 * ```
 */
export function formatPlan(plan: PoolPlan): string {
  const overridden = (flag: boolean): string => (flag ? ' (overridden)' : '');
  const lines = [
    `threads          ${plan.threads}${overridden(plan.overridden.threads)}`,
    `heap per worker  ${plan.maxHeapMb} MiB${overridden(plan.overridden.maxHeapMb)}`,
    `effective CPUs   ${plan.effectiveCpus}`,
    `memory budget    ${formatBytes(plan.memoryBudgetBytes)}`,
  ];
  const rows = Object.entries(plan.figures).map(([key, figure]) => ({
    label: FIGURE_LABELS[key] ?? key,
    value: formatFigureValue(key, figure),
    source: figure.source,
  }));
  if (rows.length > 0) {
    const labelWidth = Math.max(...rows.map((row) => row.label.length));
    const valueWidth = Math.max(...rows.map((row) => row.value.length));
    lines.push('', 'figures');
    for (const row of rows) {
      lines.push(`  ${row.label.padEnd(labelWidth)}  ${row.value.padEnd(valueWidth)}  ${row.source}`);
    }
  }
  if (plan.reasons.length > 0) {
    lines.push('', 'reasons', ...plan.reasons.map((reason) => `  - ${reason}`));
  }
  return lines.join('\n');
}

/**
 * The plan as a plain, JSON-able object with stable field names (`threads`, `maxHeapMb`, `effectiveCpus`,
 * `memoryBudgetBytes`, `overridden`, `figures`, `reasons`, `node`). A copy: changing it leaves the plan alone.
 *
 * @param options `node`: the Node.js version to report (default `process.version`).
 */
export function planToJson(plan: PoolPlan, options: PlanToJsonOptions = {}): PlanJson {
  const figures: PlanJson['figures'] = {};
  for (const [key, figure] of Object.entries(plan.figures)) {
    figures[key] = { value: figure.value, source: figure.source };
  }
  return {
    node: options.node ?? process.version,
    threads: plan.threads,
    maxHeapMb: plan.maxHeapMb,
    effectiveCpus: plan.effectiveCpus,
    memoryBudgetBytes: plan.memoryBudgetBytes,
    overridden: { threads: plan.overridden.threads, maxHeapMb: plan.overridden.maxHeapMb },
    figures,
    reasons: [...plan.reasons],
  };
}
