/**
 * cgroup limits (CPU quota, memory limit and usage), read synchronously from a filesystem root so tests can point
 * the reader at fake trees. Every read is tolerant: a missing or unreadable file is "unknown", never an error.
 *
 * Where the files are: `/proc/self/mountinfo` names the cgroup mounts (and the part of the hierarchy each mount
 * shows, which containers hide); without it the conventional `/sys/fs/cgroup` paths are used. The cgroup path of
 * this process comes from `/proc/self/cgroup`; when that directory is not visible under the mount (a container
 * without a cgroup namespace), the mount root itself is read. Limits are hierarchical, so every level from the
 * leaf up to the mount root is read and the tightest wins.
 */
import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, posix } from 'node:path';

/** What {@link readCgroupLimits} found. */
export interface CgroupLimits {
  /** cgroup version in use for CPU and memory: 2 (unified), 1 (legacy or hybrid), or null when none was found. */
  version: 1 | 2 | null;
  /** CPU quota as a fractional CPU count (quota / period, the minimum up the hierarchy, not rounded); null = none. */
  cpuQuota: number | null;
  /** Memory limit in bytes of the level with the least headroom; null when unlimited or unknown. */
  memoryLimitBytes: number | null;
  /** Memory in use in bytes at that same level (the leaf when nothing is limited); null when unknown. */
  memoryUsageBytes: number | null;
  /**
   * The file each figure came from, as a path on the machine (without the test root): keys `version`,
   * `cpuQuota`, `memoryLimitBytes`, `memoryUsageBytes`; a key is absent when its figure is null.
   */
  sources: Record<string, string>;
}

/** Options of {@link readCgroupLimits}. */
export interface CgroupReadOptions {
  /** Filesystem root that `/proc` and `/sys` are read under. Default `/` (the real machine). */
  root?: string | undefined;
  /** Total RAM in bytes; a memory limit at or above it never binds and counts as unlimited. Default `os.totalmem()`. */
  totalMemoryBytes?: number | undefined;
}

/** One line of `/proc/self/cgroup`: `hierarchy-id:controller-list:path`. */
export interface ProcCgroupEntry {
  /** Hierarchy id; 0 is the cgroup v2 (unified) line. */
  hierarchyId: number;
  /** Controllers bound to the hierarchy (`['cpu', 'cpuacct']`); empty for the v2 line. */
  controllers: string[];
  /** cgroup path of this process inside the hierarchy, e.g. `/user.slice/app.scope`. */
  path: string;
}

interface CgroupMount {
  fsType: 'cgroup' | 'cgroup2';
  /** The part of the hierarchy the mount shows (`/` on a host, the container's cgroup without a namespace). */
  root: string;
  mountPoint: string;
  superOptions: string[];
}

interface Found {
  value: number;
  file: string;
}

const V2_DEFAULT_MOUNT = '/sys/fs/cgroup';
const V1_FALLBACK_MOUNTS: Record<'cpu' | 'memory', string[]> = {
  cpu: ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuacct,cpu', '/sys/fs/cgroup/cpu'],
  memory: ['/sys/fs/cgroup/memory'],
};

/** Parses the text of `/proc/self/cgroup` (v1, v2 and hybrid lines); malformed lines are skipped. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, id = '', controllers = '', path = ''] = match;
    entries.push({
      hierarchyId: Number(id),
      controllers: controllers === '' ? [] : controllers.split(','),
      path: path === '' ? '/' : path,
    });
  }
  return entries;
}

/**
 * Reads the cgroup CPU quota and memory limit/usage of this process. Synchronous, cheap (a few small files) and
 * never throws. Detection: cgroup v2 when `/proc/self/cgroup` has a `0::/path` line, the v2 mount has
 * `cgroup.controllers`, and no v1 hierarchy holds the cpu or memory controller (hybrid hosts use v1 for those);
 * otherwise v1 when a v1 line names cpu or memory; otherwise `version: null`.
 *
 * v2: `cpu.max` (`max 100000` = unlimited, else `<quota> <period>`), `memory.max` / `memory.high` (`max` =
 * unlimited), `memory.current`. v1: `cpu.cfs_quota_us` (-1 = unlimited) / `cpu.cfs_period_us`,
 * `memory.limit_in_bytes` (the "unlimited" value is a huge number: anything >= total RAM counts as unlimited),
 * `memory.usage_in_bytes`. CPU: the minimum quota/period over all levels. Memory: the level with the least
 * headroom (limit - usage) gives both the limit and the usage, so a parent limit shared with siblings is judged by
 * the parent's usage.
 *
 * @param options `root` (default `/`) and `totalMemoryBytes` (default `os.totalmem()`).
 */
