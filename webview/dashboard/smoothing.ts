/**
 * Exponential moving average as TensorBoard draws it: the average starts at zero and is divided
 * by the weight it has accumulated so far (bias correction), so the first points are not pulled
 * towards zero and a weight of 0 returns the series unchanged. Values that are not finite pass
 * through untouched and do not disturb the average. Pure: no DOM, tested in Node.
 */

export interface EmaState {
  /** The running, not yet debiased, average. */
  last: number;
  /** How many finite values went into it. */
  count: number;
}

export const SMOOTHING_MIN = 0;
export const SMOOTHING_MAX = 0.99;
export const SMOOTHING_DEFAULT = 0.6;

export function clampSmoothing(weight: number): number {
  if (!Number.isFinite(weight)) return SMOOTHING_DEFAULT;
  return Math.min(SMOOTHING_MAX, Math.max(SMOOTHING_MIN, weight));
}

export function emaStart(): EmaState {
  return { last: 0, count: 0 };
}

/** Feeds one value and returns its smoothed value. */
export function emaNext(state: EmaState, value: number, weight: number): number {
  if (!Number.isFinite(value)) return value;
  state.last = state.last * weight + (1 - weight) * value;
  state.count += 1;
  const debias = weight === 0 ? 1 : 1 - Math.pow(weight, state.count);
  return state.last / debias;
}

/** Smooths a whole series into `out` (allocated when absent) and returns the state to continue from. */
export function emaSeries(values: ArrayLike<number>, weight: number, out?: Float64Array): { smoothed: Float64Array; state: EmaState } {
  const smoothed = out ?? new Float64Array(values.length);
  const state = emaStart();
  for (let i = 0; i < values.length; i++) smoothed[i] = emaNext(state, values[i], weight);
  return { smoothed, state };
}
