/**
 * A real redis-server for the cluster tests: started on a free loopback port with a temporary directory and a
 * random password, stopped (and its directory removed) afterwards. No mocks of Redis or BullMQ anywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

/** Start redis-server; `extra` are more command-line settings (e.g. ['--maxmemory-policy', 'allkeys-lru']). */
export async function startRedis(extra: string[] = []): Promise<RedisProcess> {
  if (!BINARY) throw new Error('redis-server is not installed; the cluster tests need it (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'bt-redis-'));
  const password = randomBytes(12).toString('hex');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
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
      url: `redis://:${password}@127.0.0.1:${port}`,
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
