// The one durable writer under faults: at every file-system call in turn a failure or a short write is injected;
// the target is then complete (and the write reported success) or as it was before (and the write threw), and no
// temporary file is left. Also: modes, symlinks written through, FIFOs written directly.
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFile, useFileSystem, writeAll, writeFileAtomic } from '../../src/base/atomic-file.ts';
import { faultyFs, type Fault } from './fault-fs.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-atomic-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** 200 KiB in several buffered writes. */
const big = Array.from({ length: 4000 }, (_, i) => `{"index":${i},"value":"${'x'.repeat(40)}"}\n`).join('');

/** Pieces of 10,000 and 40,000 characters in turn: buffered writes, and text larger than the buffer (written from the file's reused encoding buffer). */
function writeWith(path: string, text: string): void {
  const file = new AtomicFile(path, { bufferBytes: 16 * 1024 });
  try {
    for (let i = 0, n = 0; i < text.length; i += n) {
      n = n === 10_000 ? 40_000 : 10_000;
      file.write(text.slice(i, i + n));
    }
    file.commit();
  } catch (error) {
    file.abort();
    throw error;
  }
}

describe('AtomicFile under injected faults', () => {
  const counting = faultyFs(0, 'fail');
  const restore = useFileSystem(counting);
  writeWith(join(tempDir(), 'count.jsonl'), big);
  restore();
  const total = counting.calls;

  it('makes several file-system calls (the enumeration below covers each)', () => {
    expect(total).toBeGreaterThan(10);
    expect(counting.log.filter((c) => c === 'writeSync').length).toBeGreaterThan(5);
  });

  for (const fault of ['fail', 'short'] as Fault[]) {
    for (const existed of [false, true]) {
      it(`${fault} at every call in turn (${existed ? 'replacing a file' : 'new file'}): complete or unchanged, no temp left`, () => {
        const dir = tempDir();
        let failures = 0;
        for (let at = 1; at <= total; at++) {
          const path = join(dir, `out-${at}.jsonl`);
          if (existed) writeFileSync(path, 'old\n');
          const fs = faultyFs(at, fault);
          const restore = useFileSystem(fs);
          let threw = false;
          try {
            writeWith(path, big);
          } catch {
            threw = true;
          } finally {
            restore();
          }
          expect(fs.injected).toBe(true);
          const now = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
          if (threw) {
            failures++;
            // The directory fsync after the rename may fail: the file is then complete, never short.
            const renamed = fs.log.slice(0, at - 1).includes('renameSync');
            if (renamed) expect(now).toBe(big);
            else expect(now).toBe(existed ? 'old\n' : undefined);
          } else expect(now).toBe(big);
          // A failed unlink of the temporary file is the one fault that may leave it.
          if (fs.log[at - 1] !== 'unlinkSync') expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
        }
        if (fault === 'fail') expect(failures).toBeGreaterThan(total / 2);
      });
    }
  }

  it('(control) a writer that ignores the byte count commits a short file: the double does shorten writes', () => {
    const dir = tempDir();
    const fs = faultyFs(2, 'short');
    const restore = useFileSystem(fs);
    const fd = fs.openSync(join(dir, 'naive'), 'w');
    const bytes = Buffer.from(big);
    fs.writeSync(fd, bytes, 0, bytes.length, null); // what the old writer did: one call, count ignored
    fs.closeSync(fd);
    restore();
    expect(readFileSync(join(dir, 'naive')).length).toBeLessThan(bytes.length);
  });

  it('writeAll refuses a write that makes no progress (ENOSPC)', () => {
    const restore = useFileSystem({ ...faultyFs(0, 'fail'), writeSync: () => 0 });
    try {
      expect(() => writeAll(1, 'abc')).toThrow(/ENOSPC/);
    } finally {
      restore();
    }
  });

  it('fsyncs in the thread pool every syncBytes while writing; their failures lose nothing (the fsync at commit decides)', async () => {
    const started: number[] = [];
    let answered = 0;
    const restore = useFileSystem({
      ...faultyFs(0, 'fail'),
      fsync(fd, callback) {
        started.push(fd);
        setImmediate(() => {
          answered++;
          callback(Object.assign(new Error('EIO: i/o error, fsync (injected)'), { code: 'EIO' }));
        });
      },
    });
    try {
      const path = join(tempDir(), 'synced.jsonl');
      const file = new AtomicFile(path, { bufferBytes: 16 * 1024, syncBytes: 48 * 1024 });
      for (let i = 0; i < big.length; i += 10_000) file.write(big.slice(i, i + 10_000));
      // One at a time: none answered yet, so only the first was started.
      expect(started.length).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(answered).toBe(1);
      file.write(big);
      expect(started.length).toBe(2);
      file.commit();
      expect(readFileSync(path, 'utf8')).toBe(big + big);
      // Without syncBytes' background fsyncs: none started.
      const none = new AtomicFile(join(tempDir(), 'unsynced.jsonl'), { syncBytes: 0 });
      none.write(big);
      none.commit();
      expect(started.length).toBe(2);
    } finally {
      restore();
    }
  });

  it('text of any size and any characters lands byte for byte, in order (small, large, then small again)', () => {
    const path = join(tempDir(), 'mixed.jsonl');
    const line = (i: number): string => `{"i":${i},"t":"ünïcödé ${'€'.repeat(i % 7)} 🙂 ${'x'.repeat(i % 50)}"}\n`;
    // The fourth piece is larger than the reused encoding buffer holds: it is encoded on its own.
    const pieces = [line(1), Array.from({ length: 3000 }, (_, i) => line(i)).join(''), line(2), `${'ü'.repeat(2_000_000)}${line(9)}`, 'é'.repeat(70_000), line(3)];
    const file = new AtomicFile(path, { bufferBytes: 16 * 1024 });
    for (const piece of pieces) file.write(piece);
    expect(file.bytes).toBe(Buffer.byteLength(pieces.join('')));
    file.commit();
    expect(readFileSync(path, 'utf8')).toBe(pieces.join(''));
  });

  it('bytes (also views of shared memory) land as they are, among text: small ones gathered, large ones written from where they are', () => {
    const path = join(tempDir(), 'bytes.jsonl');
    const utf8 = (text: string, shared: boolean): Uint8Array => {
      const b = Buffer.from(text, 'utf8');
      if (!shared) return b;
      const view = new Uint8Array(new SharedArrayBuffer(b.length + 16), 8, b.length); // offset: not the buffer's start
      view.set(b);
      return view;
    };
    const line = (i: number): string => `{"i":${i},"t":"ünïcödé ${'€'.repeat(i % 7)} 🙂"}\n`;
    const texts = [line(1), line(2), Array.from({ length: 2000 }, (_, i) => line(i)).join(''), line(3), 'plain text\n', line(4), Array.from({ length: 900 }, (_, i) => line(i)).join('')];
    const file = new AtomicFile(path, { bufferBytes: 16 * 1024 });
    for (const [i, t] of texts.entries()) file.write(i === 4 ? t : utf8(t, i % 2 === 0));
    expect(file.bytes).toBe(Buffer.byteLength(texts.join('')));
    file.commit();
    expect(readFileSync(path, 'utf8')).toBe(texts.join(''));
  });
});

