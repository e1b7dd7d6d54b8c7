/**
 * `rt.graph(nodes, options)`: runs a DAG of tasks on the shared pool. A node starts as soon as its own
 * dependencies are fulfilled (never level by level); its task gets `{ ...input, [depId]: result, … }`. A fan-out
 * node maps its task over `items(deps)`. A failed node skips its descendants only. When more nodes are ready than
 * the pool has threads, the one heading the longest chain of work left goes first (so the critical path is not
 * queued behind short side branches).
 */
import { checkFunction, checkOptions } from '../base/validate.ts';
import { ErrorCodes, ItemError } from '../errors.ts';
import { resolveMapOptions } from '../options.ts';
import { startRun, type RunHandle, type RunStarter } from '../pipeline/seam.ts';
import type { StageTask } from '../pipeline/stages.ts';
import { checkGraph, type CheckedNode } from './validate.ts';

/**
 * A node of a task graph: a task run once (`task`, called with `{ ...input, [depId]: result }`), or a fan-out
 * (`map` over `items(deps)`, its value the array of results). `after` lists the nodes it waits for (default none).
 * `cost` is an estimate of its run time relative to the others (default 1): when more nodes are ready than the
 * pool has threads, the one heading the costliest chain of work left starts first.
 */
export type GraphNode =
  | { task: StageTask; after?: readonly string[]; input?: Record<string, unknown>; cost?: number }
  | {
      map: StageTask;
      items: (deps: Record<string, unknown>) => Iterable<unknown> | AsyncIterable<unknown>;
      after?: readonly string[];
      input?: Record<string, unknown>;
      cost?: number;
    };

/** How a node ended. `because` names the dependency that did not succeed. */
export type GraphOutcome =
  | { status: 'fulfilled'; value: unknown }
  | { status: 'rejected'; reason: unknown }
  | { status: 'skipped'; because: string };

/** Progress of a graph, reported each time a node ends. */
export interface GraphProgress {
  /** Nodes ended (fulfilled, rejected or skipped). */
  done: number;
  total: number;
  /** The node that just ended, and how. */
  id: string;
  status: GraphOutcome['status'];
  elapsedMs: number;
}

/** Options of `rt.graph`. Retries, timeout, breaker, chunkSize, abortGraceMs and host apply to each node's run as in `map`. */
export interface GraphOptions {
  /** Cancels the graph: running nodes stop and the call rejects with `signal.reason`. Default: none. */
  signal?: AbortSignal | undefined;
  /** Called each time a node ends. Default: none. */
  onProgress?: ((progress: GraphProgress) => void) | undefined;
  retries?: import('../schedule/retry.ts').RetryOptions | number | undefined;
  timeout?: number | undefined;
  breaker?: boolean | import('../schedule/breaker.ts').BreakerOptions | undefined;
  chunkSize?: number | undefined;
  abortGraceMs?: number | undefined;
  host?: object | undefined;
}

const RUN_KEYS = ['signal', 'chunkSize', 'abortGraceMs', 'timeout', 'retries', 'breaker', 'host'];

/** Run one node's task over `items`, collecting the values in order; rejects with the first item failure. */
function runItems(rt: RunStarter, items: unknown, node: CheckedNode, options: object, running: Set<RunHandle>): Promise<unknown[]> {
  return new Promise<unknown[]>((resolve, reject) => {
    const values: unknown[] = [];
    let failed: ItemError | undefined;
    let handle: RunHandle | undefined;
    const sink = {
      value: (i: number, v: unknown): void => {
        values[i] = v;
      },
      values: (start: number, vs: ArrayLike<unknown>, from: number, to: number): void => {
        for (let k = from; k < to; k++) values[start + k] = vs[k];
      },
      failure: (error: ItemError): void => {
        if (failed) return;
        failed = error;
        handle?.cancel(error);
      },
    };
    try {
      handle = rt[startRun](items, node.task, options, sink);
    } catch (error) {
      reject(error);
      return;
    }
    running.add(handle);
    const h = handle;
    h.done.then(
      () => {
        running.delete(h);
        resolve(values);
      },
      (error: unknown) => {
        running.delete(h);
        reject(failed ?? error);
      },
    );
  });
}

/** Work left along the longest chain starting at each node: the sum of the nodes' `cost` (1 each unless given). */
function chainLengths(nodes: Map<string, CheckedNode>): Map<string, number> {
  const children = new Map<string, string[]>();
  for (const n of nodes.values()) for (const d of n.after) (children.get(d) ?? children.set(d, []).get(d)!).push(n.id);
  const memo = new Map<string, number>();
  const visit = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    let longest = 0;
    for (const c of children.get(id) ?? []) longest = Math.max(longest, visit(c));
    const chain = longest + nodes.get(id)!.cost;
    memo.set(id, chain);
    return chain;
  };
  for (const id of nodes.keys()) visit(id);
  return memo;
}

