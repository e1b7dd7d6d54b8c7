/**
 * Machine facts that need `systeminformation` (physical cores, CPU brand, available memory, OS distribution): the
 * one reader of it. `systeminformation` is imported on first use only, asked once per process (it spawns `lscpu`,
 * `dmidecode` and friends), and the answer is cached; each caller waits as long as it likes for it. Never rejects: a
 * reading that fails leaves its part null.
 */

/** What systeminformation said, reduced to the figures batchtools uses; null where a reading failed. */
export interface MachineFacts {
  cpu: {
    manufacturer: string | null;
    brand: string | null;
    speedGHz: number | null;
    physicalCores: number | null;
  } | null;
  memory: { totalBytes: number | null; availableBytes: number | null } | null;
  os: { platform: string | null; distro: string | null; release: string | null; arch: string | null; kernel: string | null } | null;
}

let cached: Promise<MachineFacts> | undefined;

/**
 * The machine facts, read once per process. With `timeoutMs`, resolves `undefined` if they are not in by then (the
 * reading goes on and is cached for later callers; the timer never keeps the process alive).
 */
export function machineFacts(): Promise<MachineFacts>;
export function machineFacts(timeoutMs: number): Promise<MachineFacts | undefined>;
export function machineFacts(timeoutMs?: number): Promise<MachineFacts | undefined> {
  cached ??= read();
  if (timeoutMs === undefined) return cached;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    timer.unref();
    void cached!.then((facts) => {
      clearTimeout(timer);
      resolve(facts);
    });
  });
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
const positive = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null);
const settled = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

async function read(): Promise<MachineFacts> {
  let si: typeof import('systeminformation');
  try {
    si = await import('systeminformation');
  } catch {
    return { cpu: null, memory: null, os: null };
  }
  const [cpu, mem, os] = await Promise.all([settled(si.cpu()), settled(si.mem()), settled(si.osInfo())]);
  return {
    cpu: cpu && {
      manufacturer: text(cpu.manufacturer),
      brand: text(cpu.brand),
      speedGHz: positive(cpu.speed),
      physicalCores: positive(cpu.physicalCores),
    },
    memory: mem && { totalBytes: positive(mem.total), availableBytes: positive(mem.available) },
    os: os && {
      platform: text(os.platform),
      distro: text(os.distro),
      release: text(os.release),
      arch: text(os.arch),
      kernel: text(os.kernel),
    },
  };
}
