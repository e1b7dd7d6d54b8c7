/**
 * Validation of a result document read from disk: is it ours, of this schema version, and well-formed? Every
 * error names the file and the field (`suites[0].tasks[2].latency.mean`).
 */
import { formatValue } from '../base/validate.ts';
import { SuiteError, SuiteErrorCodes } from './errors.ts';
import { RESULT_FORMAT, SCHEMA_VERSION, STATISTICS_KEYS, type BenchDocument } from './types.ts';

type Json = Record<string, unknown>;

class Checker {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  fail(field: string, message: string): never {
    throw new SuiteError(SuiteErrorCodes.INVALID_RESULT, `${this.file}: field "${field}" ${message}`, { file: this.file, field });
  }

  object(value: unknown, field: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, `must be an object, got ${kind(value)}`);
    return value as Json;
  }

  array(value: unknown, field: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `must be an array, got ${kind(value)}`);
    return value;
  }

  string(value: unknown, field: string, nullable = false): void {
    if (typeof value === 'string' || (nullable && value === null)) return;
    this.fail(field, `must be a string${nullable ? ' or null' : ''}, got ${kind(value)}`);
  }

  number(value: unknown, field: string, nullable = false): void {
    if (typeof value === 'number' || (nullable && value === null)) return;
    this.fail(field, `must be a number${nullable ? ' or null' : ''}, got ${kind(value)}`);
  }

  boolean(value: unknown, field: string): void {
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${kind(value)}`);
  }
}

/** The received value in the grammar's words (base/validate.ts), long strings cut to 40 characters. */
function kind(value: unknown): string {
  return formatValue(typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * Check that `value` (parsed JSON) is a batchtools bench result of the supported schema version.
 *
 * @param value The parsed document.
 * @param file The file it came from, named in every error.
 * @throws {SuiteError} `BT_SUITE_INVALID_RESULT`, naming the file and the field.
 */
export function validateDocument(value: unknown, file: string): BenchDocument {
  const c = new Checker(file);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || (value as Json)['format'] !== RESULT_FORMAT) {
    throw new SuiteError(
      SuiteErrorCodes.INVALID_RESULT,
      `${file} is not a batchtools bench result (expected an object with "format": "${RESULT_FORMAT}"; write one with \`batchtools bench --json\`)`,
      { file, field: 'format' },
    );
  }
  const doc = value as Json;
  // Schema 1 (one run per suite) reads as schema 2 with `runs: 1` and each task's one run mean.
  const upgrade = doc['schemaVersion'] === 1;
  if (doc['schemaVersion'] !== SCHEMA_VERSION && !upgrade) {
    throw new SuiteError(
      SuiteErrorCodes.INVALID_RESULT,
      `${file}: field "schemaVersion" is ${JSON.stringify(doc['schemaVersion'])}, but this batchtools reads schema versions 1 to ${SCHEMA_VERSION}; re-record the baseline with this version`,
      { file, field: 'schemaVersion' },
    );
  }
  checkMachine(c, c.object(doc['machine'], 'machine'));
  const run = c.object(doc['run'], 'run');
  c.number(run['parallel'], 'run.parallel');
  c.boolean(run['contended'], 'run.contended');
  c.number(run['maxSamples'], 'run.maxSamples', true);
  if (upgrade) run['runs'] = 1;
  c.number(run['runs'], 'run.runs');
  c.string(run['startedAt'], 'run.startedAt');
  c.number(run['durationMs'], 'run.durationMs');
  if (run['isolation'] !== 'worker-per-suite') c.fail('run.isolation', `must be "worker-per-suite", got ${kind(run['isolation'])}`);
  for (const [i, suite] of c.array(doc['suites'], 'suites').entries()) checkSuite(c, c.object(suite, `suites[${i}]`), `suites[${i}]`);
  if (upgrade) doc['schemaVersion'] = SCHEMA_VERSION;
  return value as BenchDocument;
}

