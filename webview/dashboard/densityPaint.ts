/**
 * The density view's arithmetic, with no DOM so that it can be unit tested: colour maps, a grid of
 * values → RGBA pixels (bilinear in value, then coloured), the clipping range of a log-density,
 * histogram normalisation, the 1-D pdf curve, axis ticks and data ↔ pixel mapping.
 *
 * Grid convention (see src/trainer/families/densityGrid.ts): `width*height` values, row-major;
 * in 2-D row 0 is the top (yMax) and each row runs from xMin to xMax, at cell centres. In 1-D the
 * grid is one row of `width` points from xMin to xMax inclusive.
 */

export type Rgb = readonly [number, number, number];

/** A colour map: stops evenly spaced on [0, 1], interpolated linearly in sRGB. */
export type ColourMap = readonly Rgb[];

const hex = (s: string): Rgb => [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)];

/** Viridis (matplotlib), 11 stops: perceptually uniform, luminance rising from dark purple to yellow. */
export const VIRIDIS: ColourMap = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21918c', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'].map(hex);

/**
 * A diverging map for values in [0, 1] around 0.5 (ColorBrewer PRGn): purple (0) through a light
 * neutral (0.5) to green (1). Purple and green stay clear of the blue and orange used for points.
 */
export const DIVERGING: ColourMap = ['#40004b', '#762a83', '#9970ab', '#c2a5cf', '#e7d4e8', '#f7f7f7', '#d9f0d3', '#a6dba0', '#5aae61', '#1b7837', '#00441b'].map(hex);

