/**
 * The loss history as the chart keeps it, and its decimation for drawing. Pure: no DOM, so it is
 * tested in Node.
 *
 * Points live in growing typed arrays (one column of steps, one column per loss term, raw and
 * smoothed). Each column also keeps a pyramid of extrema: at level k, block j holds the indices
 * of the smallest and largest value among points [j·2^k, (j+1)·2^k). Appending a point updates
 * the pyramid in amortised O(1), and a view of B pixel columns is drawn from the level whose
 * blocks hold at most one column's worth of points: two points (the block's extremes, in their
 * order) per block. The work per frame is then O(B + points per column), whatever the history's
 * length, and the drawn line has the same vertical extent in every pixel column as the full data.
 */
import type { MetricHistory } from '../../src/protocol/webview';
import { emaNext, emaSeries, type EmaState, emaStart } from './smoothing';

export class GrowableF64 {
  private buf: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity));
  }

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  get(i: number): number {
    return this.buf[i];
  }

  set(i: number, v: number): void {
    this.buf[i] = v;
  }

  last(): number {
    return this.length ? this.buf[this.length - 1] : NaN;
  }

  /** The filled part, without copying (valid until the next push). */
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  /** Ensures room for `n` values and sets the length to `n` (contents unspecified). */
  resize(n: number): void {
    if (n > this.buf.length) {
      let cap = this.buf.length;
      while (cap < n) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.length = n;
  }

  clear(): void {
    this.length = 0;
  }
}

class GrowableI32 {
  private buf = new Int32Array(64);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  get(i: number): number {
    return this.buf[i];
  }
}

/** Extrema of 2^k-point blocks of a column, for k ≥ 1; index -1 stands for "no finite value". */
export class ExtremaPyramid {
  private levels: { lo: GrowableI32; hi: GrowableI32 }[] = [];

  constructor(private readonly values: GrowableF64) {}

  /** Number of levels above the raw values (level k holds blocks of 2^k points). */
  get depth(): number {
    return this.levels.length;
  }

  /** Complete blocks at level k. */
  blocks(k: number): number {
    return k === 0 ? this.values.length : (this.levels[k - 1]?.lo.length ?? 0);
  }

  /** Index of the minimum (`hi` false) or maximum of block j at level k, or -1. */
  extreme(k: number, j: number, hi: boolean): number {
    if (k === 0) return Number.isNaN(this.values.get(j)) ? -1 : j;
    const level = this.levels[k - 1];
    return (hi ? level.hi : level.lo).get(j);
  }

  /** Call after each push to the column. */
  appended(): void {
    const n = this.values.length;
    for (let k = 1; k < 31 && n % (1 << k) === 0; k++) {
      const j = (n >> k) - 1;
      if (this.levels.length < k) this.levels.push({ lo: new GrowableI32(), hi: new GrowableI32() });
      const level = this.levels[k - 1];
      level.lo.push(this.pick(this.extreme(k - 1, 2 * j, false), this.extreme(k - 1, 2 * j + 1, false), false));
      level.hi.push(this.pick(this.extreme(k - 1, 2 * j, true), this.extreme(k - 1, 2 * j + 1, true), true));
    }
  }

  /** Rebuilds every level after the column's values changed in place. */
  rebuild(): void {
    this.levels = [];
    const n = this.values.length;
    for (let k = 1; k < 31 && n >> k > 0; k++) {
      const level = { lo: new GrowableI32(), hi: new GrowableI32() };
      this.levels.push(level);
      for (let j = 0; j < n >> k; j++) {
        level.lo.push(this.pick(this.extreme(k - 1, 2 * j, false), this.extreme(k - 1, 2 * j + 1, false), false));
        level.hi.push(this.pick(this.extreme(k - 1, 2 * j, true), this.extreme(k - 1, 2 * j + 1, true), true));
      }
    }
  }

  private pick(a: number, b: number, hi: boolean): number {
    if (a < 0) return b;
    if (b < 0) return a;
    const va = this.values.get(a);
    const vb = this.values.get(b);
    return (hi ? vb > va : vb < va) ? b : a;
  }
}

