/**
 * Distinct functions to call from a call site a few rounds at load, so that V8 sees it megamorphic and never
 * inlines a task into it (the item loop, the CLI's block loop, the composite's stage calls; see warmCallSite in
 * item-loop.ts for why). Fresh ones on each call: six different targets of different shapes and results.
 */
export function warmUpFunctions(): Array<(x: unknown) => unknown> {
  return [(x) => x, (x) => [x], (x) => ({ x }), (x) => typeof x, (x) => x === 1, (x) => String(x)];
}

/** Rounds over {@link warmUpFunctions}: feedback is collected only after a function has run a few times. */
export const WARM_UP_ROUNDS = 4;
