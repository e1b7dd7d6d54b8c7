// The progress line and notes fit the terminal: threads and failures always shown, notes never cut inside a word.
import { describe, expect, it } from 'vitest';
import { progressLine, wrapNote, type ProgressFields } from '../src/cli/progress-layout.ts';

const big: ProgressFields = {
  done: '1,234,567',
  all: '10,000,000',
  fraction: 0.1234567,
  rate: '123,456',
  left: '1h12m',
  threads: 64,
  failed: '12,345',
};
const unknownTotal: ProgressFields = { ...big, all: null, fraction: null, left: '--' };

describe('progressLine', () => {
  it('fits every width from 40 to 200 columns and always keeps the thread and failure counts', () => {
    for (const fields of [big, unknownTotal, { ...big, threads: 1, failed: '0', done: '0', fraction: 0 }]) {
      for (let columns = 40; columns <= 200; columns++) {
        const line = progressLine(fields, columns);
        expect(line.length, `${columns} columns: ${line}`).toBeLessThan(columns);
        expect(line).toContain(`${fields.threads} thread`);
        expect(line).toContain(`${fields.failed} failed`);
        expect(line).toContain(fields.done);
      }
    }
  });

  it('shows everything, with a bar, at 80 columns for a typical run', () => {
    const line = progressLine({ done: '12,345', all: '100,000', fraction: 0.12345, rate: '4,321', left: '21s', threads: 2, failed: '3' }, 80);
    expect(line).toMatch(/^█+░{6,22} 12% \| 12,345\/100,000 \| 4,321\/s \| ETA 21s \| 2 threads \| 3 failed$/);
    expect(line.length).toBeLessThan(80);
  });

  it('uses the room it has: a wider terminal gets the wordy layout with the full bar', () => {
    const line = progressLine(big, 160);
    expect(line).toContain('items/s');
    expect(line).toContain('ETA 1h12m');
    expect(line.startsWith('█'.repeat(3) + '░')).toBe(true);
    expect(line.indexOf(' ')).toBe(24);
  });
});

describe('wrapNote', () => {
  const note = 'batchtools: interrupted: finishing the chunks in flight (Ctrl-C again quits at once)';
  it('wraps between words at the width, keeping every word whole and in order', () => {
    for (let columns = 20; columns <= 120; columns++) {
      const wrapped = wrapNote(note, columns);
      for (const line of wrapped.split('\n')) expect(line.length, `${columns}: ${line}`).toBeLessThan(columns);
      expect(wrapped.split(/\s+/).join(' ')).toBe(note);
    }
  });

  it('leaves a note that fits alone, and keeps a word longer than a line whole', () => {
    expect(wrapNote('short note', 80)).toBe('short note');
    const long = `see ${'x'.repeat(50)} now`;
    expect(wrapNote(long, 30).split('\n')).toEqual(['see', `  ${'x'.repeat(50)}`, '  now']);
  });
});