export class Column {
  readonly values = new GrowableF64();
  readonly extrema = new ExtremaPyramid(this.values);

  push(v: number): void {
    this.values.push(v);
    this.extrema.appended();
  }
}

/** First index whose value is ≥ x (a.length when none). */
export function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
export function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Decimated {
  x: number[];
  /** One array per column, null where there is nothing to draw (a gap). */
  ys: (number | null)[][];
  /** Pyramid level used: 0 means every point in range was returned. */
  level: number;
}

/**
 * Points to draw for the index range [i0, i1) of columns sharing the x column `xs`, for about
 * `buckets` pixel columns. With `positiveOnly` (log scale) values ≤ 0 become gaps.
 */
export function decimate(xs: GrowableF64, columns: Column[], i0: number, i1: number, buckets: number, positiveOnly = false): Decimated {
  const n = xs.length;
  i0 = Math.max(0, Math.min(n, i0));
  i1 = Math.max(i0, Math.min(n, i1));
  const count = i1 - i0;
  const keep = (v: number): number | null => (Number.isNaN(v) || (positiveOnly && v <= 0) ? null : v);
  buckets = Math.max(1, Math.floor(buckets));
  if (count <= 2 * buckets) {
    const x = new Array<number>(count);
    for (let i = 0; i < count; i++) x[i] = xs.get(i0 + i);
    const ys = columns.map((c) => {
      const y = new Array<number | null>(count);
      for (let i = 0; i < count; i++) y[i] = keep(c.values.get(i0 + i));
      return y;
    });
    return { x, ys, level: 0 };
  }
  // Blocks of at most count/buckets points, so each spans at most one pixel column.
  const k = Math.max(1, Math.min(Math.floor(Math.log2(count / buckets)), columns[0]?.extrema.depth ?? 0));
  const size = 1 << k;
  const j0 = i0 >> k;
  const j1 = (i1 - 1) >> k;
  const x: number[] = [];
  const ys: (number | null)[][] = columns.map(() => []);
  for (let j = j0; j <= j1; j++) {
    const start = j * size;
    const end = Math.min(start + size, n);
    x.push(xs.get(start), xs.get(end - 1));
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c];
      let lo: number;
      let hi: number;
      if (j < col.extrema.blocks(k)) {
        lo = col.extrema.extreme(k, j, false);
        hi = col.extrema.extreme(k, j, true);
      } else {
        // The newest block is not complete yet: scan it.
        lo = -1;
        hi = -1;
        for (let i = start; i < end; i++) {
          const v = col.values.get(i);
          if (Number.isNaN(v)) continue;
          if (lo < 0 || v < col.values.get(lo)) lo = i;
          if (hi < 0 || v > col.values.get(hi)) hi = i;
        }
      }
      const y = ys[c];
      if (lo < 0) y.push(null, null);
      else if (lo <= hi) y.push(keep(col.values.get(lo)), keep(col.values.get(hi)));
      else y.push(keep(col.values.get(hi)), keep(col.values.get(lo)));
    }
  }
  return { x, ys, level: k };
}

/**
 * The run's loss terms over steps: raw values and their smoothed copies, kept in step with each
 * other. Steps only move forward; a point whose step is not after the last one is ignored (it was
 * already in the history the host sent).
 */
export class MetricStore {
  readonly steps = new GrowableF64();
  readonly keys: string[] = [];
  private readonly raw = new Map<string, Column>();
  private readonly smooth = new Map<string, Column>();
  private readonly ema = new Map<string, EmaState>();
  private weight: number;

  constructor(smoothing: number) {
    this.weight = smoothing;
  }

  get length(): number {
    return this.steps.length;
  }

  get smoothing(): number {
    return this.weight;
  }

  rawColumn(key: string): Column {
    return this.raw.get(key)!;
  }

  smoothColumn(key: string): Column {
    return this.smooth.get(key)!;
  }

