/**
 * A mixture of k full-covariance Gaussians on 1-D or 2-D point data, fitted by
 * expectation-maximisation: log p(x) = log sum_j w_j N(x; mu_j, Sigma_j), exact. Initialised by
 * k-means++ seeding (with the run's rng) refined by k-means, the best of KMEANS_RESTARTS tries;
 * then each training step is one EM iteration on the whole training set. Every figure is in nats
 * per data point.
 *
 * EM runs as plain float64 loops over the points (n <= 50k, k <= 64, d <= 2), one pass per
 * iteration: the E-step's responsibilities (by log-sum-exp) are folded into the M-step's sums as
 * each point is visited, so nothing of size n x k is stored.
 *
 * A component that collapses onto one point (or a line) would get a singular covariance and an
 * unbounded likelihood. Instead of adding a ridge to every covariance, which would make the update
 * no longer the exact M-step and void EM's guarantee, covariances are constrained to eigenvalues of
 * at least a floor (a millionth of the data's variance): the M-step's exact maximiser under that
 * constraint is the weighted scatter with its eigenvalues clipped at the floor (the same
 * eigenvectors), so every iteration is a true EM step on the constrained set, the train NLL never
 * increases, a collapsed component stays valid (about floor * I), and a well-populated component
 * is the plain maximum-likelihood update. A collapsed component is still reported
 * (collapsedComponents): its density, and so the NLL, then says more about the floor than about
 * the data. Data on which no Gaussian has a maximum likelihood (a coordinate of one value, points
 * on a line) is refused before EM starts, as for the single Gaussian.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import type { PointDataset } from '../data/dataset';
import { UserError } from '../../shared/userError';
import type { Rng } from '../rng';
import { writeJsonAtomic } from '../../shared/atomicFile';
import { densityView, gridPoints } from './densityGrid';
import type { ModelFamily, TrainableModel } from './family';
import { numbersPart, type TrainingState, trainingState } from './trainingState';
import { gaussianDraw, moments, requirePoints, requireSpread, SAMPLE_COUNT, type Sym, symCholesky, symDet, symInverse, symRows } from './gaussian';

const LOG_2PI = Math.log(2 * Math.PI);
/** At most this many Lloyd iterations after k-means++ seeding (fewer if the clusters stop changing). */
const KMEANS_ITERATIONS = 10;
/** Seedings tried (each refined by k-means); the one with the smallest within-cluster distances is kept. */
const KMEANS_RESTARTS = 3;
/** The covariances' eigenvalue floor, relative to the data's mean variance per axis. */
const FLOOR = 1e-6;

/**
 * The covariance nearest in the M-step's sense to the scatter s = [s00, s01, s11] (2-D) with all
 * eigenvalues >= floor: s's eigenvalues clipped at floor, with s's eigenvectors. In 1-D, s01 and
 * s11 are ignored and the result is [max(s00, floor), 0, 1].
 */
export function floorCovariance(s00: number, s01: number, s11: number, dim: 1 | 2, floor: number): Sym {
  if (dim === 1) return [Math.max(s00, floor), 0, 1];
  const mid = (s00 + s11) / 2;
  const r = Math.hypot((s00 - s11) / 2, s01);
  const [hi, lo] = [mid + r, mid - r];
  if (lo >= floor) return [s00, s01, s11];
  if (hi <= floor) return [floor, 0, floor];
  // s = hi v v^T + lo w w^T, so v v^T = (s - lo I) / (hi - lo); keep hi along v, floor along w.
  const f = (hi - floor) / (hi - lo);
  return [floor + f * (s00 - lo), f * s01, floor + f * (s11 - lo)];
}

/** Draws a point with probability proportional to `weight` (whose sum is `total` > 0); never one of weight 0. */
function drawWeighted(weight: Float64Array, total: number, rng: Rng): number {
  let u = rng.next() * total;
  for (let i = 0; i < weight.length; i++) {
    u -= weight[i];
    if (u < 0 && weight[i] > 0) return i;
  }
  // Rounding can leave u just above 0 at the end: take the last point of positive weight.
  for (let i = weight.length - 1; ; i--) if (weight[i] > 0) return i;
}

