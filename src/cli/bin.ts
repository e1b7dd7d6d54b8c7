#!/usr/bin/env node
// The `batchtools` executable: everything is in main.ts, which has no side effects of its own.
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