export function readCgroupLimits(options: CgroupReadOptions = {}): CgroupLimits {
  const root = options.root ?? '/';
  const total = options.totalMemoryBytes ?? totalmem();
  const none: CgroupLimits = {
    version: null,
    cpuQuota: null,
    memoryLimitBytes: null,
    memoryUsageBytes: null,
    sources: {},
  };
  const procText = readText(root, '/proc/self/cgroup');
  if (procText === null) return none;
  const entries = parseProcCgroup(procText);
  const mounts = parseMountinfo(readText(root, '/proc/self/mountinfo') ?? '');
  const v1Entry = (controller: string): ProcCgroupEntry | undefined =>
    entries.find((e) => e.hierarchyId !== 0 && e.controllers.includes(controller));
  const v2Entry = entries.find((e) => e.hierarchyId === 0 && e.controllers.length === 0);

  if (v2Entry !== undefined && v1Entry('cpu') === undefined && v1Entry('memory') === undefined) {
    const v2Mounts = mounts.filter((m) => m.fsType === 'cgroup2');
    const mount = v2Mounts.find((m) => m.mountPoint === V2_DEFAULT_MOUNT) ??
      v2Mounts[0] ?? { fsType: 'cgroup2', root: '/', mountPoint: V2_DEFAULT_MOUNT, superOptions: [] };
    if (readText(root, posix.join(mount.mountPoint, 'cgroup.controllers')) !== null) {
      const dirs = levels(root, mount, v2Entry.path);
      const cpu = minOver(dirs, (dir) => parseCpuMax(root, dir));
      const memory = tightestMemory(root, dirs, ['memory.max', 'memory.high'], 'memory.current', total);
      return result(2, cpu, memory);
    }
  }

  const cpuEntry = v1Entry('cpu');
  const memoryEntry = v1Entry('memory');
  if (cpuEntry === undefined && memoryEntry === undefined) return none;
  const cpuMount = cpuEntry && v1Mount(root, mounts, 'cpu');
  const memoryMount = memoryEntry && v1Mount(root, mounts, 'memory');
  const cpu =
    cpuEntry && cpuMount ? minOver(levels(root, cpuMount, cpuEntry.path), (dir) => parseCfs(root, dir)) : null;
  const memoryDirs = memoryEntry && memoryMount ? levels(root, memoryMount, memoryEntry.path) : [];
  const memory = tightestMemory(root, memoryDirs, ['memory.limit_in_bytes'], 'memory.usage_in_bytes', total);
  return result(1, cpu, memory);
}

function result(version: 1 | 2, cpu: Found | null, memory: { limit: Found | null; usage: Found | null }): CgroupLimits {
  const sources: Record<string, string> = { version: '/proc/self/cgroup' };
  if (cpu) sources['cpuQuota'] = cpu.file;
  if (memory.limit) sources['memoryLimitBytes'] = memory.limit.file;
  if (memory.usage) sources['memoryUsageBytes'] = memory.usage.file;
  return {
    version,
    cpuQuota: cpu?.value ?? null,
    memoryLimitBytes: memory.limit?.value ?? null,
    memoryUsageBytes: memory.usage?.value ?? null,
    sources,
  };
}

/** The v1 mount holding `controller`: from mountinfo, else the first conventional path that exists. */
function v1Mount(root: string, mounts: CgroupMount[], controller: 'cpu' | 'memory'): CgroupMount | undefined {
  const listed = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
  if (listed !== undefined) return listed;
  const path = V1_FALLBACK_MOUNTS[controller].find((p) => isDirectory(root, p));
  return path === undefined ? undefined : { fsType: 'cgroup', root: '/', mountPoint: path, superOptions: [controller] };
}