/**
 * Greedy k-means++ seeding (Arthur & Vassilvitskii; the greedy variant scikit-learn uses): the
 * first centre is a uniformly chosen point; for each next one, 2 + ln k candidates are drawn with
 * probability proportional to their squared distance to the nearest centre so far, and the one
 * that lowers the total squared distance most is kept. A point equal to a chosen centre has
 * probability 0, so the centres are distinct points whenever the data has k distinct points.
 * Returns k centres, `dim` values each.
 */
export function kMeansPlusPlus(points: ArrayLike<number>, dim: 1 | 2, k: number, rng: Rng): Float64Array {
  const n = points.length / dim;
  const trials = 2 + Math.floor(Math.log(k));
  const centres = new Float64Array(k * dim);
  const nearest = new Float64Array(n).fill(Infinity);
  const candidate = new Float64Array(n);
  const best = new Float64Array(n);
  /** Squared distances to point c in `out`; returns their sum capped by `nearest`. */
  const distances = (c: number, out: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d0 = points[i * dim] - points[c * dim];
      const d1 = dim === 2 ? points[i * dim + 1] - points[c * dim + 1] : 0;
      out[i] = Math.min(d0 * d0 + d1 * d1, nearest[i]);
      total += out[i];
    }
    return total;
  };
  let chosen = Math.floor(rng.next() * n);
  let potential = distances(chosen, best);
  for (let j = 0; ; j++) {
    for (let a = 0; a < dim; a++) centres[j * dim + a] = points[chosen * dim + a];
    nearest.set(best);
    if (j === k - 1) break;
    if (potential > 0) {
      let bestPotential = Infinity;
      for (let t = 0; t < trials; t++) {
        const c = drawWeighted(nearest, potential, rng);
        const p = distances(c, candidate);
        if (p < bestPotential) {
          bestPotential = p;
          chosen = c;
          best.set(candidate);
        }
      }
      potential = bestPotential;
    } else {
      // Fewer than k distinct points: any point will do.
      chosen = Math.floor(rng.next() * n);
      potential = distances(chosen, best);
    }
  }
  return centres;
}

/** Index of the nearest centre to each point; returns the sum of squared distances to it. */
function assign(points: ArrayLike<number>, dim: 1 | 2, centres: Float64Array, k: number, out: Int32Array): number {
  const n = points.length / dim;
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const x0 = points[i * dim];
    const x1 = dim === 2 ? points[i * dim + 1] : 0;
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      const d0 = x0 - centres[j * dim];
      const d1 = dim === 2 ? x1 - centres[j * dim + 1] : 0;
      const d2 = d0 * d0 + d1 * d1;
      if (d2 < bestD) {
        bestD = d2;
        best = j;
      }
    }
    out[i] = best;
    inertia += bestD;
  }
  return inertia;
}

/**
 * Lloyd's k-means from these centres (updated in place), until the clusters stop changing or for
 * `iterations` updates; an empty cluster keeps its centre. Returns each point's cluster and the
 * sum of squared distances to the centres.
 */
export function kMeans(points: ArrayLike<number>, dim: 1 | 2, centres: Float64Array, k: number, iterations: number): { labels: Int32Array; inertia: number } {
  const n = points.length / dim;
  const labels = new Int32Array(n).fill(-1);
  const previous = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    previous.set(labels);
    const inertia = assign(points, dim, centres, k, labels);
    if (labels.every((l, i) => l === previous[i])) return { labels, inertia };
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      for (let a = 0; a < dim; a++) sums[labels[i] * dim + a] += points[i * dim + a];
    }
    for (let j = 0; j < k; j++) if (counts[j] > 0) for (let a = 0; a < dim; a++) centres[j * dim + a] = sums[j * dim + a] / counts[j];
  }
  const inertia = assign(points, dim, centres, k, labels);
  return { labels, inertia };
}

/** The mixture's parameters: weights[k], means[k*2] (x, y; y = 0 in 1-D), covariances[k*3] (Sym). */
export interface MixtureParams {
  dim: 1 | 2;
  k: number;
  weights: Float64Array;
  means: Float64Array;
  covs: Float64Array;
}

/** Fields of the per-component sums for the M-step, SUMS values per component (about the current mean). */
const SUMS = 6;
const [N, S0, S1, S00, S01, S11] = [0, 1, 2, 3, 4, 5];

