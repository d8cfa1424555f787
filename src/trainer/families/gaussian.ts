/**
 * One Gaussian fitted by maximum likelihood, on 1-D or 2-D point data: the simplest explicit,
 * tractable density. The fit has a closed form (the sample mean and the biased sample covariance,
 * computed once at create time); training runs gradient ascent on the log-likelihood instead, full
 * batch, to show it converging to that closed form. Every figure is in nats per data point (mean
 * negative log-likelihood).
 *
 * The small linear algebra (d <= 2) is done here in float64 and shared with mixture.ts: a
 * symmetric d x d matrix is stored as [s00, s01, s11] (s01 and s11 unused, 0 and 1, in 1-D).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import type { Dataset, PointDataset } from '../data/dataset';
import { UserError } from '../../shared/userError';
import type { Rng } from '../rng';
import { writeJsonAtomic } from '../../shared/atomicFile';
import { densityView, gridPoints } from './densityGrid';
import type { ModelFamily, TrainableModel } from './family';
import { optimizerPart, type TrainingState, trainingState, variablesPart } from './trainingState';

/** Points drawn from the model for the density view. */
export const SAMPLE_COUNT = 600;
const LOG_2PI = Math.log(2 * Math.PI);

/** A symmetric d x d matrix, d <= 2: [s00, s01, s11]; in 1-D s01 = 0 and s11 = 1 (so det = s00). */
export type Sym = [number, number, number];

export function symDet(s: Sym): number {
  return s[0] * s[2] - s[1] * s[1];
}

export function symInverse(s: Sym): Sym {
  const det = symDet(s);
  return [s[2] / det, -s[1] / det, s[0] / det];
}

/** The lower Cholesky factor [l00, l10, l11] of a positive-definite s. */
export function symCholesky(s: Sym): Sym {
  const l00 = Math.sqrt(s[0]);
  const l10 = s[1] / l00;
  return [l00, l10, Math.sqrt(Math.max(s[2] - l10 * l10, 0))];
}

/** The covariance as d x d rows, for JSON. */
export function symRows(s: Sym, dim: 1 | 2): number[][] {
  return dim === 1 ? [[s[0]]] : [
    [s[0], s[1]],
    [s[1], s[2]],
  ];
}

/** Sample mean and biased (divide by n) sample covariance, in float64. */
export interface Moments {
  count: number;
  mean: [number, number];
  cov: Sym;
}

export function moments(points: ArrayLike<number>, dim: 1 | 2): Moments {
  const n = points.length / dim;
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < n; i++) {
    m0 += points[i * dim];
    if (dim === 2) m1 += points[i * dim + 1];
  }
  m0 /= n;
  m1 /= n;
  // Second pass about the mean: no cancellation.
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  for (let i = 0; i < n; i++) {
    const d0 = points[i * dim] - m0;
    s00 += d0 * d0;
    if (dim === 2) {
      const d1 = points[i * dim + 1] - m1;
      s01 += d0 * d1;
      s11 += d1 * d1;
    }
  }
  return { count: n, mean: [m0, m1], cov: dim === 2 ? [s00 / n, s01 / n, s11 / n] : [s00 / n, 0, 1] };
}

/**
 * Mean NLL of points with these moments under N(mean, cov), exactly, from the moments alone:
 * d/2 log 2pi + 1/2 log|cov| + 1/2 tr(cov^-1 (S + delta delta^T)), delta = point mean - mean.
 */
export function gaussianNll(mean: readonly number[], cov: Sym, m: Moments, dim: 1 | 2): number {
  const p = symInverse(cov);
  const d0 = m.mean[0] - mean[0];
  const d1 = dim === 2 ? m.mean[1] - mean[1] : 0;
  const s = m.cov;
  const trace = dim === 2 ? p[0] * (s[0] + d0 * d0) + 2 * p[1] * (s[1] + d0 * d1) + p[2] * (s[2] + d1 * d1) : p[0] * (s[0] + d0 * d0);
  return 0.5 * (dim * LOG_2PI + Math.log(symDet(cov)) + trace);
}

/** log N(x; mean, cov) at each point (rows of `points`, `dim` values each). */
export function gaussianLogDensity(points: ArrayLike<number>, dim: 1 | 2, mean: readonly number[], cov: Sym): Float64Array {
  const p = symInverse(cov);
  const norm = -0.5 * (dim * LOG_2PI + Math.log(symDet(cov)));
  const n = points.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d0 = points[i * dim] - mean[0];
    const d1 = dim === 2 ? points[i * dim + 1] - mean[1] : 0;
    out[i] = norm - 0.5 * (p[0] * d0 * d0 + 2 * p[1] * d0 * d1 + p[2] * d1 * d1);
  }
  return out;
}

