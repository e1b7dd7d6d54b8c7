/**
 * Number flags of every command (`--threads 4`, `--confidence 0.9`), checked by the one grammar of
 * base/validate.ts and reported as commander's usage error: `--threads must be a positive integer, got "0"`.
 */
import { InvalidArgumentError } from 'commander';
import { type NumberRule, parseNumberFlag, Rules } from '../base/validate.ts';

/** A commander argument parser for a number flag that must keep `rule`. */
export function numberFlag(flag: string, rule: NumberRule): (text: string) => number {
  return (text: string): number => {
    try {
      return parseNumberFlag(flag, text, rule);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

/** A whole-number flag of at least `min` (0 or 1). */
export function integerOption(flag: string, min: 0 | 1): (text: string) => number {
  return numberFlag(flag, min === 0 ? Rules.nonNegativeInteger : Rules.positiveInteger);
}