/**
 * One pass over the points under the current parameters: returns sum_i log p(x_i). Writes each
 * log p(x_i) to `out` if given; if `sums` is given (k * SUMS values), adds to it each component's
 * responsibility-weighted count, first and second moments about its current mean (the E-step).
 */
export function mixturePass(params: MixtureParams, points: ArrayLike<number>, out?: Float64Array, sums?: Float64Array): number {
  const { dim, k, weights, means, covs } = params;
  // Per component, packed for the inner loop: mean x, mean y, then log N = logc - d0 (a d0 + b d1) - c d1^2.
  const C = 6;
  const comp = new Float64Array(k * C);
  for (let j = 0; j < k; j++) {
    const cov: Sym = [covs[3 * j], covs[3 * j + 1], covs[3 * j + 2]];
    const p = symInverse(cov);
    comp.set([means[2 * j], means[2 * j + 1], 0.5 * p[0], p[1], 0.5 * p[2], Math.log(weights[j]) - 0.5 * (dim * LOG_2PI + Math.log(symDet(cov)))], j * C);
  }
  const l = new Float64Array(k);
  const n = points.length / dim;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const x0 = points[i * dim];
    const x1 = dim === 2 ? points[i * dim + 1] : 0;
    let max = -Infinity;
    for (let j = 0, o = 0; j < k; j++, o += C) {
      const d0 = x0 - comp[o];
      const d1 = x1 - comp[o + 1];
      const v = comp[o + 5] - d0 * (comp[o + 2] * d0 + comp[o + 3] * d1) - comp[o + 4] * d1 * d1;
      l[j] = v;
      if (v > max) max = v;
    }
    // Terms below e^-37 of the largest (under 2^-53) cannot change the sum in float64: skip their
    // exp (most components, for a point far from them) and give them responsibility 0.
    const cut = max - 37;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += l[j] = l[j] > cut ? Math.exp(l[j] - max) : 0;
    const logp = max + Math.log(sum);
    total += logp;
    if (out) out[i] = logp;
    if (sums) {
      const inv = 1 / sum;
      for (let j = 0, o = 0; j < k; j++, o += SUMS) {
        if (l[j] === 0) continue;
        const r = l[j] * inv;
        const d0 = x0 - comp[j * C];
        const d1 = x1 - comp[j * C + 1];
        const r0 = r * d0;
        const r1 = r * d1;
        sums[o + N] += r;
        sums[o + S0] += r0;
        sums[o + S1] += r1;
        sums[o + S00] += r0 * d0;
        sums[o + S01] += r0 * d1;
        sums[o + S11] += r1 * d1;
      }
    }
  }
  return total;
}

/**
 * One EM iteration on these points, parameters updated in place. Returns the mean NLL of the
 * points under the parameters it started from (the E-step computes it anyway).
 */
export function emStep(params: MixtureParams, points: ArrayLike<number>, floor: number): number {
  const { dim, k, weights, means, covs } = params;
  const n = points.length / dim;
  const sums = new Float64Array(k * SUMS);
  const logLik = mixturePass(params, points, undefined, sums);
  for (let j = 0; j < k; j++) {
    const o = j * SUMS;
    const nj = sums[o + N];
    weights[j] = nj / n;
    // A component that no point gives any responsibility keeps its (now unused) mean and covariance.
    if (!(nj > 0)) continue;
    const d0 = sums[o + S0] / nj;
    const d1 = sums[o + S1] / nj;
    means[2 * j] += d0;
    means[2 * j + 1] += d1;
    // Scatter about the new mean, from the sums about the old one.
    const s00 = sums[o + S00] / nj - d0 * d0;
    const s01 = sums[o + S01] / nj - d0 * d1;
    const s11 = sums[o + S11] / nj - d1 * d1;
    covs.set(floorCovariance(s00, s01, s11, dim, floor), 3 * j);
  }
  return -logLik / n;
}

/**
 * Initial parameters: k-means++ seeds refined by a few k-means iterations give the means; weights
 * are the cluster sizes (plus one, so that no component starts dead); every component starts with
 * the pooled within-cluster covariance (floored), which is valid even for a cluster of one point.
 */