/** Writes mean + chol(cov) z for the standard normal draws z (dim values each) into out at row `row`. */
export function gaussianDraw(out: Float32Array, row: number, dim: 1 | 2, mean: readonly number[], chol: Sym, z: ArrayLike<number>, zRow: number): void {
  const z0 = z[zRow * dim];
  out[row * dim] = mean[0] + chol[0] * z0;
  if (dim === 2) out[row * dim + 1] = mean[1] + chol[1] * z0 + chol[2] * z[zRow * dim + 1];
}

/** The point data a family on 1-D or 2-D data needs, or a UserError naming the fix. */
export function requirePoints(data: Dataset, what: string): PointDataset {
  if (data.kind !== 'points') {
    throw new UserError(`${what} models 1-D or 2-D point data; ${data.name} is ${data.width}x${data.height} images.`, 'Choose a toy dataset such as 8gaussians or bimodal, or the vae family for images.');
  }
  return data;
}

/** The median of coordinate `d` of n×dim points. */
function median(points: Float32Array, dim: number, d: number): number {
  const values = Float64Array.from({ length: points.length / dim }, (_, i) => points[i * dim + d]).sort();
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

class GaussianModel implements TrainableModel {
  private readonly dim: 1 | 2;
  private readonly closedForm: { mean: [number, number]; cov: Sym; trainNll: number; testNll: number };
  private readonly testMoments: Moments;
  /** Moments of the last batch seen, keyed by tensor id: the full-batch loop passes the same tensor each step. */
  private batchMoments?: { id: number; moments: Moments };
  // Parameters: the mean, and the Cholesky factor P of the precision (cov^-1 = P P^T), lower
  // triangular with its diagonal stored as logs, so that every value of the variables is a valid
  // covariance and no matrix inverse is needed in the loss.
  private readonly mu: tf.Variable;
  private readonly logDiag: tf.Variable;
  private readonly offDiag?: tf.Variable;
  private readonly lowerMask?: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;
  private readonly optimizer: tf.Optimizer;
  /** Fixed standard normal draws, so the density view's samples move smoothly as training goes on. */
  private readonly sampleNoise: Float32Array;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'gaussian'>,
    private readonly data: PointDataset,
    rng: Rng,
  ) {
    const dim = (this.dim = data.dim);
    const train = moments(data.train.points, dim);
    this.testMoments = moments(data.test.points, dim);
    this.closedForm = {
      mean: train.mean,
      cov: train.cov,
      trainNll: gaussianNll(train.mean, train.cov, train, dim),
      testNll: gaussianNll(train.mean, train.cov, this.testMoments, dim),
    };
    // Training starts from N(median, I): a unit Gaussian placed on the data (the median, not the
    // mean, which is the answer). From the origin, a few hundred Adam steps of 0.05 would never
    // reach data far from it, such as heights around 170 cm.
    this.mu = tf.variable(tf.tensor2d([Array.from({ length: dim }, (_, d) => median(data.train.points, dim, d))], [1, dim]));
    this.logDiag = tf.variable(tf.zeros([dim]));
    this.eye = tf.eye(dim);
    if (dim === 2) {
      this.offDiag = tf.variable(tf.zeros([2, 2]));
      this.lowerMask = tf.tensor2d([0, 0, 1, 0], [2, 2]);
    }
    this.optimizer = tf.train.adam(config.learningRate);
    this.sampleNoise = rng.fork(1).fillNormal(new Float32Array(SAMPLE_COUNT * dim));
    ({ getState: this.getState, setState: this.setState } = trainingState([
      variablesPart('gaussian', [this.mu, this.logDiag, ...(this.offDiag ? [this.offDiag] : [])]),
      optimizerPart('adam', this.optimizer),
    ]));
  }

  private precisionFactor(): tf.Tensor2D {
    // eye * exp(logDiag) broadcasts to the diagonal matrix (tf.diag has no gradient).
    const diag = tf.mul(this.eye, tf.exp(this.logDiag)) as tf.Tensor2D;
    return this.offDiag ? tf.add(diag, tf.mul(this.offDiag, this.lowerMask!)) : diag;
  }

  /** The current mean and covariance, in float64. */
  params(): { mean: [number, number]; cov: Sym } {
    const [mu, p] = tf.tidy(() => [this.mu.dataSync(), this.precisionFactor().dataSync()]);
    const mean: [number, number] = [mu[0], this.dim === 2 ? mu[1] : 0];
    if (this.dim === 1) return { mean, cov: [1 / (p[0] * p[0]), 0, 1] };
    // cov^-1 = P P^T with P = [[p00, 0], [p10, p11]].
    const precision: Sym = [p[0] * p[0], p[0] * p[2], p[2] * p[2] + p[3] * p[3]];
    return { mean, cov: symInverse(precision) };
  }

  closedFormFit(): { mean: [number, number]; cov: Sym; trainNll: number; testNll: number } {
    return this.closedForm;
  }

  private momentsOf(batch: tf.Tensor2D): Moments {
    if (this.batchMoments?.id !== batch.id) this.batchMoments = { id: batch.id, moments: moments(batch.dataSync(), this.dim) };
    return this.batchMoments.moments;
  }

  /**
   * One Adam step on the batch's mean NLL. Returns the NLL of the parameters this step started
   * from (before the update), and its gap to the closed form's training NLL; both computed exactly
   * in float64 from the batch's moments (the float32 loss only drives the gradient). With the full
   * training set as the batch the gap is >= 0 (clamped against rounding).
   */
  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const { mean, cov } = this.params();
    const nll = gaussianNll(mean, cov, this.momentsOf(batch), this.dim);
    const varList = [this.mu, this.logDiag, ...(this.offDiag ? [this.offDiag] : [])];
    const loss = this.optimizer.minimize(
      () => {
        const z = tf.matMul(tf.sub(batch, this.mu), this.precisionFactor());
        const quad = tf.mean(tf.sum(tf.square(z), 1));
        return tf.sub(tf.add(0.5 * this.dim * LOG_2PI, tf.mul(0.5, quad)), tf.sum(this.logDiag)) as tf.Scalar;
      },
      false,
      varList,
    );
    loss?.dispose();
    return { nll, gapToClosedForm: Math.max(0, nll - this.closedForm.trainNll) };
  }

  /**
   * testNll: mean NLL of the test set under the current parameters; closedFormTestNll: the same
   * under the closed-form fit. mean0, mean1: the current mean; var0, var1: the current variances
   * along x and y; cov01: the current x-y covariance (mean1, var1, cov01 only in 2-D).
   */
  evaluate(): Record<string, number> {
    const { mean, cov } = this.params();
    const values: Record<string, number> = {
      testNll: gaussianNll(mean, cov, this.testMoments, this.dim),
      closedFormTestNll: this.closedForm.testNll,
      mean0: mean[0],
      var0: cov[0],
    };
    if (this.dim === 2) Object.assign(values, { mean1: mean[1], var1: cov[2], cov01: cov[1] });
    return values;
  }

  density(): DensityGrid {
    const { mean, cov } = this.params();
    const values = gaussianLogDensity(gridPoints(this.data).points, this.dim, mean, cov);
    return densityView('log-density', this.data, values, this.draw(this.sampleNoise, SAMPLE_COUNT));
  }

  /** Temperature scales the standard deviation: draws from N(mean, T² cov). */
  generate(count: number, rng: Rng, temperature: number): Float32Array {
    return this.draw(rng.fillNormal(new Float32Array(count * this.dim)).map((z) => z * temperature), count);
  }

  /** Points of the current fit for standard normal `noise` (count × dim). */
  private draw(noise: Float32Array, count: number): Float32Array {
    const { mean, cov } = this.params();
    const chol = symCholesky(cov);
    const out = new Float32Array(count * this.dim);
    for (let i = 0; i < count; i++) gaussianDraw(out, i, this.dim, mean, chol, noise, i);
    return out;
  }

  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const { mean, cov } = this.params();
    const { dim, closedForm } = this;
    writeJsonAtomic(path.join(dir, 'gaussian.json'), {
      family: 'gaussian',
      dim,
      mean: mean.slice(0, dim),
      covariance: symRows(cov, dim),
      testNll: gaussianNll(mean, cov, this.testMoments, dim),
      closedForm: {
        mean: closedForm.mean.slice(0, dim),
        covariance: symRows(closedForm.cov, dim),
        trainNll: closedForm.trainNll,
        testNll: closedForm.testNll,
      },
    });
  }

  dispose(): void {
    tf.dispose([this.mu, this.logDiag, this.eye, ...(this.offDiag ? [this.offDiag, this.lowerMask!] : [])]);
    this.optimizer.dispose();
  }
}

export const gaussianFamily: ModelFamily<'gaussian'> = {
  family: 'gaussian',
  fullBatch: true,
  create: (config, data, rng) => new GaussianModel(config, requirePoints(data, 'A Gaussian'), rng),
};
