/** workerpool worker script: exposes the bench task functions to `pool.exec(name, [item])`. */
import workerpool from 'workerpool';
import { noop, work, workAsync, workRecord, workText } from '../workloads.mjs';

workerpool.worker({ work, workRecord, workText, workAsync, noop });
