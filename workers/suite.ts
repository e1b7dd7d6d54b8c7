/** The suite worker: the runner starts one per suite file; it runs that suite and posts its results. */
import { runSuiteWorker } from '../src/suites/worker-main.ts';

await runSuiteWorker();
