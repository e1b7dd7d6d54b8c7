/** poolifier worker script: the bench task functions, selected by name in `pool.execute(item, name)`. */
import { ThreadWorker } from 'poolifier';
import { noop, work, workAsync, workRecord, workText } from '../workloads.mjs';

export default new ThreadWorker({
  work: (x) => work(/** @type {number} */ (x)),
  workRecord: (x) => workRecord(/** @type {{ id: number, text: string }} */ (x)),
  workText: (x) => workText(/** @type {string} */ (x)),
  // An async function (poolifier runs those through its async path; an arrow returning a promise would be sent as is).
  workAsync,
  noop: (x) => noop(x),
});
