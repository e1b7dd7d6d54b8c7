/** The dedicated worker: one user module per worker, called over comlink (see src/rpc/dedicated.ts). */
import { serveDedicated } from '../src/rpc/dedicated-worker.ts';

await serveDedicated();