export function initMixture(points: ArrayLike<number>, dim: 1 | 2, k: number, rng: Rng, floor: number, restarts = KMEANS_RESTARTS): MixtureParams {
  const n = points.length / dim;
  let best: { centres: Float64Array; labels: Int32Array; inertia: number } | undefined;
  for (let r = 0; r < restarts; r++) {
    const centres = kMeansPlusPlus(points, dim, k, rng);
    const { labels, inertia } = kMeans(points, dim, centres, k, KMEANS_ITERATIONS);
    if (!best || inertia < best.inertia) best = { centres, labels, inertia };
  }
  const { centres, labels } = best!;
  const counts = new Float64Array(k);
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  for (let i = 0; i < n; i++) {
    const j = labels[i];
    counts[j]++;
    const d0 = points[i * dim] - centres[j * dim];
    const d1 = dim === 2 ? points[i * dim + 1] - centres[j * dim + 1] : 0;
    s00 += d0 * d0;
    s01 += d0 * d1;
    s11 += d1 * d1;
  }
  const params: MixtureParams = { dim, k, weights: new Float64Array(k), means: new Float64Array(2 * k), covs: new Float64Array(3 * k) };
  for (let j = 0; j < k; j++) {
    params.weights[j] = (counts[j] + 1) / (n + k);
    params.means[2 * j] = centres[j * dim];
    params.means[2 * j + 1] = dim === 2 ? centres[j * dim + 1] : 0;
    params.covs.set(floorCovariance(s00 / n, s01 / n, s11 / n, dim, floor), 3 * j);
  }
  return params;
}

/** A component whose covariance is held at the floor: on every axis (a point), or on one (a line, in 2-D). */
export interface Collapse {
  /** 0-based. */
  component: number;
  onto: 'point' | 'line';
  weight: number;
  mean: number[];
}

/** Eigenvalues within this factor of the floor are at it (floorCovariance's result, up to rounding). */
const AT_FLOOR = 1 + 1e-6;

/** The components (with any weight) that EM has collapsed onto a point or a line. */
export function collapsedComponents(params: MixtureParams, floor: number): Collapse[] {
  const { dim, k, weights, means, covs } = params;
  const out: Collapse[] = [];
  for (let j = 0; j < k; j++) {
    if (!(weights[j] > 0)) continue;
    const [s00, s01, s11] = [covs[3 * j], covs[3 * j + 1], covs[3 * j + 2]];
    const mid = (s00 + s11) / 2;
    const r = Math.hypot((s00 - s11) / 2, s01);
    const eigenvalues = dim === 1 ? [s00] : [mid + r, mid - r];
    const atFloor = eigenvalues.filter((e) => e <= floor * AT_FLOOR).length;
    if (atFloor) out.push({ component: j, onto: atFloor === dim ? 'point' : 'line', weight: weights[j], mean: Array.from(means.subarray(2 * j, 2 * j + dim)) });
  }
  return out;
}

/** A collapse as a person reads it: where, how much of the data, and what to do. */
export function describeCollapse(c: Collapse, k: number, trainCount: number): { message: string; hint: string } {
  const at = c.mean.map((v) => Number(v.toPrecision(6))).join(', ');
  const onto = c.onto === 'point' ? `onto the point (${at})` : `onto a line through (${at})`;
  return {
    message:
      `Component ${c.component + 1} of ${k} has collapsed ${onto}, with ${Math.round(c.weight * trainCount)} of the ${trainCount} training points: ` +
      'its variance there is held at the floor, so its density, and the NLL, say more about the floor than about the data.',
    hint: 'Fit fewer components, or look in the data for a value repeated many times (rounded measurements, a default filled in).',
  };
}

