/**
 * The defaults of `batchtools bench` and of the suites API, in a module of their own: the CLI shows them in its
 * help without loading the runner, the statistics or the file globbing (those load only when `bench` runs).
 */

/** Default of {@link CompareOptions.threshold}: a significant regression beyond this percentage fails. */
export const DEFAULT_THRESHOLD = 10;
/** Default of {@link CompareOptions.confidence}. */
export const DEFAULT_CONFIDENCE = 0.95;
/** Default of {@link RunSuitesOptions.runs}. */
export const DEFAULT_RUNS = 10;
/** Default of {@link RunSuitesOptions.maxSamples}. */
export const DEFAULT_MAX_SAMPLES = 1000;