describe('AtomicFile: modes, links, special files', () => {
  it('a new file gets the mode asked for; an existing one keeps its mode; the temporary file is private', () => {
    const dir = tempDir();
    writeFileAtomic(join(dir, 'new'), 'a', { mode: 0o600 });
    expect(statSync(join(dir, 'new')).mode & 0o777).toBe(0o600);
    writeFileSync(join(dir, 'old'), 'x');
    chmodSync(join(dir, 'old'), 0o640);
    writeFileAtomic(join(dir, 'old'), 'b', { mode: 0o666 });
    expect(statSync(join(dir, 'old')).mode & 0o777).toBe(0o640);
    const file = new AtomicFile(join(dir, 'third'), { mode: 0o644 });
    expect(statSync(file.tempPath!).mode & 0o777).toBe(0o600);
    file.abort();
  });

  it('writes through a symlink (also a dangling one) to its target; the link stays', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real'), 'old');
    symlinkSync('real', join(dir, 'link'));
    writeFileAtomic(join(dir, 'link'), 'new');
    expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real'), 'utf8')).toBe('new');
    symlinkSync('later', join(dir, 'dangling'));
    writeFileAtomic(join(dir, 'dangling'), 'made');
    expect(readlinkSync(join(dir, 'dangling'))).toBe('later');
    expect(readFileSync(join(dir, 'later'), 'utf8')).toBe('made');
  });

  it('writes a FIFO directly (never replaced)', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
    const ended = new Promise((resolve) => reader.on('close', resolve));
    writeFileAtomic(fifo, 'through the pipe\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    await ended;
    expect(got).toBe('through the pipe\n');
  });
});
