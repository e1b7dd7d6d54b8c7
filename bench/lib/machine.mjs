/** The machine and software description that goes with every result file. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';

const ROOT = new URL('../../', import.meta.url);

/** @param {string} name @returns {string | null} */
function pkgVersion(name) {
  try {
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, ROOT), 'utf8')).version;
  } catch {
    return null;
  }
}

/** @param {string[]} args */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Describe the machine (systeminformation + os) and the versions of everything measured. */
export async function describeMachine() {
  /** @type {Record<string, any>} */
  const m = {};
  try {
    const si = (await import('systeminformation')).default;
    const [cpu, mem, osInfo, virt] = await Promise.all([si.cpu(), si.mem(), si.osInfo(), si.system().catch(() => null)]);
    m.cpu = {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      speedGHz: cpu.speed,
      physicalCores: cpu.physicalCores,
      logicalCores: cpu.cores,
      sockets: cpu.processors,
      virtualization: cpu.virtualization ?? null,
    };
    m.memory = { totalGiB: +(mem.total / 2 ** 30).toFixed(1), availableGiB: +(mem.available / 2 ** 30).toFixed(1) };
    m.os = { platform: osInfo.platform, distro: osInfo.distro, release: osInfo.release, kernel: osInfo.kernel, arch: osInfo.arch };
    if (virt) m.system = { manufacturer: virt.manufacturer, model: virt.model, virtual: virt.virtual, virtualHost: virt.virtualHost ?? null };
  } catch (e) {
    m.systeminformationError = String(e);
  }
  const cpus = os.cpus();
  m.nodeOs = {
    cpuModel: cpus[0]?.model ?? null,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    freeMemGiB: +(os.freemem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
    release: os.release(),
    type: os.type(),
  };
  m.node = { version: process.version, v8: process.versions.v8, uv: process.versions.uv };
  const own = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
  let distBuiltAt = null;
  try {
    distBuiltAt = statSync(new URL('dist/src/index.js', ROOT)).mtime.toISOString();
  } catch {
    /* not built */
  }
  const dirty = git(['status', '--porcelain', '--', 'src', 'workers']);
  m.packages = {
    batchtools: {
      version: own.version,
      gitHead: git(['rev-parse', '--short', 'HEAD']),
      uncommittedFilesInSrc: dirty === null ? null : dirty.split('\n').filter(Boolean).length,
      distBuiltAt,
    },
    piscina: pkgVersion('piscina'),
    tinypool: pkgVersion('tinypool'),
    workerpool: pkgVersion('workerpool'),
    poolifier: pkgVersion('poolifier'),
    systeminformation: pkgVersion('systeminformation'),
  };
  return m;
}
