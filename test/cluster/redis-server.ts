/**
 * A real redis-server for the cluster tests: started on a free loopback port with a temporary directory and a
 * random password, stopped (and its directory removed) afterwards. No mocks of Redis or BullMQ anywhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisProcess {
  url: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

const BINARY = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

/** A free TCP port on loopback (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** PEM files of a TLS server: its certificate and key, and the CA that signed the certificate. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * Start redis-server; `extra` are more command-line settings (e.g. ['--maxmemory-policy', 'allkeys-lru']). With
 * `tls`, it listens for TLS only (no plain port) and the URL is `rediss://`.
 */
export async function startRedis(extra: string[] = [], tls?: TlsFiles): Promise<RedisProcess> {
  if (!BINARY) throw new Error('redis-server is not installed; the cluster tests need it (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'bt-redis-'));
  const password = randomBytes(12).toString('hex');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const ports = tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(port)];
    const args = [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--daemonize', 'no', '--maxmemory-policy', 'noeviction', '--requirepass', password, '--logfile', '', ...extra];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    const ready = await waitReady(child, port, () => log);
    if (!ready) {
      child.kill('SIGKILL');
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start: ${log.slice(-500)}`);
    }
    return {
      url: `${tls ? 'rediss' : 'redis'}://:${password}@127.0.0.1:${port}`,
      port,
      password,
      stop: async () => {
        if (child.exitCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** Resolve true once the server accepts connections (its log says so), false if it exits first. */
function waitReady(child: ChildProcess, port: number, log: () => string): Promise<boolean> {
  return new Promise((resolve) => {
    const onExit = (): void => resolve(false);
    child.once('exit', onExit);
    const check = (): void => {
      if (child.exitCode !== null) return;
      if (!/Ready to accept connections/.test(log())) {
        child.stdout!.once('data', check);
        return;
      }
      const socket = createConnection(port, '127.0.0.1', () => {
        socket.destroy();
        child.off('exit', onExit);
        resolve(true);
      });
      socket.on('error', () => {
        child.off('exit', onExit);
        resolve(false);
      });
    };
    check();
  });
}

/**
 * A throwaway certificate authority and a server certificate it signed for 127.0.0.1 (EC P-256, valid one day),
 * made with openssl in `dir`. Nothing is committed: each test run makes its own.
 */
export function makeTlsFiles(dir: string): TlsFiles {
  const files = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), key: join(dir, 'server.key'), csr: join(dir, 'server.csr'), cert: join(dir, 'server.pem'), ext: join(dir, 'ext.cnf') };
  writeFileSync(files.ext, 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  const openssl = (args: string[]): void => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
  };
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', files.caKey]);
  openssl(['req', '-x509', '-new', '-key', files.caKey, '-sha256', '-days', '1', '-subj', '/CN=batchtools test CA', '-out', files.ca]);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', files.key]);
  openssl(['req', '-new', '-key', files.key, '-subj', '/CN=127.0.0.1', '-out', files.csr]);
  openssl(['x509', '-req', '-in', files.csr, '-CA', files.ca, '-CAkey', files.caKey, '-CAcreateserial', '-days', '1', '-sha256', '-extfile', files.ext, '-out', files.cert]);
  return { cert: files.cert, key: files.key, ca: files.ca };
}
