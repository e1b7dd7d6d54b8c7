import { describe, expect, it } from 'vitest';
import { InvalidInputError, type RunTrace } from '../../src/index.ts';
import { buildRunModel, MAX_BARS, renderRunReport, SERIES_BINS, toTraceEvents } from '../../src/report/index.ts';
import { FLAG } from '../../src/report/run-model.ts';
import { syntheticTrace } from './traces.ts';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe('run report model', () => {
  it('keeps every chunk as a bar in a small run, with its marks', () => {
    const trace = syntheticTrace({ items: 2000, chunkItems: 20, workers: 2, itemMs: 0.05, markEvery: 7 });
    const m = buildRunModel(trace);
    expect(m.merged).toBe(false);
    expect(m.bars.start).toHaveLength(trace.chunks.length);
    expect(sum(m.bars.items)).toBe(2000);
    const count = (flag: number): number => m.bars.flags.filter((f) => (f & flag) !== 0).length;
    expect(count(FLAG.STOLEN)).toBe(trace.chunks.filter((c) => c.stolen).length);
    expect(count(FLAG.RETRIED)).toBe(trace.chunks.filter((c) => (c.attempt ?? 1) > 1).length);
    expect(count(FLAG.ISOLATED)).toBe(trace.chunks.filter((c) => c.isolated).length);
    expect(count(FLAG.CHUNK_FAILED)).toBe(trace.chunks.filter((c) => c.outcome !== 'ok').length);
    expect(count(FLAG.FAILED_ITEMS)).toBeGreaterThan(0);
    expect(m.workers).toEqual([-1, 0, 1]);
    expect(m.perWorker.map((w) => w.worker)).toEqual([0, 1]);
    for (const w of m.perWorker) {
      expect(w.busyFraction).toBeGreaterThan(0.8);
      expect(w.busyFraction).toBeLessThanOrEqual(1);
    }
    const failed = trace.chunks.reduce((n, c) => n + (c.failedItems ?? 0), 0);
    const lost = sum(trace.chunks.filter((c) => c.outcome !== 'ok').map((c) => c.items));
    expect(m.succeeded).toBe(2000 - failed - lost);
  });

  it('bounds a 1 M item run: merged bars, bounded series, items conserved, page under 500 KB', () => {
    const trace = syntheticTrace({ items: 1_000_000, chunkItems: 8, workers: 4, itemMs: 0.01, markEvery: 500 });
    expect(trace.chunks.length).toBeGreaterThan(100_000);
    const m = buildRunModel(trace);
    expect(m.merged).toBe(true);
    expect(m.bars.start.length).toBeLessThanOrEqual(MAX_BARS);
    expect(m.bars.start.length).toBeGreaterThan(MAX_BARS / 2);
    expect(sum(m.bars.items)).toBe(1_000_000);
    expect(sum(m.bars.chunks)).toBe(trace.chunks.length);
    // marked chunks stay single bars while they fit
    const marked = trace.chunks.filter((c) => c.stolen).length;
    expect(m.bars.flags.filter((f, i) => (f & FLAG.STOLEN) !== 0 && m.bars.chunks[i] === 1).length).toBe(marked);
    expect(m.series.x.length).toBeLessThanOrEqual(SERIES_BINS);
    const binS = m.elapsedMs / 1000 / m.series.x.length;
    expect(sum(m.series.throughput) * binS).toBeCloseTo(m.succeeded, -3);
    const html = renderRunReport({ trace });
    expect(Buffer.byteLength(html)).toBeLessThan(500_000);
  });

  it('draws the controller reasons as segments and the decided size as a step series', () => {
    const trace = syntheticTrace({ items: 5000, chunkItems: 10, workers: 2, itemMs: 0.1, markEvery: 0 });
    const m = buildRunModel(trace);
    expect(m.series.reasons).toEqual(['probe', 'time-target']);
    expect(m.series.reasonSegments[0]![2]).toBe(0);
    expect(m.series.reasonSegments.at(-1)![2]).toBe(1);
    const firstDecided = m.series.decided.findIndex((v) => v !== null);
    expect(firstDecided).toBeGreaterThanOrEqual(0);
    expect(m.series.decided.slice(firstDecided).every((v) => v !== null)).toBe(true);
    expect(m.reasonCounts).toEqual({ probe: 8, 'time-target': trace.decisions.length - 8 });
  });

  it('refuses what is not a trace, naming what is wrong', () => {
    expect(() => renderRunReport({ trace: undefined as unknown as RunTrace })).toThrow(
      /^trace must be a run trace \(\{ chunks: \[\.\.\.\], decisions: \[\.\.\.\] \}, as onTrace receives it\), got undefined$/,
    );
    const trace = syntheticTrace({ items: 100, chunkItems: 10, workers: 2, itemMs: 0.1, markEvery: 0 });
    (trace.chunks[3] as unknown as Record<string, unknown>)['runMs'] = 'fast';
    expect(() => toTraceEvents(trace)).toThrow('trace.chunks[3].runMs must be a finite number, got fast');
    expect(() => toTraceEvents(trace)).toThrow(InvalidInputError);
  });

  it('escapes what a trace carries into the page', () => {
    const trace = syntheticTrace({ items: 100, chunkItems: 10, workers: 2, itemMs: 0.1, markEvery: 3 });
    trace.failures!.first[0]!.message = '</script><img src=x onerror=alert(1)>';
    const html = renderRunReport({ trace, title: '<b>t</b>' });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>t</b>');
    expect(html).toContain('&#60;/script&#62;&#60;img src=x onerror=alert(1)&#62;');
  });
});
