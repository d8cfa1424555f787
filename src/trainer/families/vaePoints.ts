/**
 * The VAE on 1-D or 2-D points: MLP encoder and decoder, standard normal prior, and a Gaussian
 * decoder p(x | z) = N(μ(z), diag σ²(z)) whose log-variance is bounded (σ cannot collapse onto a
 * point, which would send the likelihood to infinity). The ELBO is a lower bound on log p(x):
 * its heatmap is the density view, labelled as a bound, and an importance-weighted estimate
 * (Burda et al. 2016) shows how loose the bound is. The networks see points standardised by the
 * training set's per-axis mean and std (saved as standardisation.json beside them): raw data in
 * its own units (heights in cm) overflowed the encoder's variance in a few steps, and the bounded
 * decoder σ could not reach its scale. Every figure is in the data's units.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import { fusedAdam } from '../backend/fusedAdam';
import { writeJsonAtomic } from '../../shared/atomicFile';
import { type PointDataset, plannedSteps } from '../data/dataset';
import type { Rng } from '../rng';
import { saveLayersModel } from '../runs/layersFormat';
import { densityView, gridPoints } from './densityGrid';
import type { TrainableModel } from './family';
import { moments } from './gaussian';
import { mlp } from './networks';
import { layersModelPart, numbersPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

const LOG_2PI = Math.log(2 * Math.PI);
/** The decoder's log-variance is 4·tanh(raw/4): σ between e^-2 and e^2. */
const LOG_VAR_BOUND = 4;
const VIEW_SAMPLES = 600;
/** ELBO draws averaged per grid point: one draw makes a speckled heatmap. */
const VIEW_DRAWS = 8;
/** Importance samples for the tighter estimate of log p(x), and the test points it uses. */
const IWAE_K = 64;
const IWAE_POINTS = 2000;
const CHUNK = 4096;
/**
 * The share of training over which the KL term's weight rises from 0 to 1. Without this warm-up
 * the decoder's variance grows first and the posterior collapses onto the prior: the model becomes
 * one broad Gaussian (test NLL ~4.25 on 8gaussians instead of ~3).
 */
const KL_WARMUP = 0.3;

interface Terms {
  /** log p(x | z) + log p(z) - log q(z | x) per row: one draw of the ELBO's integrand. */
  logWeight: tf.Tensor1D;
  recon: tf.Tensor1D;
  kl: tf.Tensor1D;
}

export class PointVae implements TrainableModel {
  private readonly encoder: tfl.Sequential;
  private readonly decoder: tfl.Sequential;
  private readonly optimizer: tf.Optimizer;