class MixtureModel implements TrainableModel {
  readonly params: MixtureParams;
  readonly floor: number;
  private readonly dim: 1 | 2;
  /** Fixed draws (a uniform to pick the component, normals), so samples move smoothly as EM goes on. */
  private readonly sampleUniform: Float64Array;
  private readonly sampleNoise: Float32Array;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'mixture'>,
    private readonly data: PointDataset,
    rng: Rng,
  ) {
    const dim = (this.dim = data.dim);
    const k = config.model.components;
    if (k > data.train.count) {
      throw new UserError(`A mixture of ${k} components needs at least ${k} training points; ${config.dataset} has ${data.train.count}.`, `Use at most ${data.train.count} components.`);
    }
    const train = moments(data.train.points, dim);
    requireSpread(data, train, 'A Gaussian mixture');
    const { cov } = train;
    this.floor = FLOOR * (dim === 2 ? (cov[0] + cov[2]) / 2 : cov[0]);
    this.params = initMixture(data.train.points, dim, k, rng, this.floor);
    const sampleRng = rng.fork(1);
    this.sampleUniform = Float64Array.from({ length: SAMPLE_COUNT }, () => sampleRng.next());
    this.sampleNoise = sampleRng.fillNormal(new Float32Array(SAMPLE_COUNT * dim));
    const { weights, means, covs } = this.params;
    ({ getState: this.getState, setState: this.setState } = trainingState(
      Object.entries({ weights, means, covs }).map(([name, values]) => numbersPart(`em/${name}`, () => values, (saved) => values.set(saved))),
    ));
  }

  /**
   * One EM iteration on the batch (the whole training set). `nll` is the batch's mean NLL under the
   * parameters before this iteration's update: EM never increases it from one step to the next.
   */
  trainStep(batch: tf.Tensor2D): Record<string, number> {
    return { nll: emStep(this.params, batch.dataSync(), this.floor) };
  }

  /** testNll: the test set's mean NLL under the current parameters; collapsedComponents: how many have collapsed (see collapsedComponents). */
  evaluate(): Record<string, number> {
    return { testNll: -mixturePass(this.params, this.data.test.points) / this.data.test.count, collapsedComponents: collapsedComponents(this.params, this.floor).length };
  }

  warnings(): { message: string; hint: string }[] {
    return collapsedComponents(this.params, this.floor).map((c) => describeCollapse(c, this.params.k, this.data.train.count));
  }

  density(): DensityGrid {
    const { dim, params } = this;
    const grid = gridPoints(this.data).points;
    const values = new Float64Array(grid.length / dim);
    mixturePass(params, grid, values);
    return densityView('log-density', this.data, values, this.drawPoints(this.sampleUniform, this.sampleNoise, SAMPLE_COUNT));
  }

  /** Temperature scales each component's standard deviation; the weights stay. */
  generate(count: number, rng: Rng, temperature: number): Float32Array {
    const uniform = Float64Array.from({ length: count }, () => rng.next());
    return this.drawPoints(uniform, rng.fillNormal(new Float32Array(count * this.dim)).map((z) => z * temperature), count);
  }

  /** Points of the current fit: uniforms pick the components, standard normal noise the offsets. */
  private drawPoints(uniform: ArrayLike<number>, noise: Float32Array, count: number): Float32Array {
    const { dim, params } = this;
    const out = new Float32Array(count * dim);
    const chol = Array.from({ length: params.k }, (_, j) => symCholesky([params.covs[3 * j], params.covs[3 * j + 1], params.covs[3 * j + 2]]));
    for (let i = 0; i < count; i++) {
      // The component whose slice of [0, 1) (widths = weights) holds this draw's uniform.
      let j = 0;
      let u = uniform[i];
      while (j < params.k - 1 && u >= params.weights[j]) u -= params.weights[j++];
      gaussianDraw(out, i, dim, [params.means[2 * j], params.means[2 * j + 1]], chol[j], noise, i);
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const { dim, k, weights, means, covs } = this.params;
    writeJsonAtomic(path.join(dir, 'mixture.json'), {
      family: 'mixture',
      dim,
      components: k,
      weights: Array.from(weights),
      means: Array.from({ length: k }, (_, j) => Array.from(means.subarray(2 * j, 2 * j + dim))),
      covariances: Array.from({ length: k }, (_, j) => symRows([covs[3 * j], covs[3 * j + 1], covs[3 * j + 2]], dim)),
      covarianceFloor: this.floor,
      warnings: this.warnings().map((w) => `${w.message} ${w.hint}`),
    });
  }

  dispose(): void {}
}

export const mixtureFamily: ModelFamily<'mixture'> = {
  family: 'mixture',
  fullBatch: true,
  create: (config, data, rng) => new MixtureModel(config, requirePoints(data, 'A Gaussian mixture'), rng),
};
