/** `batchtools info`: the pool plan for this machine, for a person or as JSON. */
import { formatPlan, planToJson } from '../plan/format.ts';
import { planPool } from '../plan/plan.ts';
import { probeMachine, refineProbe } from '../plan/probe.ts';
import type { PlanHints } from '../plan/types.ts';

/** Options of the info command. */
export interface InfoOptions {
  json?: boolean;
  threads?: number;
  maxHeapMb?: number;
}

/** Print the plan. Returns the exit code. */
export async function runInfo(options: InfoOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const hints: PlanHints = {};
  if (options.threads !== undefined) hints.threads = options.threads;
  if (options.maxHeapMb !== undefined) hints.maxHeapMb = options.maxHeapMb;
  const probe = await refineProbe(probeMachine());
  const plan = planPool(probe, hints);
  out.write(options.json ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : `${formatPlan(plan)}\n`);
  return 0;
}
