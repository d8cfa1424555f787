/**
 * The density view shared by every family on 1-D or 2-D data: where to evaluate the model (a grid
 * over the data's extent), and how to package what it says with samples and held-out points.
 */
import type { DensityField, DensityGrid } from '../../protocol/messages';
import { gridPoints as sharedGrid, histogram, roundForView } from '../../shared/densityValues';
import type { PointDataset } from '../data/dataset';

/** Enough test points to show the data's shape without covering the field. */
const TEST_POINTS = 600;
const HISTOGRAM_BINS = 40;

/** Where a family evaluates its model for the density view: the shared grid over the data's extent. */
export function gridPoints(data: PointDataset): { points: Float32Array; width: number; height: number } {
  return sharedGrid(data.extent, data.dim === 1 ? 1 : 2);
}

/**
 * Packages a family's view: `values` on gridPoints(data) (empty for field 'none'), points drawn
 * from the model, and the first held-out points (the test draw is already in random order).
 */
export function densityView(field: DensityField, data: PointDataset, values: ArrayLike<number>, samples: ArrayLike<number>, extra: Pick<DensityGrid, 'reverse'> = {}): DensityGrid {
  const { width, height } = gridPoints(data);
  return {
    field,
    dim: data.dim,
    extent: [...data.extent],
    width: field === 'none' ? 0 : width,
    height: field === 'none' ? 0 : height,
    values: Array.from(values, roundForView),
    samples: Array.from(samples, roundForView),
    test: Array.from(data.test.points.subarray(0, TEST_POINTS * data.dim), roundForView),
    ...(data.dim === 1 ? { histogram: histogram(data.test.points, data.extent[0], data.extent[1], HISTOGRAM_BINS) } : {}),
    ...extra,
  };
}
