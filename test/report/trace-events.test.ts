import { describe, expect, it } from 'vitest';
import { toTraceEvents } from '../../src/report/index.ts';
import { traceProblems } from './trace-format.ts';
import { syntheticTrace } from './traces.ts';

describe('Trace Event Format', () => {
  const trace = syntheticTrace({ items: 3000, chunkItems: 25, workers: 3, itemMs: 0.02, markEvery: 6 });
  const doc = JSON.parse(JSON.stringify(toTraceEvents(trace, { name: 'score run' }))) as ReturnType<typeof toTraceEvents>;
  const events = doc.traceEvents;

  it('follows the format (ph, ts, dur, pid, tid, nesting, counters)', () => {
    expect(traceProblems(doc)).toEqual([]);
    expect(doc.displayTimeUnit).toBe('ms');
  });

  it('has one complete event per chunk, on its worker track, in microseconds', () => {
    const x = events.filter((e) => e.ph === 'X');
    expect(x).toHaveLength(trace.chunks.length);
    const first = trace.chunks.find((c) => c.worker === 1)!;
    const e = x.find((ev) => ev.args?.['firstItem'] === first.first)!;
    expect(e.tid).toBe(3);
    expect(e.ts).toBe(Math.round(first.startMs! * 1000));
    expect(e.ts + (e.dur ?? 0)).toBe(Math.round((first.startMs! + first.runMs) * 1000));
    expect(e.args).toMatchObject({ items: first.items, outcome: 'ok' });
    expect(x.filter((ev) => ev.name === 'chunk failed: crash')).toHaveLength(trace.chunks.filter((c) => c.outcome === 'crash').length);
    expect(x.filter((ev) => ev.args?.['stolen'] === true)).toHaveLength(trace.chunks.filter((c) => c.stolen).length);
  });

  it('names every track and puts the controller and counters on them', () => {
    const names = events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args?.['name']]);
    expect(names).toEqual([[1, 'main thread (controller)'], [9999, 'lost worker (died)'], [2, 'worker 0'], [3, 'worker 1'], [4, 'worker 2']]);
    expect(events.find((e) => e.name === 'process_name')?.args).toEqual({ name: 'score run' });
    const tids = new Set(events.filter((e) => e.ph === 'X').map((e) => e.tid));
    for (const tid of tids) expect(names.some(([t]) => t === tid)).toBe(true);
    expect(events.filter((e) => e.ph === 'C' && e.name === 'chunk size')).toHaveLength(trace.decisions.length);
    expect(events.filter((e) => e.ph === 'C' && e.name.startsWith('heap worker')).length).toBe(trace.chunks.filter((c) => c.outcome === 'ok').length);
    expect(events.filter((e) => e.ph === 'i').map((e) => e.name)).toEqual(['controller: probe', 'controller: time-target']);
  });

  it('never lets a worker track overlap, even when start estimates do', () => {
    const t = syntheticTrace({ items: 100, chunkItems: 10, workers: 1, itemMs: 0.1, markEvery: 0 });
    t.chunks[1]!.startMs = t.chunks[0]!.t - 0.05; // reply transit made the estimate early
    expect(traceProblems(toTraceEvents(t))).toEqual([]);
  });

  it('puts overlapping chunks of dead workers on lanes of their own', () => {
    const t = syntheticTrace({ items: 100, chunkItems: 10, workers: 2, itemMs: 0.1, markEvery: 0 });
    Object.assign(t.chunks[0]!, { outcome: 'crash', worker: -1, startMs: 1, t: 9, runMs: 0 });
    Object.assign(t.chunks[1]!, { outcome: 'oom', worker: -1, startMs: 2, t: 8, runMs: 0 });
    const doc = toTraceEvents(t);
    expect(traceProblems(doc)).toEqual([]);
    const lost = doc.traceEvents.filter((e) => e.ph === 'X' && e.tid >= 9999).map((e) => [e.tid, e.ts, e.dur]);
    expect(lost).toEqual([[9999, 1000, 8000], [10000, 2000, 6000]]);
    expect(doc.traceEvents.find((e) => e.ph === 'M' && e.tid === 10000 && e.name === 'thread_name')?.args).toEqual({ name: 'lost worker (died) 2' });
  });

  it('the checker catches what Perfetto would reject', () => {
    const bad = { traceEvents: [{ name: 'x', ph: 'X', pid: 1, tid: 1.5, ts: -1 }, { name: 'c', ph: 'C', pid: 1, tid: 1, ts: 0, args: { v: 'a' } }] };
    expect(traceProblems(bad)).toEqual([
      'event 0: tid must be an integer',
      'event 0: ts must be a finite number >= 0',
      'event 0: X needs dur >= 0',
      'event 1: a counter needs numeric args',
    ]);
  });
});
