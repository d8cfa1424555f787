import { Rng } from '../rng';

/** Share of a person's examples held out as the test split (at least one). */
const TEST_SHARE = 0.1;
/** The split is fixed per file or folder, not per run, so that runs on the same data compare. */
const SPLIT_SEED = 20261125;

/** Indices 0..count-1 shuffled by a fixed seed: a tenth (at least one) for testing, the rest for training. */
export function fixedSplit(count: number): { train: Uint32Array; test: Uint32Array } {
  const order = new Rng(SPLIT_SEED).permutation(count);
  const testCount = Math.max(1, Math.round(count * TEST_SHARE));
  return { train: order.subarray(testCount), test: order.subarray(0, testCount) };
}
