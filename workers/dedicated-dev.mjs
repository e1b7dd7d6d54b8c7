// Entry used when batchtools runs from its TypeScript sources: registers the TypeScript loader in the worker
// thread, then starts the real dedicated worker.
import { register } from 'tsx/esm/api';

register();
await import('./dedicated.ts');
