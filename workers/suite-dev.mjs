// Entry of the suite worker when batchtools runs from its TypeScript sources (tests, `src/` imports) rather than
// from `dist/`: registers the TypeScript loader in the worker thread, then runs the real entry, workers/suite.ts.
import { register } from 'tsx/esm/api';

register();
await import('./suite.ts');
