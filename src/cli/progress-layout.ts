/**
 * The progress line and the notes above it, laid out for the terminal's width: the line never wraps and never
 * loses the thread and failure counts (the bar, then the words, then the ETA give way first), and notes wrap
 * between words, never inside one.
 */

/** What the progress line shows. */
export interface ProgressFields {
  /** Items finished (formatted). */
  done: string;
  /** Items in all (formatted), or null when unknown. */
  all: string | null;
  /** Fraction done, 0..1, or null when the total is unknown. */
  fraction: number | null;
  /** Items per second (formatted). */
  rate: string;
  /** Time left (formatted), `--` when unknown. */
  left: string;
  threads: number;
  /** Failures so far (formatted). */
  failed: string;
}

const BAR_MAX = 24;
const BAR_MIN = 8;

function bar(fraction: number, width: number): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * The progress line for a terminal `columns` wide: at most `columns - 1` characters (the last column would wrap
 * on some terminals) from 40 columns up. Threads and failures are always there; narrower terminals get the terse
 * line whole, and the terminal wraps it.
 */
export function progressLine(f: ProgressFields, columns: number): string {
  const room = Math.max(20, columns) - 1;
  const threads = `${f.threads} thread${f.threads === 1 ? '' : 's'}`;
  const failed = `${f.failed} failed`;
  const percent = f.fraction === null ? null : `${Math.floor(f.fraction * 100)}%`;
  const count = f.all === null ? f.done : `${f.done}/${f.all}`;
  // Wordy to terse: the first that fits with a bar (the widest up to BAR_MAX, at least BAR_MIN), else the first
  // that fits without one.
  const layouts: string[][] = [
    [percent, `${count} items`, `${f.rate} items/s`, `ETA ${f.left}`, threads, failed],
    [percent, count, `${f.rate}/s`, `ETA ${f.left}`, threads, failed],
    [percent, count, `${f.rate}/s`, threads, failed],
    [percent, count, threads, failed],
    [f.done, threads, failed],
  ].map((parts) => parts.filter((p): p is string => p !== null));
  const texts = [...layouts.map((parts) => parts.join(' | ')), ...layouts.map((parts) => parts.join(' '))];
  if (f.fraction !== null) {
    for (const text of texts) {
      const barWidth = Math.min(BAR_MAX, room - text.length - 1);
      if (barWidth >= BAR_MIN) return `${bar(f.fraction, barWidth)} ${text}`;
    }
  }
  for (const text of texts) if (text.length <= room) return text;
  return texts.at(-1)!;
}

/**
 * A note wrapped to `columns - 1` characters, between words; continuation lines are indented by two spaces. A
 * single word longer than a line stands on its own line, whole (the terminal wraps it; it is not cut).
 */
export function wrapNote(text: string, columns: number): string {
  const room = Math.max(20, columns) - 1;
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const lead = /^\s*/.exec(paragraph)![0];
    const words = paragraph.trim().split(/\s+/).filter(Boolean);
    let line = lead;
    let lineHasWord = false;
    for (const word of words) {
      const candidate = lineHasWord ? `${line} ${word}` : `${line}${word}`;
      if (!lineHasWord || candidate.length <= room) {
        line = candidate;
        lineHasWord = true;
        continue;
      }
      out.push(line);
      line = `${lead}  ${word}`;
    }
    out.push(line);
  }
  return out.join('\n');
}
