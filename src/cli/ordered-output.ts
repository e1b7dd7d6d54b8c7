/**
 * Writes output lines in input order while results arrive in completion order: a line waits until every line
 * before it is written. Lines of items finished by an earlier, interrupted run are read back from the journal.
 * The target is an {@link AtomicFile} (renamed into place at the end) or standard output (with backpressure).
 */
import { once } from 'node:events';
import { CliError } from './cli-error.ts';
import { AtomicFile, removeStaleTemps } from './files.ts';
import { isAlive } from './lock.ts';
import { SpillFile, type Spilled } from './spill.ts';

/** Where output lines go. */
export interface OutputTarget {
  /** Human name for messages (`out.jsonl`, `standard output`). */
  readonly name: string;
  /** Append text, or UTF-8 bytes. */
  write(text: string | Uint8Array): void;
  /** True while the consumer is behind: wait for {@link drain} before producing more. */
  readonly congested: boolean;
  drain(): Promise<void>;
  /** Make the output final (rename into place / flush). */
  commit(): Promise<void>;
  /** Leave nothing behind (drop the temporary file). */
  abort(): void;
}

/** Output to a file, atomically (a new file gets `mode`; an existing one keeps its own). */
export function fileTarget(path: string, name: string, mode?: number): OutputTarget {
  removeStaleTemps(path, isAlive);
  const file = new AtomicFile(path, { mode });
  return {
    name,
    write: (text) => file.write(text),
    congested: false,
    drain: async () => {},
    commit: async () => file.commit(),
    abort: () => file.abort(),
  };
}

/** Output to standard output, in order, as lines become ready. */
export function stdoutTarget(stream: NodeJS.WriteStream = process.stdout): OutputTarget {
  let congested = false;
  let broken = false;
  const closed = (): CliError => {
    broken = true;
    return new CliError('standard output was closed before the output was complete', 'the program reading the output stopped early');
  };
  stream.on('error', () => {
    broken = true;
  });
  return {
    name: 'standard output',
    write(text) {
      if (broken) throw closed();
      try {
        if (!stream.write(text)) congested = true;
      } catch {
        throw closed();
      }
    },
    get congested() {
      return congested;
    },
    async drain() {
      if (broken) throw closed();
      if (!congested) return;
      try {
        await once(stream, 'drain');
      } catch {
        throw closed();
      }
      congested = false;
    },
    async commit() {
      await this.drain();
      if (broken) throw closed();
    },
    abort() {},
  };
}

/** Source of lines already decided before this run (the journal of an interrupted one). */
export interface Prefilled {
  read(index: number): string | undefined;
  /** Item `index`'s line and those of the items after it that are read along with it (each with its newline). */
  readRun?(index: number): { text: string; count: number } | undefined;
}

/** Characters of waiting lines kept in memory before further ones go to a spill file. */
const MEMORY_BUDGET = 64 * 1024 * 1024;

/**
 * Puts lines in input order. Lines that wait for an earlier one are kept in memory up to a budget, then in a
 * {@link SpillFile}, so that one slow item early in a long input cannot fill the memory.
 */
export class OrderedOutput {
  readonly #target: OutputTarget;
  readonly #prefilled: Prefilled | undefined;
  readonly #waiting = new Map<number, string | Uint8Array | Spilled | null>();
  /** Entries of #waiting that hold several lines (put by {@link putRange}): first index -> count. */
  readonly #spans = new Map<number, number>();
  readonly #budget: number;
  #inMemory = 0;
  #spill: SpillFile | undefined;
  #next = 0;

  constructor(target: OutputTarget, prefilled?: Prefilled, budget = MEMORY_BUDGET) {
    this.#target = target;
    this.#prefilled = prefilled;
    this.#budget = budget;
  }

  /** Lines written so far (the next index to write). */
  get written(): number {
    return this.#next;
  }

  /** Lines held back, waiting for an earlier one. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Whether waiting lines went to a spill file. */
  get spilled(): boolean {
    return this.#spill !== undefined;
  }

  /** Hand over the line of item `index` (without newline); `null`: item `index` has no line here. */
  put(index: number, line: string | null): void {
    if (index === this.#next) {
      if (line !== null) this.#target.write(`${line}\n`);
      this.#next++;
      this.#advance();
    } else if (line === null) {
      this.#waiting.set(index, null);
    } else if (this.#inMemory + line.length <= this.#budget) {
      this.#waiting.set(index, line);
      this.#inMemory += line.length;
    } else {
      this.#spill ??= new SpillFile();
      this.#waiting.set(index, this.#spill.append(line));
    }
  }

  /**
   * Hand over the lines of items `first` … `first + count - 1` at once: `text` holds them in order, each with its
   * newline (it may hold fewer lines than `count`: a failures file has none for items that did not fail), as
   * text or as UTF-8 bytes (written as they are); `null`: none of them has a line here.
   */
  putRange(first: number, count: number, text: string | Uint8Array | null): void {
    if (count === 1 && typeof text === 'string' && text.endsWith('\n') && text.indexOf('\n') === text.length - 1) {
      this.put(first, text.slice(0, -1));
      return;
    }
    if (first === this.#next) {
      if (text !== null && text.length > 0) this.#target.write(text);
      this.#next += count;
      this.#advance();
      return;
    }
    if (count !== 1) this.#spans.set(first, count);
    if (text === null || text.length === 0) this.#waiting.set(first, null);
    else if (this.#inMemory + text.length <= this.#budget) {
      this.#waiting.set(first, text);
      this.#inMemory += text.length;
    } else {
      this.#spill ??= new SpillFile();
      this.#waiting.set(first, this.#spill.append(text));
    }
    if (count === 1) this.#spans.set(first, -1);
  }

  /** Write the prefilled lines that are next (also those at the very start, or after the last new one). */
  advance(): void {
    this.#advance();
  }

  /** Drop the spill file, if any. */
  close(): void {
    this.#spill?.close();
    this.#spill = undefined;
  }

  #advance(): void {
    for (;;) {
      const held = this.#waiting.get(this.#next);
      let line: string | Uint8Array | undefined;
      // A span's text has its newlines; -1 marks a one-item span (its text too).
      const span = held === undefined ? undefined : this.#spans.get(this.#next);
      if (span !== undefined) this.#spans.delete(this.#next);
      const count = span === undefined || span === -1 ? 1 : span;
      if (held === undefined) {
        const run = this.#prefilled?.readRun?.(this.#next);
        if (run !== undefined) {
          this.#target.write(run.text);
          this.#next += run.count;
          continue;
        }
        line = this.#prefilled?.read(this.#next);
      } else if (held === null) {
        this.#waiting.delete(this.#next);
        this.#next += count;
        continue;
      } else {
        this.#waiting.delete(this.#next);
        if (typeof held === 'string' || held instanceof Uint8Array) {
          this.#inMemory -= held.length;
          line = held;
        } else line = this.#spill!.read(held);
      }
      if (line === undefined) return;
      // Only a span's text may be bytes (put() takes text): it has its newlines.
      this.#target.write(span === undefined ? `${line as string}\n` : line);
      this.#next += count;
    }
  }
}
