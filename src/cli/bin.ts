#!/usr/bin/env node
// The `batchtools` executable: everything is in main.ts, which has no side effects of its own. A `run` starts its
// worker threads first, so that they boot while the rest of the command loads (early-start.ts).
import { releaseEarlyPool, startEarlyPool } from './early-start.ts';

const argv = process.argv.slice(2);
// Not awaited: the rest loads beside the pool's small part (loading that alone first measured no faster).
void startEarlyPool(argv);
const { main } = await import('./main.ts');
process.exitCode = await main(argv);
await releaseEarlyPool();
// Standard input still open (a run stopped in the middle of a line, on a pipe or a terminal) must not keep the
// process alive once the command is over.
if (!process.stdin.readableEnded) process.stdin.destroy();
