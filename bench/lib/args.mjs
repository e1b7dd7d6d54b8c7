/** Command-line flags of the bench scripts. */

/**
 * The whole number after `--name` in `args`, or `fallback` when the flag is absent.
 * @param {string[]} args @param {string} name @param {number} fallback @param {number} min
 * @returns {number}
 * @throws {RangeError} when the value is not a whole number ≥ `min`
 */
export function wholeFlag(args, name, fallback, min) {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name} must be a whole number ≥ ${min}, got ${args[i + 1]}`);
  return value;
}

/**
 * A reader of `--name value` flags in `args`: the text after `--name`, or `fallback` when the flag (or its value) is
 * absent.
 * @param {string[]} args
 * @returns {(name: string, fallback: string) => string}
 */
export function flagReader(args) {
  return (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
}
