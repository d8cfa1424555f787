/**
 * One Gaussian fitted by maximum likelihood, on 1-D or 2-D point data: the simplest explicit,
 * tractable density. The fit has a closed form (the sample mean and the biased sample covariance,
 * computed once at create time, in float64): it is the model, and the headline figures (test NLL,
 * mean, covariance) are its own, at any scale of the data. Training runs gradient ascent on the
 * log-likelihood beside it, full batch, to show it converging to that closed form, and reports
 * whether it got there. Every figure is in nats per data point (mean negative log-likelihood), in
 * the data's units. Data on which the likelihood has no maximum is refused (requireSpread).
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

/** Below this, |correlation| = 1 up to float64 rounding: the points lie on a line. */
const LINE_DETERMINANT = 1e-12;

/**
 * Throws a UserError naming the data and the fix when a Gaussian fit to these training moments
 * would be singular (its likelihood unbounded, its NLL -Infinity or NaN): fewer points than
 * dimensions + 1, a coordinate with one value, or 2-D points on a line.
 */
export function requireSpread(data: PointDataset, train: Moments, what: string): void {
  const { dim } = data;
  const where = `the ${train.count} training points of ${data.description}`;
  if (train.count < dim + 1) {
    throw new UserError(`${what} in ${dim}-D needs at least ${dim + 1} training points (dimensions + 1); ${data.description} has ${train.count}.`, 'Add rows to the data: a tenth of them is held out for testing.');
  }
  const variances = dim === 2 ? [train.cov[0], train.cov[2]] : [train.cov[0]];
  variances.forEach((v, d) => {
    if (!(v > 0)) {
      throw new UserError(
        `${what} cannot be fitted: ${dim === 2 ? `the ${'xy'[d]} coordinate of ${where} has` : `${where} all have`} one value, ${train.mean[d]}, so its variance is 0 and the likelihood has no maximum.`,
        'Choose data whose values vary (in a CSV file, another column).',
      );
    }
  });
  if (dim === 2 && symDet(train.cov) <= LINE_DETERMINANT * train.cov[0] * train.cov[2]) {
    throw new UserError(
      `${what} cannot be fitted: ${where} lie on a line (x and y are perfectly correlated), so the covariance is singular and the likelihood has no maximum.`,
      'Fit one of the two columns in 1-D, or choose two columns that are not a straight-line function of each other.',
    );
  }
}

