/**
 * Several stages on the command line: `batchtools run [task-module] --stage a.mjs#parse --filter b.mjs#keep
 * --stage c.mjs#score`. The stages, in the order given (the positional module first, when there is one), are fused
 * into one composite task, so the job runs through the same engine, journal and checkpoint as a one-task run:
 * one output line per input line. An item a filter drops gets `{"ok":true,"filtered":true,"value":null}`.
 */
import { isAbsolute, resolve } from 'node:path';
import { fuseStages, type WorkerSegmentPlan } from '../pipeline/stages.ts';
import { defineTask } from '../task.ts';
import { CliError } from './cli-error.ts';
import { fingerprint, requireModuleFile, type Fingerprint } from './files.ts';

/** A stage as given on the command line. */
export interface StageArg {
  op: 'map' | 'filter';
  /** `module#export` (`#export` may be left out: the default export). */
  ref: string;
}

/** A stage as a run's settings keep it (absolute module path). */
export interface StageSetting {
  op: 'map' | 'filter';
  module: string;
  exportName: string;
}

/**
 * A commander option parser that appends to `list` (shared by --stage and --filter, so their order is kept).
 * Create the list per program.
 */
export function stageOption(op: StageArg['op'], list: StageArg[]) {
  return (value: string): StageArg[] => {
    list.push({ op, ref: value });
    return list;
  };
}

function parseRef(arg: StageArg): StageSetting {
  const flag = arg.op === 'map' ? '--stage' : '--filter';
  const hash = arg.ref.lastIndexOf('#');
  const path = hash < 0 ? arg.ref : arg.ref.slice(0, hash);
  const exportName = hash < 0 ? 'default' : arg.ref.slice(hash + 1);
  if (path === '' || exportName === '') {
    throw new CliError(`${flag} ${arg.ref}: expected <module>#<export> (or just <module> for its default export)`, 'e.g. --stage ./parse.mjs#parse');
  }
  const module = isAbsolute(path) ? path : resolve(path);
  requireModuleFile(module, path);
  return { op: arg.op, module, exportName };
}

/**
 * The stages of a run: the positional module (with `--export`) first when given, then `--stage` / `--filter` in
 * order. `undefined` for a plain one-task run. Throws a usage error when there is nothing to run.
 */
export function resolveStages(modulePath: string | undefined, exportName: string | undefined, args: readonly StageArg[] | undefined): StageSetting[] | undefined {
  if (!args || args.length === 0) {
    if (modulePath === undefined) throw new CliError('no task to run', 'give a task module, or stages with --stage <module>#<export>');
    return undefined;
  }
  const stages = args.map(parseRef);
  if (modulePath !== undefined) {
    const module = resolve(modulePath);
    requireModuleFile(module, modulePath);
    stages.unshift({ op: 'map', module, exportName: exportName ?? 'default' });
  }
  return stages;
}

/** The one composite task of a run's stages (its plan names the stage of a failure). */
export function stagesTask(stages: readonly StageSetting[]): WorkerSegmentPlan {
  return fuseStages(stages.map((s) => (s.op === 'map' ? { map: defineTask(s.module, s.exportName) } : { filter: defineTask(s.module, s.exportName) })));
}

/** Fingerprints of the stages' modules, for the checkpoint (resume refuses a changed one, as for the task module). */
export function stageFingerprints(stages: readonly StageSetting[]): Promise<Fingerprint[]> {
  return Promise.all(stages.map((s) => fingerprint(s.module)));
}