/** Run a graph; see {@link Runtime.graph}. */
export async function runGraph(rt: RunStarter, nodes: unknown, options?: unknown): Promise<Record<string, GraphOutcome>> {
  const checked = checkGraph(nodes);
  const o = checkOptions(options, ['onProgress', ...RUN_KEYS], 'options', { threads: 'createRuntime()', maxHeapMb: 'createRuntime()' });
  const run: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) if (key !== 'onProgress' && value !== undefined) run[key] = value;
  const onProgress = checkFunction('options.onProgress', o['onProgress']);
  const resolved = resolveMapOptions(run);
  const signal = resolved.signal;
  signal?.throwIfAborted();

  const total = checked.size;
  const outcomes = new Map<string, GraphOutcome>();
  const waitingOn = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const n of checked.values()) {
    waitingOn.set(n.id, n.after.length);
    for (const d of n.after) (children.get(d) ?? children.set(d, []).get(d)!).push(n.id);
  }
  const priority = chainLengths(checked);
  const position = new Map([...checked.keys()].map((id, k) => [id, k]));
  const ready: CheckedNode[] = [...checked.values()].filter((n) => n.after.length === 0);
  const running = new Set<RunHandle>();
  const threads = Math.max(1, rt.plan.threads);
  let inFlight = 0;
  const t0 = performance.now();

  return new Promise<Record<string, GraphOutcome>>((resolve, reject) => {
    let over = false;
    const stop = (error: unknown): void => {
      if (over) return;
      over = true;
      signal?.removeEventListener('abort', onAbort);
      for (const h of running) h.cancel(error);
      reject(error);
    };
    const onAbort = (): void => stop(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    const end = (id: string, outcome: GraphOutcome): void => {
      if (over) return;
      outcomes.set(id, outcome);
      if (typeof onProgress === 'function') {
        try {
          (onProgress as (p: GraphProgress) => void)({ done: outcomes.size, total, id, status: outcome.status, elapsedMs: performance.now() - t0 });
        } catch (error) {
          stop(error);
          return;
        }
      }
      for (const c of children.get(id) ?? []) {
        if (outcome.status !== 'fulfilled') {
          if (!outcomes.has(c)) end(c, { status: 'skipped', because: id });
          continue;
        }
        const left = waitingOn.get(c)! - 1;
        waitingOn.set(c, left);
        if (left === 0 && !outcomes.has(c)) ready.push(checked.get(c)!);
      }
      if (outcomes.size === total) {
        over = true;
        signal?.removeEventListener('abort', onAbort);
        const result: Record<string, GraphOutcome> = {};
        for (const nodeId of checked.keys()) result[nodeId] = outcomes.get(nodeId)!;
        resolve(result);
      }
    };

    const startNode = (node: CheckedNode): void => {
      const arg: Record<string, unknown> = { ...node.input };
      for (const d of node.after) arg[d] = (outcomes.get(d) as { value: unknown }).value;
      const fanOut = node.items !== undefined;
      if (!fanOut) inFlight++;
      let work: Promise<unknown>;
      try {
        work = fanOut ? runItems(rt, node.items!(arg), node, run, running) : runItems(rt, [arg], node, run, running).then((v) => v[0]);
      } catch (error) {
        work = Promise.reject(error);
      }
      work.then(
        (value) => settle(node, fanOut, { status: 'fulfilled', value }),
        (reason: unknown) => {
          if (isRunLevel(reason)) stop(reason);
          else settle(node, fanOut, { status: 'rejected', reason: nodeError(node.id, fanOut, reason) });
        },
      );
    };
    const settle = (node: CheckedNode, fanOut: boolean, outcome: GraphOutcome): void => {
      if (!fanOut) inFlight--;
      end(node.id, outcome);
      pump();
    };
    /** Start ready nodes: fan-outs at once (their runs share the pool), single tasks up to the pool's threads, longest chain first. */
    const pump = (): void => {
      if (over) return;
      // Taken from the end: the costliest chain last, ties in the order the nodes were given.
      ready.sort((a, b) => priority.get(a.id)! - priority.get(b.id)! || position.get(b.id)! - position.get(a.id)!);
      for (let k = ready.length - 1; k >= 0; k--) {
        const node = ready[k]!;
        if (node.items === undefined && inFlight >= threads) continue;
        ready.splice(k, 1);
        startNode(node);
        if (over) return;
      }
    };
    pump();
  });

  /** A failure of the graph as a whole (abort, closed runtime), not of one node. */
  function isRunLevel(error: unknown): boolean {
    if (signal?.aborted) return true;
    return (error as { code?: unknown } | null)?.code === ErrorCodes.RUNTIME_CLOSED;
  }
}

/** Name the node in an item failure ("item 0 failed" means nothing to a graph's user). */
function nodeError(id: string, fanOut: boolean, error: unknown): unknown {
  if (!(error instanceof ItemError)) return error;
  const detail = error.message.replace(/^item \d+(?: failed)?: /, '');
  const info: { index: number; attempts: number; cause?: unknown; exitCode?: number } = { index: error.index, attempts: error.attempts };
  if (error.cause !== undefined) info.cause = error.cause;
  if (error.exitCode !== undefined) info.exitCode = error.exitCode;
  return new ItemError(error.code, `node "${id}" failed${fanOut ? ` at item ${error.index}` : ''}: ${detail}`, info);
}