  get networks(): Record<string, tfl.LayersModel> {
    return { encoder: this.encoder, decoder: this.decoder };
  }

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
  private readonly latentDim: number;
  private readonly dim: number;
  private readonly viewRng: Rng;
  private readonly warmupSteps: number;
  private step = 0;
  /** Per-axis mean and std of the training points, and log of the std's product (the Jacobian of standardising). */
  private readonly mean: number[];
  private readonly std: number[];
  private readonly logStdSum: number;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'vae'>,
    private readonly data: PointDataset,
    private readonly rng: Rng,
  ) {
    const { latentDim, hiddenSizes } = config.model;
    this.latentDim = latentDim;
    this.dim = data.dim;
    const { mean, cov } = moments(data.train.points, data.dim);
    this.mean = mean.slice(0, this.dim);
    this.std = [cov[0], cov[2]].slice(0, this.dim).map((v) => Math.sqrt(Math.max(v, 1e-12)));
    this.logStdSum = this.std.reduce((sum, s) => sum + Math.log(s), 0);
    const seed = Math.floor(rng.next() * 1e6);
    this.encoder = mlp('encoder', [this.dim, ...hiddenSizes, 2 * latentDim], seed);
    this.decoder = mlp('decoder', [latentDim, ...[...hiddenSizes].reverse(), 2 * this.dim], seed + 1000);
    this.optimizer = fusedAdam(config.learningRate);
    this.viewRng = rng.fork(1);
    this.warmupSteps = Math.max(1, KL_WARMUP * plannedSteps(config, data));
    ({ getState: this.getState, setState: this.setState } = trainingState([
      layersModelPart('encoder', this.encoder),
      layersModelPart('decoder', this.decoder),
      optimizerPart('adam', this.optimizer),
      numbersPart('step', () => [this.step], ([step]) => (this.step = step)),
    ]));
  }

  private split(h: tf.Tensor2D, width: number): [tf.Tensor2D, tf.Tensor2D] {
    return [tf.slice(h, [0, 0], [-1, width]), tf.slice(h, [0, width], [-1, width])];
  }

  /** The decoder's mean and bounded log-variance for latent rows z. */
  private decode(z: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const [mu, raw] = this.split(this.decoder.apply(z) as tf.Tensor2D, this.dim);
    return [mu, tf.mul(LOG_VAR_BOUND, tf.tanh(tf.div(raw, LOG_VAR_BOUND)))];
  }

  /** One draw of the ELBO's terms for rows x, with z = μ + σ·eps (eps: rows × latentDim). */
  private terms(raw: tf.Tensor2D, eps: tf.Tensor2D): Terms {
    const x = tf.div(tf.sub(raw, this.mean), this.std) as tf.Tensor2D;
    const [mu, logVar] = this.split(this.encoder.apply(x) as tf.Tensor2D, this.latentDim);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)) as tf.Tensor2D;
    const [xMu, xLogVar] = this.decode(z);
    const gaussLog = (v: tf.Tensor, m: tf.Tensor, lv: tf.Tensor) => tf.mul(-0.5, tf.sum(tf.add(tf.add(tf.div(tf.square(tf.sub(v, m)), tf.exp(lv)), lv), LOG_2PI), 1)) as tf.Tensor1D;
    const logPx = tf.sub(gaussLog(x, xMu, xLogVar), this.logStdSum) as tf.Tensor1D;
    const logPz = gaussLog(z, tf.zerosLike(z), tf.zerosLike(z));
    const logQz = gaussLog(z, mu, logVar);
    return { logWeight: tf.add(logPx, tf.sub(logPz, logQz)) as tf.Tensor1D, recon: tf.neg(logPx) as tf.Tensor1D, kl: tf.sub(logQz, logPz) as tf.Tensor1D };
  }

  private noise(rows: number, rng: Rng): tf.Tensor2D {
    return tf.tensor2d(rng.fillNormal(new Float32Array(rows * this.latentDim)), [rows, this.latentDim]);
  }

  /** Minimises recon + β·KL with β warming up to 1; reports the true -ELBO = recon + KL. */
  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const eps = this.noise(batch.shape[0], this.rng);
    const beta = Math.min(1, ++this.step / this.warmupSteps);
    let recon = 0;
    let kl = 0;
    const loss = this.optimizer.minimize(() => {
      const t = this.terms(batch, eps);
      const meanRecon = tf.mean(t.recon);
      const meanKl = tf.mean(t.kl);
      recon = meanRecon.dataSync()[0];
      kl = meanKl.dataSync()[0];
      return tf.add(meanRecon, tf.mul(beta, meanKl)) as tf.Scalar;
    }, true)!;
    tf.dispose([loss, eps]);
    return { negElbo: recon + kl, recon, kl };
  }

  /** The mean over `draws` ELBO draws per point, in chunks. */
  private elbo(points: Float32Array, draws: number, rng: Rng): Float32Array {
    const n = points.length / this.dim;
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += CHUNK) {
      const rows = Math.min(CHUNK, n - start);
      const x = tf.tensor2d(points.subarray(start * this.dim, (start + rows) * this.dim), [rows, this.dim]);
      for (let d = 0; d < draws; d++) {
        const values = tf.tidy(() => this.terms(x, this.noise(rows, rng)).logWeight.dataSync());
        for (let i = 0; i < rows; i++) out[start + i] += values[i] / draws;
      }
      x.dispose();
    }
    return out;
  }

  /**
   * testNegElbo: -ELBO per point on the test set (an upper bound on the NLL). testNllIwae: the
   * importance-weighted bound with K samples on the first test points, tighter, still an upper bound.
   */
  evaluate(): Record<string, number> {
    const evalRng = this.rng.fork(2);
    const { points, count } = this.data.test;
    const elbo = this.elbo(points, 1, evalRng);
    const subset = points.subarray(0, Math.min(IWAE_POINTS, count) * this.dim);
    const n = subset.length / this.dim;
    const iwae = tf.tidy(() => {
      const x = tf.tile(tf.tensor2d(subset, [n, this.dim]), [IWAE_K, 1]) as tf.Tensor2D;
      const w = tf.reshape(this.terms(x, this.noise(n * IWAE_K, evalRng)).logWeight, [IWAE_K, n]);
      return tf.sub(tf.logSumExp(w, 0), Math.log(IWAE_K)).dataSync();
    });
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
    return { testNegElbo: -mean(elbo), testNllIwae: -mean(iwae) };
  }

  /** Points decoded from prior draws (scaled by `temperature`), with the decoder's own noise. */
  generate(count: number, rng: Rng, temperature = 1): Float32Array {
    return tf.tidy(() => {
      const z = tf.mul(this.noise(count, rng), temperature) as tf.Tensor2D;
      const [mu, logVar] = this.decode(z);
      const e = tf.tensor2d(rng.fillNormal(new Float32Array(count * this.dim)), [count, this.dim]);
      const standardised = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), tf.mul(e, temperature)));
      return tf.add(tf.mul(standardised, this.std), this.mean).dataSync() as Float32Array;
    });
  }

  density(): DensityGrid {
    const values = this.elbo(gridPoints(this.data).points, VIEW_DRAWS, this.viewRng.fork(0));
    return densityView('elbo', this.data, values, this.generate(VIEW_SAMPLES, this.viewRng.fork(1)));
  }

  async save(dir: string): Promise<void> {
    await saveLayersModel(this.encoder, path.join(dir, 'encoder'));
    await saveLayersModel(this.decoder, path.join(dir, 'decoder'));
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, 'standardisation.json'), { note: 'The encoder takes (x - mean) / std; the decoder gives the mean and log-variance of (x - mean) / std.', mean: this.mean, std: this.std });
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
  }
}
