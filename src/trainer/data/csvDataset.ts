import * as path from 'node:path';
import type { CsvPoints } from '../../shared/csv';
import { UserError } from '../../shared/userError';
import type { PointDataset } from './pointDataset';
import { fixedSplit } from './split';

/**
 * The rows as a dataset: a fixed shuffle splits off a tenth (at least one row) as the test set,
 * and the extent covers the data with a margin of a tenth of its range on each side.
 */
export function csvDataset(file: string, data: CsvPoints): PointDataset {
  if (data.dim !== 1 && data.dim !== 2) throw new UserError(`Pick one or two columns, not ${data.dim}.`, 'GenLab models 1-D or 2-D data from CSV files.');
  const dim = data.dim;
  const split = fixedSplit(data.count);
  const take = (rows: Uint32Array) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => out.set(data.points.subarray(r * dim, (r + 1) * dim), i * dim));
    return { count: rows.length, points: out };
  };
  const range = (d: number): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = d; i < data.points.length; i += dim) {
      lo = Math.min(lo, data.points[i]);
      hi = Math.max(hi, data.points[i]);
    }
    const pad = (hi - lo) * 0.1 || Math.abs(lo) * 0.1 || 1;
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = range(0);
  const [y0, y1] = dim === 2 ? range(1) : [0, 1];
  return {
    kind: 'points',
    name: 'csv',
    dim,
    train: take(split.train),
    test: take(split.test),
    extent: [x0, x1, y0, y1],
    description: `${path.basename(file)}: ${data.columns.join(', ')} (${data.count} rows)`,
  };
}
