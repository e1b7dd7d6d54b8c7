/** The failure of one pipeline item, named with the stage it failed in. */
import { ErrorCodes, ItemError, type ErrorCode } from '../errors.ts';
import { FAILED_STAGE } from '../schedule/outcomes.ts';
import { STAGE_FIELD, STAGE_NAME_FIELD } from '../worker/composite.ts';

/**
 * An item failed in a pipeline stage. `index` is the input item it came from, `stage` the 0-based position of
 * the stage in the pipeline and `stageName` its name. When a worker died (crash, out of memory) or an item timed out
 * inside a fused segment (several worker stages run in one call), the worker's progress slot says which stage was
 * running, and that stage is named; only where no slot is kept (a remote worker of batchtools/cluster) `stage` is
 * the segment's first stage and `stageName` names all of them (`parse + score`). `code`, `attempts`, `exitCode` and
 * `cause` are as in `map`.
 */
export class StageError extends ItemError {
  readonly stage: number;
  readonly stageName: string;
  constructor(code: ErrorCode, message: string, info: { index: number; attempts: number; stage: number; stageName: string; cause?: unknown; exitCode?: number }) {
    const { stage, stageName, ...rest } = info;
    super(code, message, rest);
    this.stage = stage;
    this.stageName = stageName;
  }
}

/** Where a segment's failure is placed when the failing stage is not known. */
export interface SegmentName {
  first: number;
  /** Names of the segment's stages. */
  names: readonly string[];
}

/** Turn a run's item failure into a pipeline failure of input `index` (the stage from the error's tag, else the segment). */
export function toStageError(error: ItemError, index: number, segment: SegmentName): StageError {
  const cause = error.cause as Record<string, unknown> | undefined;
  let stage = segment.first;
  let stageName = segment.names.join(' + ');
  let where = segment.names.length > 1 ? `stages ${stage}-${stage + segment.names.length - 1}` : `stage ${stage}`;
  if (cause !== null && typeof cause === 'object' && typeof cause[STAGE_FIELD] === 'number') {
    stage = cause[STAGE_FIELD];
    stageName = String(cause[STAGE_NAME_FIELD]);
    delete cause[STAGE_FIELD];
    delete cause[STAGE_NAME_FIELD];
    where = `stage ${stage}`;
  } else {
    // A worker that died (crash, out of memory, timeout) recorded the stage it was running in its progress slot.
    const died = (error as { [FAILED_STAGE]?: number })[FAILED_STAGE];
    if (died !== undefined && died >= segment.first && died < segment.first + segment.names.length) {
      stage = died;
      stageName = segment.names[died - segment.first]!;
      where = `stage ${stage}`;
    }
  }
  const detail = error.message.replace(/^item \d+(?: failed)?:? /, '');
  const info: { index: number; attempts: number; stage: number; stageName: string; cause?: unknown; exitCode?: number } = {
    index,
    attempts: error.attempts,
    stage,
    stageName,
  };
  if (error.cause !== undefined) info.cause = error.cause;
  if (error.exitCode !== undefined) info.exitCode = error.exitCode;
  return new StageError(error.code, `item ${index} failed in ${where} (${stageName}): ${detail}`, info);
}

/** A failure of a main-thread (io) stage call. */
export function ioStageError(code: ErrorCode, index: number, attempts: number, stage: number, stageName: string, cause: unknown, detail: string): StageError {
  return new StageError(code, `item ${index} failed in stage ${stage} (${stageName}): ${detail}`, { index, attempts, stage, stageName, cause });
}

export { ErrorCodes };
