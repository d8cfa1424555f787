/**
 * How far a model's samples are from held-out data, for families with no density to score (the
 * GAN, and diffusion here): both point sets are binned on one grid over the data's extent, and the
 * Jensen-Shannon and KL divergences between the two histograms are taken, as GAN Lab shows them.
 * In nats: JS lies between 0 (same histograms) and ln 2 ≈ 0.693 (no overlap).
 */
import type { PointDataset } from '../data/dataset';

/** Cells per axis in 2-D (20x20) and bins in 1-D; points outside the extent share one extra bin. */
export const CELLS_2D = 20;
export const BINS_1D = 40;
/** Added to every bin's probability in KL only, where an empty generated bin would make it infinite. */
const KL_FLOOR = 1e-6;

function histogram(points: ArrayLike<number>, data: Pick<PointDataset, 'dim' | 'extent'>): Float64Array {
  const [x0, x1, y0, y1] = data.extent;
  const cellsX = data.dim === 1 ? BINS_1D : CELLS_2D;
  const cellsY = data.dim === 1 ? 1 : CELLS_2D;
  const outside = cellsX * cellsY;
  const counts = new Float64Array(outside + 1);
  const n = points.length / data.dim;
  for (let i = 0; i < n; i++) {
    const cx = Math.floor(((points[i * data.dim] - x0) / (x1 - x0)) * cellsX);
    const cy = data.dim === 1 ? 0 : Math.floor(((points[i * 2 + 1] - y0) / (y1 - y0)) * cellsY);
    const inside = cx >= 0 && cx < cellsX && cy >= 0 && cy < cellsY;
    counts[inside ? cy * cellsX + cx : outside]++;
  }
  for (let b = 0; b < counts.length; b++) counts[b] /= Math.max(n, 1);
  return counts;
}

/** JS(real, generated) and KL(real || generated) of the two histograms, in nats. */
export function histogramDivergence(real: ArrayLike<number>, generated: ArrayLike<number>, data: Pick<PointDataset, 'dim' | 'extent'>): { js: number; kl: number } {
  const p = histogram(real, data);
  const q = histogram(generated, data);
  let js = 0;
  let kl = 0;
  for (let b = 0; b < p.length; b++) {
    const m = (p[b] + q[b]) / 2;
    if (p[b] > 0) js += 0.5 * p[b] * Math.log(p[b] / m);
    if (q[b] > 0) js += 0.5 * q[b] * Math.log(q[b] / m);
    if (p[b] > 0) kl += p[b] * Math.log(p[b] / (q[b] + KL_FLOOR));
  }
  return { js, kl };
}
