/**
 * Whether a column of numbers read from a person's file can be modelled once it is stored as
 * 32-bit floats, as every family trains on them. Checked where the file is read, on the values as
 * written (in float64) beside their float32 roundings, so that a column that cannot be learnt from
 * is refused with its name and the fix, instead of training into a NaN that looks like a bad
 * learning rate. Statistics stream (Welford's update) and merge (Chan et al.), so no column is kept.
 */
import { UserError } from './userError';

export const FLOAT32_MAX = 3.4028234663852886e38;
/** The smallest normal float32: below it precision is lost, and squares of spreads underflow to 0. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
/** How far float32 rounding may move a column's variance before the data the model sees is not the data. */
const ROUNDING_TOLERANCE = 0.01;

/** Count, mean and sum of squared deviations of values, as written and as float32. */
export class ColumnStats {
  count = 0;
  min = Infinity;
  max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private mean32 = 0;
  private m232 = 0;

  add(v: number): void {
    const v32 = Math.fround(v);
    this.count++;
    this.min = Math.min(this.min, v);
    this.max = Math.max(this.max, v);
    const d = v - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (v - this.mean);
    const d32 = v32 - this.mean32;
    this.mean32 += d32 / this.count;
    this.m232 += d32 * (v32 - this.mean32);
  }

  /** These statistics and `other`'s, as of one column holding both sets of values. */
  merged(other: ColumnStats): ColumnStats {
    const out = new ColumnStats();
    const n = this.count + other.count;
    if (!n) return out;
    const join = (ma: number, mb: number, sa: number, sb: number) => {
      const d = mb - ma;
      return [ma + (d * other.count) / n, sa + sb + (d * d * this.count * other.count) / n];
    };
    out.count = n;
    out.min = Math.min(this.min, other.min);
    out.max = Math.max(this.max, other.max);
    [out.mean, out.m2] = join(this.mean, other.mean, this.m2, other.m2);
    [out.mean32, out.m232] = join(this.mean32, other.mean32, this.m232, other.m232);
    return out;
  }

  get variance(): number {
    return this.m2 / this.count;
  }

  get variance32(): number {
    return this.m232 / this.count;
  }

  get centre(): number {
    return this.mean;
  }
}

/** Four significant digits, in exponent form (1.443e20) when plain digits would run long. */
function short(v: number): string {
  const t = Number(v.toPrecision(4));
  return Math.abs(t) >= 1e6 || (t !== 0 && Math.abs(t) < 1e-3) ? t.toExponential().replace('e+', 'e') : String(t);
}
const powerOfTen = (v: number) => `1e${Math.round(Math.log10(v))}`;

/**
 * Throws a UserError naming `column` of `file` and the fix when its values are all equal, spread
 * so widely or so narrowly that their squares leave float32's range, or so close together for
 * their size that float32 rounding changes their spread.
 */
export function checkColumn(stats: ColumnStats, column: string, file: string): void {
  const where = `${column} in ${file}`;
  if (stats.min === stats.max) {
    throw new UserError(
      `${where} holds one value, ${stats.min}, in all ${stats.count} rows: a density of it has no spread to learn (its variance is 0).`,
      'Choose a column whose values vary.',
    );
  }
  const sd = Math.sqrt(stats.variance);
  if (stats.variance > FLOAT32_MAX) {
    throw new UserError(
      `${where} is spread too widely for 32-bit floats: its standard deviation, ${short(sd)}, squared is over 3.4e38 and would overflow.`,
      `Divide the column by ${powerOfTen(sd)} (change its units) before training.`,
    );
  }
  if (stats.variance < FLOAT32_MIN_NORMAL) {
    throw new UserError(
      `${where} varies too little for 32-bit floats: its standard deviation, ${short(sd)}, squared is below 1.2e-38 and would be lost.`,
      `Multiply the column by ${powerOfTen(1 / sd)} (change its units) before training.`,
    );
  }
  if (Math.abs(stats.variance32 - stats.variance) > ROUNDING_TOLERANCE * stats.variance) {
    throw new UserError(
      `${where} varies by ${short(sd)} around ${short(stats.centre)}: 32-bit floats keep about 7 significant digits, too few to tell its values apart (rounded to them, its standard deviation becomes ${short(Math.sqrt(stats.variance32))}).`,
      `Subtract a round number near ${short(stats.centre)} from the column (or change its units) before training.`,
    );
  }
}