/** The median of coordinate `d` of n×dim points. */
function median(points: ArrayLike<number>, dim: number, d: number): number {
  const values = Float64Array.from({ length: points.length / dim }, (_, i) => points[i * dim + d]).sort();
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** Gradient ascent has reached the closed form when its train NLL is within this many nats of it. */
export const REACHED_GAP = 1e-3;

interface Fit {
  mean: [number, number];
  cov: Sym;
}

class GaussianModel implements TrainableModel {
  private readonly dim: 1 | 2;
  private readonly closedForm: Fit & { trainNll: number; testNll: number };
  private readonly trainMoments: Moments;
  private readonly testMoments: Moments;
  /**
   * The demonstration runs on points standardised by the data's extent, u = (x - centre) / scale
   * (the extent's middle and half-width per axis), so that Adam's steps, of a fixed size in the
   * parameters, cover the fit in the same number of steps whatever the data's units. Not by the
   * mean and standard deviation: those are the answer, and the unit Gaussian it starts from would
   * already be it. Every figure it reports is in the data's units (its log-determinant included).
   */
  private readonly centre: number[];
  private readonly scale: number[];
  /** The last batch seen, keyed by tensor id (the full-batch loop passes the same tensor each step): its moments and standardised points. */
  private batch?: { id: number; moments: Moments; standardised: tf.Tensor2D };
  // Parameters, in standardised units: the mean, and the Cholesky factor P of the precision
  // (cov^-1 = P P^T), lower triangular with its diagonal stored as logs, so that every value of
  // the variables is a valid covariance and no matrix inverse is needed in the loss.
  private readonly mu: tf.Variable;
  private readonly logDiag: tf.Variable;
  private readonly offDiag?: tf.Variable;
  private readonly lowerMask?: tf.Tensor2D;
  private readonly eye: tf.Tensor2D;
  private readonly optimizer: tf.Optimizer;

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
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
    const train = (this.trainMoments = moments(data.train.points, dim));
    requireSpread(data, train, 'A Gaussian');
    this.testMoments = moments(data.test.points, dim);
    this.closedForm = {
      mean: train.mean,
      cov: train.cov,
      trainNll: gaussianNll(train.mean, train.cov, train, dim),
      testNll: gaussianNll(train.mean, train.cov, this.testMoments, dim),
    };
    const [x0, x1, y0, y1] = data.extent;
    this.centre = [(x0 + x1) / 2, (y0 + y1) / 2].slice(0, dim);
    this.scale = [(x1 - x0) / 2, (y1 - y0) / 2].slice(0, dim);
    // Training starts from N(median, I) in standardised units: a unit Gaussian over the extent,
    // placed on the data (the median, not the mean, which is the answer).
    const start = Array.from({ length: dim }, (_, d) => (median(data.train.points, dim, d) - this.centre[d]) / this.scale[d]);
    this.mu = tf.variable(tf.tensor2d([start], [1, dim]));
    this.logDiag = tf.variable(tf.zeros([dim]));
    this.eye = tf.eye(dim);
    if (dim === 2) {
      this.offDiag = tf.variable(tf.zeros([2, 2]));
      this.lowerMask = tf.tensor2d([0, 0, 1, 0], [2, 2]);
    }
    this.optimizer = tf.train.adam(config.learningRate);
    this.sampleNoise = rng.fork(1).fillNormal(new Float32Array(SAMPLE_COUNT * dim));
    ({ getState: this.getState, setState: this.setState } = trainingState([
      variablesPart('gaussian/standardised', [this.mu, this.logDiag, ...(this.offDiag ? [this.offDiag] : [])]),
      optimizerPart('adam', this.optimizer),
    ]));
  }

  private precisionFactor(): tf.Tensor2D {
    // eye * exp(logDiag) broadcasts to the diagonal matrix (tf.diag has no gradient).
    const diag = tf.mul(this.eye, tf.exp(this.logDiag)) as tf.Tensor2D;
    return this.offDiag ? tf.add(diag, tf.mul(this.offDiag, this.lowerMask!)) : diag;
  }

  /** Gradient ascent's current mean and covariance, in the data's units, in float64. */
  params(): Fit {
    const [mu, p] = tf.tidy(() => [this.mu.dataSync(), this.precisionFactor().dataSync()]);
    const [c, s] = [this.centre, this.scale];
    if (this.dim === 1) return { mean: [c[0] + s[0] * mu[0], 0], cov: [(s[0] * s[0]) / (p[0] * p[0]), 0, 1] };
    // cov_u^-1 = P P^T with P = [[p00, 0], [p10, p11]]; x = centre + diag(scale) u.
    const u = symInverse([p[0] * p[0], p[0] * p[2], p[2] * p[2] + p[3] * p[3]]);
    return { mean: [c[0] + s[0] * mu[0], c[1] + s[1] * mu[1]], cov: [s[0] * s[0] * u[0], s[0] * s[1] * u[1], s[1] * s[1] * u[2]] };
  }

  private see(batch: tf.Tensor2D): { moments: Moments; standardised: tf.Tensor2D } {
    if (this.batch?.id !== batch.id) {
      this.batch?.standardised.dispose();
      const x = batch.dataSync();
      const u = Float32Array.from(x, (v, i) => (v - this.centre[i % this.dim]) / this.scale[i % this.dim]);
      this.batch = { id: batch.id, moments: moments(x, this.dim), standardised: tf.tensor2d(u, batch.shape) };
    }
    return this.batch;
  }

  /**
   * One Adam step on the batch's mean NLL. Returns the NLL of the parameters this step started
   * from (before the update), and its gap to the closed form's training NLL; both computed exactly
   * in float64 from the batch's moments, in the data's units (the float32 loss on standardised
   * points only drives the gradient). With the full training set as the batch the gap is >= 0
   * (clamped against rounding).
   */
  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const { mean, cov } = this.params();
    const { moments: m, standardised } = this.see(batch);
    const nll = gaussianNll(mean, cov, m, this.dim);
    const varList = [this.mu, this.logDiag, ...(this.offDiag ? [this.offDiag] : [])];
    const loss = this.optimizer.minimize(
      () => {
        const z = tf.matMul(tf.sub(standardised, this.mu), this.precisionFactor());
        const quad = tf.mean(tf.sum(tf.square(z), 1));
        return tf.sub(tf.add(0.5 * this.dim * LOG_2PI, tf.mul(0.5, quad)), tf.sum(this.logDiag)) as tf.Scalar;
      },
      false,
      varList,
    );
    loss?.dispose();
    return { nll, gapToClosedForm: Math.max(0, nll - this.closedForm.trainNll) };
  }

  /** Gradient ascent's figures, in the data's units. */
  private ascent(): Fit & { trainNll: number; testNll: number; gap: number; reached: boolean } {
    const fit = this.params();
    const trainNll = gaussianNll(fit.mean, fit.cov, this.trainMoments, this.dim);
    const gap = Math.max(0, trainNll - this.closedForm.trainNll);
    return { ...fit, trainNll, testNll: gaussianNll(fit.mean, fit.cov, this.testMoments, this.dim), gap, reached: gap < REACHED_GAP };
  }

  /**
   * The fit is the closed form: testNll is the test set's mean NLL under it; mean0, mean1 its mean;
   * var0, var1 its variances along x and y; cov01 its x-y covariance (mean1, var1, cov01 only in
   * 2-D). The demonstration: ascentTestNll, the test NLL under gradient ascent's parameters now;
   * reachedClosedForm, 1 once their train NLL is within REACHED_GAP nats of the closed form's, else 0.
   */
  evaluate(): Record<string, number> {
    const { mean, cov, testNll } = this.closedForm;
    const ascent = this.ascent();
    const values: Record<string, number> = { testNll, mean0: mean[0], var0: cov[0] };
    if (this.dim === 2) Object.assign(values, { mean1: mean[1], var1: cov[2], cov01: cov[1] });
    return { ...values, ascentTestNll: ascent.testNll, reachedClosedForm: ascent.reached ? 1 : 0 };
  }

  /** Gradient ascent's current density and samples, so that the view shows it converging. */
  density(): DensityGrid {
    const fit = this.params();
    const values = gaussianLogDensity(gridPoints(this.data).points, this.dim, fit.mean, fit.cov);
    return densityView('log-density', this.data, values, this.drawPoints(fit, this.sampleNoise, SAMPLE_COUNT));
  }

  /** Draws from the fit, the closed form; temperature scales the standard deviation: N(mean, T² cov). */
  generate(count: number, rng: Rng, temperature: number): Float32Array {
    return this.drawPoints(this.closedForm, rng.fillNormal(new Float32Array(count * this.dim)).map((z) => z * temperature), count);
  }

  /** Points of `fit` for standard normal `noise` (count × dim). */
  private drawPoints({ mean, cov }: Fit, noise: Float32Array, count: number): Float32Array {
    const chol = symCholesky(cov);
    const out = new Float32Array(count * this.dim);
    for (let i = 0; i < count; i++) gaussianDraw(out, i, this.dim, mean, chol, noise, i);
    return out;
  }

  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const { dim, closedForm } = this;
    const ascent = this.ascent();
    writeJsonAtomic(path.join(dir, 'gaussian.json'), {
      family: 'gaussian',
      dim,
      fit: 'closed form (maximum likelihood): the sample mean and the biased sample covariance',
      mean: closedForm.mean.slice(0, dim),
      covariance: symRows(closedForm.cov, dim),
      trainNll: closedForm.trainNll,
      testNll: closedForm.testNll,
      gradientAscent: {
        mean: ascent.mean.slice(0, dim),
        covariance: symRows(ascent.cov, dim),
        trainNll: ascent.trainNll,
        testNll: ascent.testNll,
        gapToClosedForm: ascent.gap,
        reachedClosedForm: ascent.reached,
        standardisation: { centre: this.centre, scale: this.scale },
      },
    });
  }

  dispose(): void {
    tf.dispose([this.mu, this.logDiag, this.eye, ...(this.offDiag ? [this.offDiag, this.lowerMask!] : []), ...(this.batch ? [this.batch.standardised] : [])]);
    this.optimizer.dispose();
  }
}

export const gaussianFamily: ModelFamily<'gaussian'> = {
  family: 'gaussian',
  fullBatch: true,
  create: (config, data, rng) => new GaussianModel(config, requirePoints(data, 'A Gaussian'), rng),
};