function checkMachine(c: Checker, m: Json): void {
  const cpu = c.object(m['cpu'], 'machine.cpu');
  c.string(cpu['manufacturer'], 'machine.cpu.manufacturer', true);
  c.string(cpu['brand'], 'machine.cpu.brand', true);
  c.number(cpu['speedGHz'], 'machine.cpu.speedGHz', true);
  c.number(cpu['logicalCores'], 'machine.cpu.logicalCores');
  c.number(cpu['physicalCores'], 'machine.cpu.physicalCores', true);
  c.number(c.object(m['memory'], 'machine.memory')['totalBytes'], 'machine.memory.totalBytes');
  const os = c.object(m['os'], 'machine.os');
  c.string(os['platform'], 'machine.os.platform');
  c.string(os['arch'], 'machine.os.arch');
  for (const k of ['distro', 'release', 'kernel']) c.string(os[k], `machine.os.${k}`, true);
  const node = c.object(m['node'], 'machine.node');
  c.string(node['version'], 'machine.node.version');
  c.string(node['v8'], 'machine.node.v8');
}

function checkError(c: Checker, value: unknown, field: string): void {
  if (value === null) return;
  const e = c.object(value, field);
  c.string(e['name'], `${field}.name`);
  c.string(e['message'], `${field}.message`);
  c.string(e['code'], `${field}.code`, true);
  c.string(e['stack'], `${field}.stack`, true);
}

function checkSuite(c: Checker, s: Json, at: string): void {
  c.string(s['file'], `${at}.file`);
  c.string(s['name'], `${at}.name`, true);
  if (s['status'] !== 'completed' && s['status'] !== 'failed') c.fail(`${at}.status`, `must be "completed" or "failed", got ${kind(s['status'])}`);
  c.string(s['phase'], `${at}.phase`, true);
  checkError(c, s['error'], `${at}.error`);
  c.number(s['durationMs'], `${at}.durationMs`);
  if (s['options'] !== null) {
    const o = c.object(s['options'], `${at}.options`);
    for (const k of ['time', 'iterations', 'warmupTime', 'warmupIterations']) c.number(o[k], `${at}.options.${k}`);
    for (const k of ['warmup', 'throws', 'retainSamples', 'subtractTimerOverhead']) c.boolean(o[k], `${at}.options.${k}`);
    for (const k of ['threshold', 'timerOverhead']) c.number(o[k], `${at}.options.${k}`, true);
    for (const k of ['concurrency', 'timestampProvider', 'runtime', 'runtimeVersion']) c.string(o[k], `${at}.options.${k}`, true);
  }
  for (const [j, task] of c.array(s['tasks'], `${at}.tasks`).entries()) checkTask(c, c.object(task, `${at}.tasks[${j}]`), `${at}.tasks[${j}]`);
}

function checkTask(c: Checker, t: Json, at: string): void {
  c.string(t['name'], `${at}.name`);
  c.string(t['state'], `${at}.state`);
  checkError(c, t['error'], `${at}.error`);
  for (const k of ['latency', 'throughput']) {
    if (t[k] === null) continue;
    const stats = c.object(t[k], `${at}.${k}`);
    for (const s of STATISTICS_KEYS) c.number(stats[s], `${at}.${k}.${s}`, s === 'rme');
  }
  c.number(t['period'], `${at}.period`, true);
  c.number(t['totalTime'], `${at}.totalTime`, true);
  if (t['samples'] !== null) {
    const samples = c.array(t['samples'], `${at}.samples`);
    const bad = samples.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) c.fail(`${at}.samples[${bad}]`, `must be a number, got ${kind(samples[bad])}`);
  }
  c.boolean(t['samplesCapped'], `${at}.samplesCapped`);
  const latency = t['latency'] !== null && typeof t['latency'] === 'object' ? (t['latency'] as Json) : null;
  const schema1 = !('runMeans' in t);
  // schema 1 (one run): that run's mean and median
  if (schema1) t['runMeans'] = latency ? [latency['mean']] : null;
  // written before run medians were recorded: none (a comparison then uses the run means)
  if (!('runMedians' in t)) t['runMedians'] = schema1 && latency ? [latency['p50']] : null;
  // written before run lows were recorded: none (a comparison then uses the run medians)
  if (!('runLows' in t)) t['runLows'] = null;
  for (const k of ['runMeans', 'runMedians', 'runLows']) {
    if (t[k] === null) continue;
    const values = c.array(t[k], `${at}.${k}`);
    const bad = values.findIndex((x) => typeof x !== 'number');
    if (bad >= 0) c.fail(`${at}.${k}[${bad}]`, `must be a number, got ${kind(values[bad])}`);
  }
  c.string(t['warning'], `${at}.warning`, true);
}