/** The map's colour at t ∈ [0, 1] (clamped; NaN gives the low end). */
export function colourAt(map: ColourMap, t: number): Rgb {
  const n = map.length - 1;
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * n;
  const i = Math.min(n - 1, Math.floor(x));
  const f = x - i;
  const a = map[i];
  const b = map[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** Relative luminance (WCAG / Rec. 709 on linearised sRGB), 0 (black) to 1 (white). */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Where v falls in [lo, hi], clipped to [0, 1]. Non-finite values: -∞/NaN → 0, +∞ → 1. */
export function unit(v: number, lo: number, hi: number): number {
  if (Number.isNaN(v)) return 0;
  if (!(hi > lo)) return v >= hi ? 1 : 0;
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

/** The colour of a value on a map spanning [lo, hi], values outside clipped to the ends. */
export function valueColour(map: ColourMap, v: number, lo: number, hi: number): Rgb {
  return colourAt(map, unit(v, lo, hi));
}

export interface ValueRange {
  lo: number;
  hi: number;
  /** Some values lie below `lo` (the colour bar shows the low end as open-ended). */
  clippedLow: boolean;
}

/** Default span of a log-density's colour scale: values more than 12 nats below the peak look the same. */
export const LOG_DENSITY_SPAN = 12;

/**
 * The colour range of a log-density (or ELBO) grid: from max − span to max, so that the far tail
 * (where log p → −∞) does not wash out the structure near the data; tighter when every value is
 * within the span. Values ≤ −1e4 stand for −∞ (JSON has no infinities) and are ignored.
 */
export function logDensityRange(values: ArrayLike<number>, span = LOG_DENSITY_SPAN): ValueRange {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v <= -1e4 || v >= 1e4) continue;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (max === -Infinity) return { lo: -1, hi: 0, clippedLow: false };
  let lo = Math.max(min, max - span);
  if (max - lo < 1e-9) lo = max - 1;
  let clippedLow = min < lo;
  for (let i = 0; i < values.length && !clippedLow; i++) if (!(values[i] >= lo)) clippedLow = true;
  return { lo, hi: max, clippedLow };
}

/**
 * The grid as RGBA pixels, `outWidth × outHeight`, row 0 at the top: each pixel's value is
 * interpolated bilinearly between cell centres (clamped at the edges), then coloured. Values are
 * interpolated before colouring, so the picture stays smooth at any size.
 */
export function rasterize(values: ArrayLike<number>, width: number, height: number, outWidth: number, outHeight: number, map: ColourMap, lo: number, hi: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  if (width <= 0 || height <= 0 || values.length < width * height) return out;
  // A lookup table of 256 colours keeps the per-pixel work to arithmetic.
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(colourAt(map, i / 255), i * 3);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const level = (v: number): number => {
    if (Number.isNaN(v)) return 0;
    const l = (v - lo) * scale;
    return l <= 0 ? 0 : l >= 255 ? 255 : Math.round(l);
  };
  // Column positions and weights, computed once.
  const c0 = new Int32Array(outWidth);
  const cf = new Float64Array(outWidth);
  for (let px = 0; px < outWidth; px++) {
    const u = Math.min(width - 1, Math.max(0, ((px + 0.5) / outWidth) * width - 0.5));
    c0[px] = Math.min(width - 2, Math.floor(u));
    cf[px] = u - c0[px];
    if (width === 1) {
      c0[px] = 0;
      cf[px] = 0;
    }
  }
  const clampInf = (v: number) => (v === -Infinity ? lo - 1 : v === Infinity ? hi + 1 : v);
  for (let py = 0; py < outHeight; py++) {
    const v = Math.min(height - 1, Math.max(0, ((py + 0.5) / outHeight) * height - 0.5));
    const r0 = height === 1 ? 0 : Math.min(height - 2, Math.floor(v));
    const rf = height === 1 ? 0 : v - r0;
    const r1 = height === 1 ? 0 : r0 + 1;
    for (let px = 0; px < outWidth; px++) {
      const a = c0[px];
      const b = width === 1 ? a : a + 1;
      const f = cf[px];
      const top = clampInf(values[r0 * width + a]) * (1 - f) + clampInf(values[r0 * width + b]) * f;
      const bottom = clampInf(values[r1 * width + a]) * (1 - f) + clampInf(values[r1 * width + b]) * f;
      const k = level(top * (1 - rf) + bottom * rf) * 3;
      const o = (py * outWidth + px) * 4;
      out[o] = lut[k];
      out[o + 1] = lut[k + 1];
      out[o + 2] = lut[k + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}

/** The data point at the centre of a 2-D grid cell (row 0 at yMax, column 0 at xMin). */
export function cellCentre(extent: readonly number[], width: number, height: number, col: number, row: number): [number, number] {
  const [x0, x1, y0, y1] = extent;
  return [x0 + ((col + 0.5) * (x1 - x0)) / width, y1 - ((row + 0.5) * (y1 - y0)) / height];
}

/** Maps data coordinates to a pixel rectangle: x → left…right, y (up) → bottom…top. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export function toPixelX(f: Frame, x: number): number {
  return f.left + ((x - f.x0) / (f.x1 - f.x0 || 1)) * f.width;
}

export function toPixelY(f: Frame, y: number): number {
  return f.top + (1 - (y - f.y0) / (f.y1 - f.y0 || 1)) * f.height;
}

/**
 * Histogram counts as a density: count / (total × bin width), so that Σ density·width = 1.
 * Empty (all-zero) histograms give zeros.
 */
export function histogramDensity(edges: readonly number[], counts: readonly number[]): number[] {
  const n = Math.min(counts.length, edges.length - 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.max(0, counts[i]);
  const out = new Array<number>(Math.max(0, n)).fill(0);
  if (total <= 0) return out;
  for (let i = 0; i < n; i++) {
    const w = edges[i + 1] - edges[i];
    out[i] = w > 0 ? Math.max(0, counts[i]) / (total * w) : 0;
  }
  return out;
}

/** Counts of 1-D points in the bins given by `edges` (points outside are left out). */
export function binPoints(points: ArrayLike<number>, edges: readonly number[]): number[] {
  const n = edges.length - 1;
  const counts = new Array<number>(Math.max(0, n)).fill(0);
  if (n <= 0) return counts;
  const lo = edges[0];
  const hi = edges[n];
  for (let i = 0; i < points.length; i++) {
    const v = points[i];
    if (!(v >= lo && v <= hi)) continue;
    // Binary search: edges need not be evenly spaced.
    let a = 0;
    let b = n;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (v >= edges[m]) a = m;
      else b = m;
    }
    counts[a]++;
  }
  return counts;
}

/**
 * The model's 1-D curve: `values` sit on `values.length` points from extent[0] to extent[1]
 * inclusive; `exp` turns a log-density (or ELBO) into a density, otherwise the values are kept
 * (a discriminator's output).
 */
export function curve1d(values: ArrayLike<number>, extent: readonly number[], exp: boolean): { xs: number[]; ys: number[] } {
  const n = values.length;
  const [x0, x1] = extent;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    xs.push(n === 1 ? x0 : x0 + ((x1 - x0) * i) / (n - 1));
    const v = values[i];
    ys.push(exp ? (v <= -1e4 ? 0 : Math.exp(v)) : v);
  }
  return { xs, ys };
}

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) within [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [], step: 0 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return { ticks: [lo], step: 0 };
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let v = Math.ceil((lo - eps) / step) * step; v <= hi + eps; v += step) {
    // Round away float noise (0.30000000000000004) and negative zero.
    const r = Number(v.toPrecision(12));
    ticks.push(r === 0 ? 0 : r);
  }
  return { ticks, step };
}

/** The bounding box [xMin, xMax, yMin, yMax] of flattened 2-D points (undefined when there are none). */
export function pointBounds(points: ArrayLike<number>): [number, number, number, number] | undefined {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i];
    const y = points[i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return x0 <= x1 ? [x0, x1, y0, y1] : undefined;
}

/**
 * Height / width of a 2-D plot: the extent's own aspect (so that a circle in the data looks round;
 * a square extent gives a square plot), kept within [0.5, 2] for extreme extents.
 */
export function plotAspect(extent: readonly number[]): number {
  const [x0, x1, y0, y1] = extent;
  const w = x1 - x0;
  const h = y1 - y0;
  if (!(w > 0) || !(h > 0)) return 1;
  return Math.min(2, Math.max(0.5, h / w));
}

/**
 * The field's value at data point (x, y), interpolated bilinearly between cell centres like
 * `rasterize` does; undefined outside the extent or when the grid is empty. In 1-D (`height` 1)
 * the values sit on points from xMin to xMax inclusive and y is ignored.
 */
export function valueAt(values: ArrayLike<number>, width: number, height: number, extent: readonly number[], x: number, y: number): number | undefined {
  const [x0, x1, y0, y1] = extent;
  if (width <= 0 || height <= 0 || values.length < width * height || !(x >= x0 && x <= x1)) return undefined;
  if (height === 1) {
    const u = width === 1 ? 0 : ((x - x0) / (x1 - x0)) * (width - 1);
    const a = Math.min(width - 1, Math.floor(u));
    const b = Math.min(width - 1, a + 1);
    const f = u - a;
    return values[a] * (1 - f) + values[b] * f;
  }
  if (!(y >= y0 && y <= y1)) return undefined;
  const u = Math.min(width - 1, Math.max(0, ((x - x0) / (x1 - x0)) * width - 0.5));
  const v = Math.min(height - 1, Math.max(0, ((y1 - y) / (y1 - y0)) * height - 0.5));
  const c0 = Math.min(Math.max(0, width - 2), Math.floor(u));
  const r0 = Math.min(Math.max(0, height - 2), Math.floor(v));
  const c1 = Math.min(width - 1, c0 + 1);
  const r1 = Math.min(height - 1, r0 + 1);
  const cf = u - c0;
  const rf = v - r0;
  const at = (r: number, c: number) => values[r * width + c];
  return (at(r0, c0) * (1 - cf) + at(r0, c1) * cf) * (1 - rf) + (at(r1, c0) * (1 - cf) + at(r1, c1) * cf) * rf;
}
