/**
 * batchtools/report: see a run. HTML run reports, Trace Event Format timelines (Perfetto, chrome://tracing) and
 * benchmark pages. A product of its own: the core (`batchtools`) never imports it or its chart library.
 */
export { renderRunReport, describeThisMachine } from './run-page.ts';
export { buildRunModel, checkTrace, MAX_BARS, SERIES_BINS } from './run-model.ts';
export { toTraceEvents } from './trace-events.ts';
export { renderBenchReport, thinSamples } from './bench-page.ts';
export { renderPeerBenchReport } from './peer-page.ts';
export { writeRunReport, writeTraceEvents } from './write.ts';

export type { ReportFailure, ReportHeapBands, ReportMachine, RunReportInput } from './run-page.ts';
export type { RunModel } from './run-model.ts';
export type { BenchReportInput } from './bench-page.ts';
export type { PeerCell, PeerFigure, PeerResults } from './peer-page.ts';
export type { TraceEvent, TraceEventDocument, TraceEventsOptions } from './trace-events.ts';