/**
 * The directories to read, leaf first, up to the mount point. The leaf is the process's cgroup path made relative
 * to the mount's root; when it is not visible (or escapes the mount), the mount point alone is read.
 */
function levels(root: string, mount: CgroupMount, cgroupPath: string): string[] {
  const mountPoint = posix.normalize(mount.mountPoint).replace(/(.)\/$/, '$1');
  let relative = cgroupPath;
  if (mount.root !== '/' && (cgroupPath === mount.root || cgroupPath.startsWith(`${mount.root}/`))) {
    relative = cgroupPath.slice(mount.root.length);
  }
  let leaf = posix.join(mountPoint, relative).replace(/(.)\/$/, '$1');
  const inside = leaf === mountPoint || leaf.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
  if (!inside || !isDirectory(root, leaf)) leaf = mountPoint;
  const dirs = [leaf];
  for (let dir = leaf; dir !== mountPoint && dir.length > mountPoint.length; ) {
    dir = posix.dirname(dir);
    dirs.push(dir);
  }
  return dirs;
}

function minOver(dirs: string[], read: (dir: string) => Found | null): Found | null {
  let best: Found | null = null;
  for (const dir of dirs) {
    const found = read(dir);
    if (found !== null && (best === null || found.value < best.value)) best = found;
  }
  return best;
}

/** v2 `cpu.max`: `max [period]` = unlimited, `<quota> <period>` = quota/period CPUs. */
function parseCpuMax(root: string, dir: string): Found | null {
  const file = posix.join(dir, 'cpu.max');
  const [quota, period = '100000'] = (readText(root, file) ?? '').trim().split(/\s+/);
  const q = parseInteger(quota);
  const p = parseInteger(period);
  return q !== null && p !== null && q > 0 && p > 0 ? { value: q / p, file } : null;
}

/** v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; a negative quota (-1) is unlimited. */
function parseCfs(root: string, dir: string): Found | null {
  const file = posix.join(dir, 'cpu.cfs_quota_us');
  const q = parseInteger(readText(root, file));
  const p = parseInteger(readText(root, posix.join(dir, 'cpu.cfs_period_us')));
  return q !== null && p !== null && q > 0 && p > 0 ? { value: q / p, file } : null;
}

/** Picks the level with the least headroom (limit - usage); without any limit, the leaf's usage. */
function tightestMemory(
  root: string,
  dirs: string[],
  limitFiles: string[],
  usageFile: string,
  total: number,
): { limit: Found | null; usage: Found | null } {
  let best: { limit: Found; usage: Found | null; headroom: number } | null = null;
  let leafUsage: Found | null = null;
  for (const [index, dir] of dirs.entries()) {
    const usagePath = posix.join(dir, usageFile);
    const usageValue = parseInteger(readText(root, usagePath));
    const usage = usageValue === null ? null : { value: usageValue, file: usagePath };
    if (index === 0) leafUsage = usage;
    const limit = minOver(
      limitFiles.map((name) => posix.join(dir, name)),
      (file) => {
        const value = parseInteger(readText(root, file));
        return value !== null && value < total ? { value, file } : null;
      },
    );
    if (limit === null) continue;
    const headroom = limit.value - (usage?.value ?? 0);
    if (best === null || headroom < best.headroom) best = { limit, usage, headroom };
  }
  return best === null ? { limit: null, usage: leafUsage } : { limit: best.limit, usage: best.usage };
}

function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) continue;
    const fields = before.split(' ');
    const [fsType, , superOptions = ''] = after.split(' ');
    const mountRoot = fields[3];
    const mountPoint = fields[4];
    if ((fsType !== 'cgroup' && fsType !== 'cgroup2') || mountRoot === undefined || mountPoint === undefined) continue;
    mounts.push({
      fsType,
      root: unescapeMount(mountRoot),
      mountPoint: unescapeMount(mountPoint),
      superOptions: superOptions.split(','),
    });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal (`\040`). */
function unescapeMount(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function parseInteger(text: string | null | undefined): number | null {
  const trimmed = text?.trim();
  return trimmed !== undefined && /^-?\d+$/.test(trimmed) ? Number(trimmed) : null;
}

function readText(root: string, path: string): string | null {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return null;
  }
}

function isDirectory(root: string, path: string): boolean {
  try {
    return statSync(join(root, path), { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}
