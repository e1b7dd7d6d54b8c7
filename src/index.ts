/**
 * batchtools: use every core for CPU-bound work. The only public door; every export is named here.
 */
export { createRuntime, graph, mapSettled, parallelMap, pipeline, Runtime } from './runtime.ts';
export { StageError } from './pipeline/errors.ts';
export { defineTask, isTask, taskModule } from './task.ts';
export {
  BatchtoolsError,
  ErrorCodes,
  InvalidInputError,
  InvalidOptionError,
  ItemError,
  isBatchtoolsError,
  RemoteError,
  RunError,
  RuntimeClosedError,
  TaskLoadError,
  WorkerError,
} from './errors.ts';
export { proxy, transfer } from './rpc/markers.ts';
export { planPool } from './plan/plan.ts';
export { probeMachine, refineProbe } from './plan/probe.ts';
export { formatPlan, planToJson } from './plan/format.ts';

export type { ErrorCode, ItemFailureInfo } from './errors.ts';
export type { Items, Settled, StreamResult } from './runtime.ts';
export type { PipelineResult } from './pipeline/collector.ts';
export type { PipelineOptions, PipelineStream } from './pipeline/pipeline.ts';
export type { IoContext, PipelineStage } from './pipeline/stages.ts';
export type { GraphNode, GraphOptions, GraphOutcome, GraphProgress } from './graph/graph.ts';
export type { MapOptions, RuntimeOptions, StreamOptions } from './options.ts';
export type { Task, TaskContext, TaskExportName, TaskFunction, TaskInput, TaskLike, TaskModule, TaskOutput } from './task.ts';
export type { ChunkTrace, Progress, RunTrace, TraceFailure } from './schedule/dispatcher.ts';
export type { TraceEntry } from './schedule/adaptive.ts';
export type { RetryOptions } from './schedule/retry.ts';
export type { Dedicated, SpawnOptions } from './rpc/dedicated.ts';
export type { Remote, RemoteMethod } from './rpc/remote.ts';
export type { BreakerOptions } from './schedule/breaker.ts';
export type { MachineProbe, PlanFigure, PlanHints, PoolPlan } from './plan/types.ts';
