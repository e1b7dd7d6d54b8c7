/**
 * The machine a result was measured on: CPU, cores, memory, OS and Node.js, from systeminformation (read once per
 * process, lazily, by the one reader in base/machine.ts) with `node:os` figures as the fallback when a reading fails or hangs.
 */
import { arch, availableParallelism, platform, release, totalmem } from 'node:os';
import { machineFacts } from '../base/machine.ts';
import type { MachineInfo } from './types.ts';

/** How long to wait for systeminformation before keeping the `node:os` figures. */
const TIMEOUT_MS = 5_000;

/** Describe this machine. Never rejects; systeminformation is asked once per process (base/machine.ts). */
export async function describeMachine(): Promise<MachineInfo> {
  const fallback: MachineInfo = {
    cpu: { manufacturer: null, brand: null, speedGHz: null, logicalCores: availableParallelism(), physicalCores: null },
    memory: { totalBytes: totalmem() },
    os: { platform: platform(), distro: null, release: null, arch: arch(), kernel: release() },
    node: { version: process.version, v8: process.versions.v8 },
  };
  const facts = await machineFacts(TIMEOUT_MS);
  if (facts === undefined) return fallback;
  const { cpu, memory, os } = facts;
  return {
    cpu: {
      manufacturer: cpu?.manufacturer ?? null,
      brand: cpu?.brand ?? null,
      speedGHz: cpu?.speedGHz ?? null,
      logicalCores: fallback.cpu.logicalCores,
      physicalCores: cpu?.physicalCores ?? null,
    },
    memory: { totalBytes: memory?.totalBytes ?? fallback.memory.totalBytes },
    os: {
      platform: os?.platform ?? fallback.os.platform,
      distro: os?.distro ?? null,
      release: os?.release ?? null,
      arch: os?.arch ?? fallback.os.arch,
      kernel: os?.kernel ?? fallback.os.kernel,
    },
    node: fallback.node,
  };
}
