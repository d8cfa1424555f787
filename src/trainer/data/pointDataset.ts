/** A dataset of points in 1-D or 2-D: a toy density or the person's CSV columns. */
import type { DatasetName } from '../../protocol/datasets';
import type { PointSplit } from './toy';

export interface PointDataset {
  kind: 'points';
  name: DatasetName;
  dim: 1 | 2;
  train: PointSplit;
  test: PointSplit;
  /** [xMin, xMax, yMin, yMax]: where nearly all the mass lies; density grids cover it. */
  extent: [number, number, number, number];
  description: string;
  /** Problems met loading it that did not stop it (rows of a CSV file skipped). */
  warnings?: string[];
}
