// Task of the isolation-cost benchmark: the integer-mixing work of workloads.mjs; a negative item is a poison
// item that kills its worker (process.exit) after doing its work.
import { work } from './workloads.mjs';

export function run(item) {
  if (item < 0) {
    work(-item);
    process.exit(1);
  }
  return work(item);
}
