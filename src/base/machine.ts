/**
 * Machine facts that need `systeminformation` (physical cores, CPU brand, available memory, OS distribution): the
 * one reader of it. `systeminformation` is imported on first use only, and each reading (CPU, memory, OS) is asked
 * at most once per process (they spawn `lscpu` and friends) and cached: `batchtools info` reads the CPU and memory,
 * a bench document all three, and neither asks twice. Never rejects: a reading that fails is null.
 */

/** The CPU as systeminformation describes it. */
export interface CpuFacts {
  manufacturer: string | null;
  brand: string | null;
  speedGHz: number | null;
  physicalCores: number | null;
}

/** Memory, in bytes. */
export interface MemoryFacts {
  totalBytes: number | null;
  availableBytes: number | null;
}

/** The operating system. */
export interface OsFacts {
  platform: string | null;
  distro: string | null;
  release: string | null;
  arch: string | null;
  kernel: string | null;
}

/** What systeminformation said, reduced to the figures batchtools uses; null where a reading failed. */
export interface MachineFacts {
  cpu: CpuFacts | null;
  memory: MemoryFacts | null;
  os: OsFacts | null;
}

type Systeminformation = typeof import('systeminformation');

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null);

let si: Promise<Systeminformation | null> | undefined;
const cache = new Map<keyof MachineFacts, Promise<unknown>>();

/** One reading, asked once per process. */
function once<K extends keyof MachineFacts>(part: K, read: (si: Systeminformation) => Promise<MachineFacts[K]>): Promise<MachineFacts[K]> {
  let reading = cache.get(part) as Promise<MachineFacts[K]> | undefined;
  if (reading === undefined) {
    si ??= import('systeminformation').catch(() => null);
    reading = si.then((module) => (module === null ? null : read(module))).catch(() => null);
    cache.set(part, reading);
  }
  return reading;
}

/** The CPU (`si.cpu()`), read once per process. */
export function cpuFacts(): Promise<CpuFacts | null> {
  return once('cpu', async (s) => {
    const cpu = await s.cpu();
    return { manufacturer: text(cpu.manufacturer), brand: text(cpu.brand), speedGHz: positive(cpu.speed), physicalCores: positive(cpu.physicalCores) };
  });
}

/** Memory (`si.mem()`), read once per process. */
export function memoryFacts(): Promise<MemoryFacts | null> {
  return once('memory', async (s) => {
    const mem = await s.mem();
    return { totalBytes: positive(mem.total), availableBytes: positive(mem.available) };
  });
}

/** The OS (`si.osInfo()`), read once per process. */
export function osFacts(): Promise<OsFacts | null> {
  return once('os', async (s) => {
    const os = await s.osInfo();
    return { platform: text(os.platform), distro: text(os.distro), release: text(os.release), arch: text(os.arch), kernel: text(os.kernel) };
  });
}

/**
 * All three readings. With `timeoutMs`, resolves `undefined` if they are not in by then (the readings go on and are
 * cached for later callers; the timer never keeps the process alive).
 */
export function machineFacts(): Promise<MachineFacts>;
export function machineFacts(timeoutMs: number): Promise<MachineFacts | undefined>;
export function machineFacts(timeoutMs?: number): Promise<MachineFacts | undefined> {
  const all = Promise.all([cpuFacts(), memoryFacts(), osFacts()]).then(([cpu, memory, os]) => ({ cpu, memory, os }));
  return timeoutMs === undefined ? all : within(all, timeoutMs);
}

/** `promise`'s value, or `undefined` after `ms` (an unref'd timer). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
