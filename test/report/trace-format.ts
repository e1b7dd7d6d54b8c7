/**
 * The rules of the Trace Event Format that Perfetto and chrome://tracing apply to the JSON object form, as a
 * checker for the tests: every problem is named with the event's position.
 */
const PHASES = new Set(['X', 'C', 'i', 'I', 'M', 'B', 'E']);
const METADATA = new Set(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index', 'process_labels']);

/** Problems of a trace document (empty when it follows the format). */
export function traceProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const d = doc as { traceEvents?: unknown; displayTimeUnit?: unknown };
  if (d === null || typeof d !== 'object' || !Array.isArray(d.traceEvents)) return ['not an object with a traceEvents array'];
  if (d.displayTimeUnit !== undefined && d.displayTimeUnit !== 'ms' && d.displayTimeUnit !== 'ns') problems.push('displayTimeUnit must be "ms" or "ns"');
  const lastEnd = new Map<string, number>();
  (d.traceEvents as Array<Record<string, unknown>>).forEach((e, i) => {
    const at = `event ${i}`;
    if (typeof e['name'] !== 'string') problems.push(`${at}: name must be a string`);
    if (typeof e['ph'] !== 'string' || !PHASES.has(e['ph'])) problems.push(`${at}: unknown ph ${String(e['ph'])}`);
    for (const k of ['pid', 'tid']) if (!Number.isInteger(e[k])) problems.push(`${at}: ${k} must be an integer`);
    const ph = e['ph'];
    if (ph === 'M') {
      if (!METADATA.has(e['name'] as string)) problems.push(`${at}: unknown metadata ${String(e['name'])}`);
      if (typeof e['args'] !== 'object' || e['args'] === null) problems.push(`${at}: metadata needs args`);
      return;
    }
    const ts = e['ts'];
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) problems.push(`${at}: ts must be a finite number >= 0`);
    if (ph === 'X') {
      const dur = e['dur'];
      if (typeof dur !== 'number' || !Number.isFinite(dur) || dur < 0) problems.push(`${at}: X needs dur >= 0`);
      else {
        // complete events of one thread must nest; ours never overlap
        const track = `${String(e['pid'])}/${String(e['tid'])}`;
        if ((ts as number) < (lastEnd.get(track) ?? 0)) problems.push(`${at}: overlaps the previous slice of ${track}`);
        lastEnd.set(track, (ts as number) + dur);
      }
    }
    if (ph === 'C') {
      const args = e['args'] as Record<string, unknown> | undefined;
      if (!args || Object.keys(args).length === 0 || Object.values(args).some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        problems.push(`${at}: a counter needs numeric args`);
      }
    }
    if ((ph === 'i' || ph === 'I') && e['s'] !== undefined && !['g', 'p', 't'].includes(e['s'] as string)) problems.push(`${at}: instant scope must be g, p or t`);
  });
  return problems;
}
