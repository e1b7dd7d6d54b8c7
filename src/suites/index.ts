/**
 * batchtools/bench: run tinybench suites in isolated workers, save and compare results. The one door of the suite
 * runner; every export is named here. It stands on the core (`batchtools`) and the shared base, never the reverse:
 * importing `batchtools` does not load tinybench or this runner.
 */
export { runSuites } from './runner.ts';
export { compareResults } from './compare.ts';
export { readDocument, writeDocument } from './document.ts';
export { validateDocument } from './validate.ts';
export { comparisonMethod, formatComparison, formatResults } from './format.ts';
export { comparisonMarkdown, resultsMarkdown } from './markdown.ts';
export { welchTest } from './statistics.ts';
export { rankShift } from './rank-shift.ts';
export { lowShift } from './low-shift.ts';
export { SuiteError, SuiteErrorCodes } from './errors.ts';
export { RESULT_FORMAT, SCHEMA_VERSION } from './types.ts';

export type { RunSuitesOptions, SuiteProgress } from './runner.ts';
export type { CompareOptions, Comparison, ComparisonUnit, TaskComparison, TaskRef, Verdict } from './compare.ts';
export type {
  BenchDocument,
  BenchOptionsUsed,
  ErrorInfo,
  MachineInfo,
  RunInfo,
  SampleStatistics,
  SuiteRecord,
  TaskRecord,
} from './types.ts';
export type { SuiteErrorCode } from './errors.ts';
export type { SampleSummary, WelchResult } from './statistics.ts';
export type { RankShiftResult } from './rank-shift.ts';
export type { LowShiftResult } from './low-shift.ts';
