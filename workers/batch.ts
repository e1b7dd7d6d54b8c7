/** The batch worker: piscina loads this file in every pool thread; each task it runs is one chunk of items. */
import { runChunk } from '../src/worker/run-chunk.ts';

export default runChunk;
