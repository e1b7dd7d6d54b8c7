/**
 * The machine a result was measured on: CPU, cores, memory, OS and Node.js, from systeminformation (read once per
 * process, lazily) with `node:os` figures as the fallback when a reading fails or hangs.
 */
import { arch, availableParallelism, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './types.ts';

/** How long to wait for systeminformation before keeping the `node:os` figures. */
const TIMEOUT_MS = 5_000;

let cached: Promise<MachineInfo> | undefined;

/** Describe this machine. Never rejects; the first call's promise is shared by later calls. */
export function describeMachine(): Promise<MachineInfo> {
  cached ??= read();
  return cached;
}

async function read(): Promise<MachineInfo> {
  const fallback: MachineInfo = {
    cpu: { manufacturer: null, brand: null, speedGHz: null, logicalCores: availableParallelism(), physicalCores: null },
    memory: { totalBytes: totalmem() },
    os: { platform: platform(), distro: null, release: null, arch: arch(), kernel: release() },
    node: { version: process.version, v8: process.versions.v8 },
  };
  const readings = (async () => {
    const si = await import('systeminformation');
    return Promise.all([si.cpu(), si.mem(), si.osInfo()]);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), TIMEOUT_MS);
    timer.unref();
  });
  const result = await Promise.race([readings.catch(() => undefined), timeout]);
  clearTimeout(timer);
  if (!result) return fallback;
  const [cpu, mem, os] = result;
  const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
  const positive = (value: unknown): number | null => (typeof value === 'number' && value > 0 ? value : null);
  return {
    cpu: {
      manufacturer: text(cpu.manufacturer),
      brand: text(cpu.brand),
      speedGHz: positive(cpu.speed),
      logicalCores: fallback.cpu.logicalCores,
      physicalCores: positive(cpu.physicalCores),
    },
    memory: { totalBytes: positive(mem.total) ?? fallback.memory.totalBytes },
    os: {
      platform: text(os.platform) ?? fallback.os.platform,
      distro: text(os.distro),
      release: text(os.release),
      arch: text(os.arch) ?? fallback.os.arch,
      kernel: text(os.kernel) ?? fallback.os.kernel,
    },
    node: fallback.node,
  };
}
