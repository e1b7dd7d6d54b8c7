// Entry used when batchtools runs from its TypeScript sources (tests, `src/` imports) rather than from `dist/`:
// registers the TypeScript loader in the worker thread, then hands piscina the real batch worker.
import { register } from 'tsx/esm/api';

register();
const { default: runChunk } = await import('./batch.ts');
export default runChunk;
