/**
 * A run's trace in the Trace Event Format (the JSON that Perfetto and chrome://tracing open): one track per
 * worker with one complete ("X") event per chunk, the main thread's track with the controller's reason changes
 * as instant events, and counters for each worker's heap and for the chunk size. Times are microseconds since
 * the run started.
 */
import type { ChunkTrace, RunTrace, TraceEntry } from '../index.ts';
import { checkTrace } from './run-model.ts';

/** One event of the Trace Event Format (the fields this writer uses). */
export interface TraceEvent {
  name: string;
  /** Phase: X complete, C counter, i instant, M metadata. */
  ph: 'X' | 'C' | 'i' | 'M';
  pid: number;
  tid: number;
  /** Timestamp, µs (0 for metadata). */
  ts: number;
  /** Duration of an X event, µs. */
  dur?: number;
  cat?: string;
  /** Scope of an instant event: t = thread. */
  s?: 't';
  args?: Record<string, unknown>;
}

/** A Trace Event Format document (the JSON object form). */
export interface TraceEventDocument {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/** Options of {@link toTraceEvents}. */
export interface TraceEventsOptions {
  /** The process name shown on the track group. Default `'batchtools run'`. */
  name?: string;
  /** Process id of the events. Default `1`. */
  pid?: number;
}

/** Track of the main thread (dispatcher and controller). */
const MAIN_TID = 1;
/** First track of chunks whose worker died before it could be named (more lanes follow when they overlap). */
const LOST_TID = 9999;
const us = (ms: number): number => Math.max(0, Math.round(ms * 1000));

function tidOf(worker: number): number {
  return worker < 0 ? LOST_TID : worker + 2;
}

function chunkName(c: ChunkTrace): string {
  if (c.outcome !== 'ok') return `chunk failed: ${c.outcome}`;
  if ((c.failedItems ?? 0) > 0) return 'chunk with failed items';
  return 'chunk';
}

/** Convert a run's trace to Trace Event Format. */
export function toTraceEvents(trace: RunTrace, options: TraceEventsOptions = {}): TraceEventDocument {
  checkTrace(trace);
  const pid = options.pid ?? 1;
  const events: TraceEvent[] = [];
  const meta = (name: string, tid: number, args: Record<string, unknown>): void => {
    events.push({ name, ph: 'M', pid, tid, ts: 0, args });
  };
  meta('process_name', MAIN_TID, { name: options.name ?? 'batchtools run' });
  meta('thread_name', MAIN_TID, { name: 'main thread (controller)' });
  meta('thread_sort_index', MAIN_TID, { sort_index: 0 });
  const workers = [...new Set(trace.chunks.map((c) => c.worker))].sort((a, b) => a - b);
  for (const w of workers) {
    meta('thread_name', tidOf(w), { name: w < 0 ? 'lost worker (died)' : `worker ${w}` });
    meta('thread_sort_index', tidOf(w), { sort_index: w < 0 ? 10_000 : w + 1 });
  }
  // Chunks of one worker, in order, each from the worker's start to start + in-worker time (a chunk that failed as
  // a whole: from dispatch to failure). A start a few µs early (clocks of two threads) moves to the previous
  // chunk's end, so the slices of a track never overlap (viewers require proper nesting). Chunks of dead workers
  // may overlap: they go on as many "lost" lanes as needed.
  const lanes: number[] = [];
  for (const w of workers) {
    const mine = trace.chunks.filter((c) => c.worker === w);
    const startOf = (c: ChunkTrace): number => us(c.startMs ?? c.t - c.runMs);
    const endOf = (c: ChunkTrace): number => us(c.outcome === 'ok' && c.startMs !== undefined ? c.startMs + c.runMs : c.t);
    mine.sort((a, b) => startOf(a) - startOf(b));
    let free = 0;
    for (const c of mine) {
      let tid = tidOf(w);
      let ts = startOf(c);
      const end = Math.max(ts, endOf(c));
      if (w < 0) {
        let lane = lanes.findIndex((f) => f <= ts);
        if (lane < 0) lane = lanes.push(0) - 1;
        lanes[lane] = end;
        tid = LOST_TID + lane;
      } else {
        ts = Math.max(ts, free);
        free = Math.max(end, ts);
      }
      const args: Record<string, unknown> = { items: c.items, runMs: c.runMs, roundTripMs: c.roundTripMs, outcome: c.outcome };
      if (c.first !== undefined) args['firstItem'] = c.first;
      if (c.failedItems !== undefined) args['failedItems'] = c.failedItems;
      if (c.attempt !== undefined && c.attempt > 1) args['attempt'] = c.attempt;
      if (c.isolated) args['isolated'] = true;
      if (c.stolen) args['stolen'] = true;
      if (c.sentMs !== undefined && c.startMs !== undefined) args['queuedMs'] = Math.max(0, c.startMs - c.sentMs);
      events.push({ name: chunkName(c), cat: 'chunk', ph: 'X', pid, tid, ts, dur: Math.max(0, end - ts), args });
      if (c.outcome === 'ok' && w >= 0) {
        const heap: Record<string, number> = { percent: Math.round(c.heapRatio * 1000) / 10 };
        if (c.heapUsedMb !== undefined) heap['usedMiB'] = Math.round(c.heapUsedMb * 10) / 10;
        events.push({ name: `heap worker ${w}`, ph: 'C', pid, tid, ts: us(c.t), args: heap });
      }
    }
  }
  for (let lane = 1; lane < lanes.length; lane++) {
    meta('thread_name', LOST_TID + lane, { name: `lost worker (died) ${lane + 1}` });
    meta('thread_sort_index', LOST_TID + lane, { sort_index: 10_000 + lane });
  }
  let reason: string | undefined;
  for (const d of trace.decisions as TraceEntry[]) {
    if (d === null || typeof d !== 'object' || !Number.isFinite(d.t)) continue;
    const ts = us(d.t);
    events.push({ name: 'chunk size', ph: 'C', pid, tid: MAIN_TID, ts, args: { items: d.size } });
    if (d.reason !== reason) {
      reason = d.reason;
      events.push({ name: `controller: ${d.reason}`, cat: 'controller', ph: 'i', s: 't', pid, tid: MAIN_TID, ts, args: { ...d } });
    }
  }
  const otherData: Record<string, unknown> = { generator: 'batchtools', chunks: trace.chunks.length };
  if (trace.startedAt !== undefined) otherData['startedAt'] = trace.startedAt;
  if (trace.threads !== undefined) otherData['threads'] = trace.threads;
  if (trace.elapsedMs !== undefined) otherData['elapsedMs'] = trace.elapsedMs;
  return { traceEvents: events, displayTimeUnit: 'ms', otherData };
}
