/**
 * The density view shared by every family on 1-D or 2-D data: where to evaluate the model (a grid
 * over the data's extent), and how to package what it says with samples and held-out points.
 */
import type { DensityField, DensityGrid } from '../../protocol/messages';
import type { PointDataset } from '../data/dataset';

/** Grid cells per axis in 2-D (64x64 evaluations), and points along the axis in 1-D. */
const SIZE_2D = 64;
const SIZE_1D = 200;
/** Enough test points to show the data's shape without covering the field. */
const TEST_POINTS = 600;
const HISTOGRAM_BINS = 40;

/**
 * The grid's points, row-major: in 2-D the first row is at the top (yMax) and each row runs from
 * xMin to xMax, at cell centres; in 1-D, SIZE_1D points from xMin to xMax.
 */
export function gridPoints(data: PointDataset): { points: Float32Array; width: number; height: number } {
  const [x0, x1, y0, y1] = data.extent;
  if (data.dim === 1) {
    const points = Float32Array.from({ length: SIZE_1D }, (_, i) => x0 + ((x1 - x0) * i) / (SIZE_1D - 1));
    return { points, width: SIZE_1D, height: 1 };
  }
  const points = new Float32Array(SIZE_2D * SIZE_2D * 2);
  for (let r = 0; r < SIZE_2D; r++) {
    for (let c = 0; c < SIZE_2D; c++) {
      const i = (r * SIZE_2D + c) * 2;
      points[i] = x0 + ((c + 0.5) * (x1 - x0)) / SIZE_2D;
      points[i + 1] = y1 - ((r + 0.5) * (y1 - y0)) / SIZE_2D;
    }
  }
  return { points, width: SIZE_2D, height: SIZE_2D };
}

function histogram(data: PointDataset): { edges: number[]; counts: number[] } {
  const [x0, x1] = data.extent;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) => x0 + ((x1 - x0) * i) / HISTOGRAM_BINS);
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of data.test.points) {
    const bin = Math.floor(((v - x0) / (x1 - x0)) * HISTOGRAM_BINS);
    if (bin >= 0 && bin < HISTOGRAM_BINS) counts[bin]++;
  }
  return { edges, counts };
}

/**
 * Packages a family's view: `values` on gridPoints(data) (empty for field 'none'), points drawn
 * from the model, and the first held-out points (the test draw is already in random order).
 */
export function densityView(field: DensityField, data: PointDataset, values: ArrayLike<number>, samples: ArrayLike<number>, extra: Pick<DensityGrid, 'reverse'> = {}): DensityGrid {
  const { width, height } = gridPoints(data);
  // JSON has no infinities: a log-density of -Infinity far from the data is sent as -1e4.
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v > 0 ? 1e4 : -1e4);
  return {
    field,
    dim: data.dim,
    extent: [...data.extent],
    width: field === 'none' ? 0 : width,
    height: field === 'none' ? 0 : height,
    values: Array.from(values, round),
    samples: Array.from(samples, round),
    test: Array.from(data.test.points.subarray(0, TEST_POINTS * data.dim), round),
    ...(data.dim === 1 ? { histogram: histogram(data) } : {}),
    ...extra,
  };
}
