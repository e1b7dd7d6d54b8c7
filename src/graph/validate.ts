/**
 * Checks a task graph before any work: every node has a task (or a fan-out `map` with `items`), every dependency
 * names a node, and there is no cycle (the message walks the whole cycle, `a → b → c → a`).
 */
import { InvalidOptionError } from '../errors.ts';
import { formatValue, toTask, type Task } from '../task.ts';

/** A node as checked: its task handle, what it waits for, and how it is run. */
export interface CheckedNode {
  id: string;
  after: string[];
  task: Task<unknown, unknown>;
  /** A fan-out node: the function giving its items from the dependencies' results. */
  items?: (deps: Record<string, unknown>) => Iterable<unknown> | AsyncIterable<unknown>;
  input: Record<string, unknown>;
  /** The node's relative cost (default 1): orders ready nodes when more are ready than threads. */
  cost: number;
}

const KEYS = ['task', 'map', 'items', 'after', 'input', 'cost'];

const at = (id: string, key?: string): string => `nodes[${JSON.stringify(id)}]${key ? `.${key}` : ''}`;

function bad(where: string, message: string): InvalidOptionError {
  return new InvalidOptionError(where, `\`${where}\` ${message}`);
}

function checkNode(id: string, node: unknown): CheckedNode {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    throw bad(at(id), `must be { task, after?, input? } or { map, items, after? }, got ${formatValue(node)}`);
  }
  const o = node as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) throw bad(at(id, key), `is not a known key of a graph node (known: ${KEYS.join(', ')})`);
  }
  const hasTask = o['task'] !== undefined;
  const hasMap = o['map'] !== undefined;
  if (!hasTask && !hasMap) throw bad(at(id), `has no task: give \`task\` (run once), or \`map\` with \`items\` (a fan-out)`);
  if (hasTask && hasMap) throw bad(at(id), 'has both `task` and `map`; give one');
  const after = o['after'] ?? [];
  if (!Array.isArray(after) || after.some((d) => typeof d !== 'string')) {
    throw bad(at(id, 'after'), `must be an array of node ids, got ${formatValue(after)}`);
  }
  const input = o['input'] ?? {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw bad(at(id, 'input'), `must be an object (its fields are passed to the task with the dependencies' results), got ${formatValue(input)}`);
  }
  const cost = o['cost'] ?? 1;
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) throw bad(at(id, 'cost'), `must be a finite number >= 0, got ${formatValue(cost)}`);
  const checked: CheckedNode = {
    id,
    after: [...new Set(after as string[])],
    task: toTask(hasTask ? o['task'] : o['map'], at(id, hasTask ? 'task' : 'map')),
    input: input as Record<string, unknown>,
    cost,
  };
  if (hasMap) {
    if (typeof o['items'] !== 'function') throw bad(at(id, 'items'), `must be a function (deps) => iterable of items for \`map\`, got ${formatValue(o['items'])}`);
    checked.items = o['items'] as CheckedNode['items'] & object;
  } else if (o['items'] !== undefined) throw bad(at(id, 'items'), 'is only for a fan-out node (`map`); a `task` node gets its input from `input` and its dependencies');
  return checked;
}

/** Validate a graph. Throws {@link InvalidOptionError}: a bad node, an unknown dependency, a cycle. */
export function checkGraph(nodes: unknown): Map<string, CheckedNode> {
  if (nodes === null || typeof nodes !== 'object' || Array.isArray(nodes)) {
    throw new InvalidOptionError('nodes', `\`nodes\` must be a record of node id -> node, got ${formatValue(nodes)}`);
  }
  const checked = new Map<string, CheckedNode>();
  for (const [id, node] of Object.entries(nodes)) checked.set(id, checkNode(id, node));
  for (const node of checked.values()) {
    for (const dep of node.after) {
      if (!checked.has(dep)) {
        throw bad(at(node.id, 'after'), `names "${dep}", which is not a node of the graph: node "${node.id}" depends on unknown node "${dep}"`);
      }
    }
  }
  const cycle = findCycle(checked);
  if (cycle) {
    throw new InvalidOptionError('nodes', `the graph has a cycle: ${cycle.join(' → ')} (each node waits for the next); no node was run`);
  }
  return checked;
}

/** A cycle as the list of its nodes, first repeated at the end; undefined when there is none. Iterative DFS. */
function findCycle(nodes: Map<string, CheckedNode>): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1: on the path, 2: done
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 1);
    while (path.length > 0) {
      const id = path[path.length - 1]!;
      const deps = nodes.get(id)!.after;
      const k = next[next.length - 1]!;
      if (k >= deps.length) {
        state.set(id, 2);
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = k + 1;
      const dep = deps[k]!;
      const s = state.get(dep);
      if (s === 1) return [...path.slice(path.indexOf(dep)), dep];
      if (s === undefined) {
        state.set(dep, 1);
        path.push(dep);
        next.push(0);
      }
    }
  }
  return undefined;
}
