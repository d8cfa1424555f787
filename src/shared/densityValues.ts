/**
 * A density view's numbers, as GenLab's trainer and genlab/log both make them: the grid a model
 * is evaluated on, values rounded for the file, and the histogram of 1-D test data the view draws
 * the density over.
 */

/** Grid cells per axis in 2-D (64x64 evaluations), and points along the axis in 1-D. */
export const GRID_SIZE = { 1: 200, 2: 64 } as const;

/**
 * The grid's points, row-major over [x0, x1, y0, y1]: in 2-D the first row is at the top (y1) and
 * each row runs from x0 to x1, at cell centres; in 1-D, `size` points from x0 to x1.
 */
export function gridPoints(extent: readonly number[], dim: 1 | 2, size: number = GRID_SIZE[dim]): { points: Float32Array; width: number; height: number } {
  const [x0, x1, y0, y1] = extent;
  if (dim === 1) return { points: Float32Array.from({ length: size }, (_, i) => x0 + ((x1 - x0) * i) / (size - 1)), width: size, height: 1 };
  const points = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const i = (r * size + c) * 2;
      points[i] = x0 + ((c + 0.5) * (x1 - x0)) / size;
      points[i + 1] = y1 - ((r + 0.5) * (y1 - y0)) / size;
    }
  }
  return { points, width: size, height: size };
}

/** 4 decimals; JSON has no infinities, so a log-density of -Infinity far from the data is written as -1e4. */
export function roundForView(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v > 0 ? 1e4 : -1e4;
}

/** `bins` equal bins over [x0, x1); points outside are left out. */
export function histogram(points: ArrayLike<number>, x0: number, x1: number, bins: number): { edges: number[]; counts: number[] } {
  const edges = Array.from({ length: bins + 1 }, (_, i) => x0 + ((x1 - x0) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < points.length; i++) {
    const bin = Math.floor(((points[i] - x0) / (x1 - x0)) * bins);
    if (bin >= 0 && bin < bins) counts[bin]++;
  }
  return { edges, counts };
}