  clear(): void {
    this.steps.clear();
    this.keys.length = 0;
    this.raw.clear();
    this.smooth.clear();
    this.ema.clear();
  }

  /** Replaces everything with a history sent by the host. Points out of step order are dropped. */
  load(history: MetricHistory): void {
    this.clear();
    for (const key of Object.keys(history.series)) this.addKey(key);
    const n = history.steps.length;
    for (let i = 0; i < n; i++) {
      const values: Record<string, number> = {};
      for (const key of this.keys) {
        const v = history.series[key][i];
        if (typeof v === 'number') values[key] = v;
      }
      this.append(history.steps[i], values);
    }
  }

  /**
   * Adds one point; values for keys not seen before add a series (earlier points get gaps).
   * Returns 'ignored' for a step that is not after the last one, 'new-keys' when series were added.
   */
  append(step: number, values: Record<string, number>): 'ignored' | 'appended' | 'new-keys' {
    if (this.steps.length && !(step > this.steps.last())) return 'ignored';
    let result: 'appended' | 'new-keys' = 'appended';
    for (const key of Object.keys(values)) {
      if (!this.raw.has(key)) {
        this.addKey(key);
        result = 'new-keys';
      }
    }
    this.steps.push(step);
    for (const key of this.keys) {
      const v = values[key];
      const raw = v === undefined || !Number.isFinite(v) ? NaN : v;
      this.raw.get(key)!.push(raw);
      this.smooth.get(key)!.push(emaNext(this.ema.get(key)!, raw, this.weight));
    }
    return result;
  }

  /** Re-smooths every series with a new EMA weight. */
  setSmoothing(weight: number): void {
    if (weight === this.weight) return;
    this.weight = weight;
    for (const key of this.keys) {
      const raw = this.raw.get(key)!.values;
      const col = this.smooth.get(key)!;
      col.values.resize(raw.length);
      const { state } = emaSeries(raw.view(), weight, col.values.view());
      this.ema.set(key, state);
      col.extrema.rebuild();
    }
  }

  /** The newest value of a series (raw or smoothed), NaN when none. */
  latest(key: string, smoothed: boolean): number {
    const col = (smoothed ? this.smooth : this.raw).get(key);
    return col ? col.values.last() : NaN;
  }

  /**
   * A small copy of the history for the webview's saved state: at most about `maxPoints` points,
   * chosen as the extremes of the first series over equal blocks so the chart's shape survives.
   */
  compact(maxPoints: number): MetricHistory {
    const n = this.length;
    const out: MetricHistory = { steps: [], series: Object.fromEntries(this.keys.map((k) => [k, [] as (number | null)[]])) };
    if (!n) return out;
    let indices: number[];
    if (n <= maxPoints) {
      indices = Array.from({ length: n }, (_, i) => i);
    } else {
      const first = this.raw.get(this.keys[0])!;
      const k = Math.min(Math.ceil(Math.log2((2 * n) / maxPoints)), first.extrema.depth);
      const set = new Set<number>([0, n - 1]);
      for (let j = 0; j < first.extrema.blocks(k); j++) {
        const lo = first.extrema.extreme(k, j, false);
        const hi = first.extrema.extreme(k, j, true);
        set.add(lo >= 0 ? lo : j << k);
        if (hi >= 0) set.add(hi);
      }
      indices = [...set].sort((a, b) => a - b);
    }
    for (const i of indices) {
      out.steps.push(this.steps.get(i));
      for (const key of this.keys) {
        const v = this.raw.get(key)!.values.get(i);
        out.series[key].push(Number.isNaN(v) ? null : v);
      }
    }
    return out;
  }

  private addKey(key: string): void {
    const raw = new Column();
    const smooth = new Column();
    for (let i = 0; i < this.steps.length; i++) {
      raw.push(NaN);
      smooth.push(NaN);
    }
    this.keys.push(key);
    this.raw.set(key, raw);
    this.smooth.set(key, smooth);
    this.ema.set(key, emaStart());
  }
}
