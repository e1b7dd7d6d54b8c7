#!/usr/bin/env node
// The `batchtools` executable: everything is in main.ts, which has no side effects of its own.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
// Standard input still open (a run stopped in the middle of a line, on a pipe or a terminal) must not keep the
// process alive once the command is over.
if (!process.stdin.readableEnded) process.stdin.destroy();
