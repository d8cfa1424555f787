/**
 * RealNVP (Dinh et al. 2017) on images: affine coupling layers on the flattened image vector,
 * each conditioned by an MLP on one half of the values, the halves a checkerboard over pixel
 * positions and its complement (for RGB, the colour index joins the parity, so the values of one
 * pixel alternate between halves). The couplings alternate which half they transform.
 *
 * The density is of dequantised data. An 8-bit value x becomes u = (x + U(0, 1)) / 256 in [0, 1),
 * whose density on [0, 1)^D bounds the discrete likelihood from below (Theis et al. 2016); the
 * flow works on y = logit(α + (1 - 2α)u), α = 0.05 (the RealNVP paper's), which keeps the values
 * away from the logit's infinities, standardised per value by a fixed affine map estimated from
 * the training images. log p(u) = log N(z; 0, I) + Σ log-scales + log|dy/du| (the logit's and the
 * standardisation's), and the NLL on [0, 256)^D, the convention of published bits/dim, adds D·ln 256.
 *
 * Unlike the 2-D flow (realnvp.ts), whose step is hand-written because its tensors are tiny, here
 * the products are large (batch × hundreds of values), so tfjs's autodiff of the couplings is the
 * fast path. The dequantisation and logit run in plain loops on the batch as it arrives.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import { CosineAdam } from '../backend/fusedAdam';
import { exampleSize, plannedSteps } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import type { DivergenceSign } from '../divergence';
import { Rng } from '../rng';
import { writeJsonAtomic } from '../../shared/atomicFile';
import { saveLayersModel } from '../runs/layersFormat';
import { imageGrid, type SampleGrid, type TrainableModel } from './family';
import { mlp } from './networks';
import { layersModelPart, numbersPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

/** Keeps dequantised values off the logit's infinities: y = logit(α + (1 - 2α)u). */
export const LOGIT_ALPHA = 0.05;
/**
 * The test set's dequantisation noise comes from this seed, drawn afresh in the same order at each
 * evaluation (value by value, image after image), so the test NLL moves only with the model.
 */
export const TEST_DEQUANTIZATION_SEED = 20260102;
const LOG_2PI = Math.log(2 * Math.PI);
const EVAL_BATCH = 500;
const GRID = 8;
/** Training images the standardisation is estimated from. */
const MOMENT_IMAGES = 10000;
/**
 * The least standard deviation the standardisation divides by. A pixel blank in nearly every
 * training image has a spread of ~0.02 (the dequantisation noise alone); an image with ink there
 * would land ~300 of those away, and such losses swamped the first hundreds of steps. On MNIST a
 * floor of 0.3 reached 2.94 bits/dim in 900 steps where 0.05 reached 3.20.
 */
const STD_FLOOR = 0.3;

/** Each coupling's folder in an export and its prefix in the training state, as the 2-D flow names them. */
const couplingName = (k: number) => `coupling-${String(k).padStart(2, '0')}`;

export type ImageShape = Pick<ImageDataset, 'width' | 'height' | 'channels'>;

/** The flow's input, y in logit space standardised, as its two halves (rows × half size each), and its log|d(input)/du| per row. */
export interface LogitRows {
  halves: [Float32Array, Float32Array];
  inputLogDet: Float64Array;
}

/** Per-value mean and standard deviation of y, applied before the couplings. */
export interface Standardisation {
  mean: Float32Array;
  std: Float32Array;
}

/**
 * Dequantises `rows` images of 8-bit values (each value·toLevel rounds to a level 0..255) with
 * uniform noise from `noise`, value by value in order, and maps them to y = logit(α + (1 - 2α)u);
 * with log|dy/du| per row.
 */
export function dequantizedLogits(values: ArrayLike<number>, rows: number, dims: number, toLevel: number, noise: Rng): { y: Float32Array; logDet: Float64Array } {
  const y = new Float32Array(rows * dims);
  const logDet = new Float64Array(rows);
  const logRange = Math.log(1 - 2 * LOGIT_ALPHA);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < dims; j++) {
      const i = r * dims + j;
      const u = (Math.round(values[i] * toLevel) + noise.next()) / 256;
      const p = LOGIT_ALPHA + (1 - 2 * LOGIT_ALPHA) * u;
      y[i] = Math.log(p) - Math.log(1 - p);
      sum += logRange - Math.log(p) - Math.log(1 - p);
    }
    logDet[r] = sum;
  }
  return { y, logDet };
}

/**
 * The standardisation, from the training images dequantised with fixed noise. A flow that starts
 * as the identity on standardised values already gives each value its marginal scale: without
 * it, a background pixel's y (near logit(α), spread ~0.02) takes thousands of Adam steps of the
 * output biases to reach, and the first minutes of training go to that alone.
 */
export function logitMoments(split: ImageDataset['train'], dims: number): Standardisation {
  const rows = Math.min(split.count, MOMENT_IMAGES);
  const { y } = dequantizedLogits(split.pixels, rows, dims, 1, new Rng(TEST_DEQUANTIZATION_SEED + 1));
  const sum = new Float64Array(dims);
  const squares = new Float64Array(dims);
  for (let i = 0; i < y.length; i++) {
    sum[i % dims] += y[i];
    squares[i % dims] += y[i] * y[i];
  }
  const mean = Float32Array.from(sum, (v) => v / rows);
  return { mean, std: Float32Array.from(squares, (v, j) => Math.max(STD_FLOOR, Math.sqrt(Math.max(0, v / rows - mean[j] * mean[j])))) };
}

/** Value indices (pixel-major, channels interleaved) of each half: (row + column + channel) even, then odd. */
export function checkerboardHalves({ width, height, channels }: ImageShape): [Uint32Array, Uint32Array] {
  const halves: [number[], number[]] = [[], []];
  for (let i = 0; i < width * height * channels; i++) {
    const pixel = Math.floor(i / channels);
    halves[(Math.floor(pixel / width) + (pixel % width) + (i % channels)) % 2].push(i);
  }
  return [Uint32Array.from(halves[0]), Uint32Array.from(halves[1])];
}

export class ImageFlow {
  readonly halves: [Uint32Array, Uint32Array];
  readonly couplings: tfl.Sequential[];
  readonly dims: number;
  /** Σ log std over the values: the standardisation's part of every row's log-determinant. */
  private readonly logStdSum: number;

  constructor(
    readonly shape: ImageShape,
    couplings: number,
    readonly hiddenSizes: number[],
    readonly scaleBound: number,
    readonly standardise: Standardisation,
    seed: number,
  ) {
    this.dims = shape.width * shape.height * shape.channels;
    this.halves = checkerboardHalves(shape);
    this.logStdSum = standardise.std.reduce((sum, v) => sum + Math.log(v), 0);
    this.couplings = Array.from({ length: couplings }, (_, k) => {
      const [cond, other] = [this.halves[k % 2].length, this.halves[1 - (k % 2)].length];
      const net = mlp(couplingName(k).replace('-', '_'), [cond, ...hiddenSizes, 2 * other], seed + 1000 * k);
      // A zero output layer makes every coupling the identity at first: training starts from a
      // standard normal on the standardised y instead of from a random map of it.
      const head = net.layers[net.layers.length - 1];
      head.setWeights(head.getWeights().map((w) => tf.zerosLike(w)));
      return net;
    });
  }

  get variables(): tf.Variable[] {
    return this.couplings.flatMap((net) => net.trainableWeights.map((w) => w.read() as tf.Variable));
  }

  /**
   * Dequantised images in the flow's input space, standardised and split into halves, with
   * log|d(input)/du| per row: the logit's log-derivative less Σ log std.
   */
  inputs(values: ArrayLike<number>, rows: number, toLevel: number, noise: Rng): LogitRows {
    const { y, logDet } = dequantizedLogits(values, rows, this.dims, toLevel, noise);
    const { mean, std } = this.standardise;
    for (let i = 0; i < y.length; i++) y[i] = (y[i] - mean[i % this.dims]) / std[i % this.dims];
    return { halves: [this.split(y, rows, 0), this.split(y, rows, 1)], inputLogDet: logDet.map((v) => v - this.logStdSum) };
  }

  private split(rowsData: Float32Array, rows: number, h: 0 | 1): Float32Array {
    const index = this.halves[h];
    const out = new Float32Array(rows * index.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < index.length; j++) out[r * index.length + j] = rowsData[r * this.dims + index[j]];
    return out;
  }

  /** Rows in image order from the two halves. */
  merge(a: ArrayLike<number>, b: ArrayLike<number>, rows: number): Float32Array {
    const out = new Float32Array(rows * this.dims);
    ([a, b] as const).forEach((values, h) => {
      const index = this.halves[h];
      for (let r = 0; r < rows; r++) for (let j = 0; j < index.length; j++) out[r * this.dims + index[j]] = values[r * index.length + j];
    });
    return out;
  }

  /** One coupling's bounded log-scale and shift for the half it transforms. */
  private scaleShift(k: number, cond: tf.Tensor2D): { s: tf.Tensor2D; t: tf.Tensor2D } {
    const h = this.couplings[k].apply(cond) as tf.Tensor2D;
    const n = h.shape[1] / 2;
    const raw = tf.slice(h, [0, 0], [-1, n]);
    return { s: tf.mul(tf.tanh(tf.div(raw, this.scaleBound)), this.scaleBound), t: tf.slice(h, [0, n], [-1, n]) };
  }

  /** y → z as halves, with Σ log-scales per row: coupling k maps half 1 - k%2 to half·exp(s) + t given half k%2. */
  forward(a: tf.Tensor2D, b: tf.Tensor2D): { z: [tf.Tensor2D, tf.Tensor2D]; logDet: tf.Tensor1D } {
    const z: [tf.Tensor2D, tf.Tensor2D] = [a, b];
    let logDet: tf.Tensor1D = tf.zeros([a.shape[0]]);
    this.couplings.forEach((_, k) => {
      const c = k % 2;
      const { s, t } = this.scaleShift(k, z[c]);
      z[1 - c] = tf.add(tf.mul(z[1 - c], tf.exp(s)), t);
      logDet = tf.add(logDet, tf.sum(s, 1));
    });
    return { z, logDet };
  }

  /** z → y as halves: the couplings in reverse, half = (half - t)·exp(-s). */
  inverse(za: tf.Tensor2D, zb: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    const y: [tf.Tensor2D, tf.Tensor2D] = [za, zb];
    for (let k = this.couplings.length - 1; k >= 0; k--) {
      const c = k % 2;
      const { s, t } = this.scaleShift(k, y[c]);
      y[1 - c] = tf.mul(tf.sub(y[1 - c], t), tf.exp(tf.neg(s)));
    }
    return y;
  }

  /** -log p(u) on [0, 1)^D per row, without log|dy/du|: -log N(z; 0, I) - Σ log-scales. */
  flowNll(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
    const { z, logDet } = this.forward(a, b);
    const halfSquares = tf.mul(tf.add(tf.sum(tf.square(z[0]), 1), tf.sum(tf.square(z[1]), 1)), 0.5);
    return tf.sub(tf.add(halfSquares, (this.dims / 2) * LOG_2PI), logDet);
  }

  /** Images (values in [0, 1)) from base noise in image order: the inverse flow, then the inverse logit. */
  decode(z: Float32Array, rows: number): Float32Array {
    const halves = ([0, 1] as const).map((h) => tf.tensor2d(this.split(z, rows, h), [rows, this.halves[h].length]));
    const [a, b] = tf.tidy(() => this.inverse(halves[0], halves[1]).map((t) => t.dataSync()));
    tf.dispose(halves);
    const { mean, std } = this.standardise;
    return this.merge(a, b, rows).map((v, i) => {
      const y = v * std[i % this.dims] + mean[i % this.dims];
      return Math.min(1, Math.max(0, (1 / (1 + Math.exp(-y)) - LOGIT_ALPHA) / (1 - 2 * LOGIT_ALPHA)));
    });
  }

  describe(): object {
    return {
      format: 'genlab-realnvp-images',
      imageSize: [this.shape.height, this.shape.width],
      channels: this.shape.channels,
      alpha: LOGIT_ALPHA,
      standardise: { mean: Array.from(this.standardise.mean), std: Array.from(this.standardise.std) },
      scaleBound: this.scaleBound,
      hiddenSizes: this.hiddenSizes,
      activation: 'relu',
      halves: this.halves.map((index) => Array.from(index)),
      couplings: this.couplings.map((_, k) => ({ model: `${couplingName(k)}/model.json`, conditionOn: k % 2, transform: 1 - (k % 2) })),
      map:
        'From 8-bit values x (D = height * width * channels, pixel-major, channels interleaved) to latent z: u = (x + U(0, 1)) / 256, ' +
        'y = (logit(alpha + (1 - 2 alpha) u) - standardise.mean) / standardise.std, per value; halves[h] lists the value indices of half h, in the order the models take and give them. ' +
        'Each coupling in order: [raw, t] = model(y[halves[conditionOn]]) (each as long as the other half), s = scaleBound * tanh(raw / scaleBound), ' +
        'y[halves[transform]] = y[halves[transform]] * exp(s) + t. log p(u) = log N(z; 0, I) + sum of s + sum over values of log((1 - 2 alpha) / (p (1 - p))) - sum(log std), ' +
        'p = alpha + (1 - 2 alpha) u; the NLL on [0, 256)^D adds D ln 256. Sampling: z ~ N(0, I), the couplings in reverse (y = (y - t) * exp(-s)), then y * std + mean, u = (sigmoid(y) - alpha) / (1 - 2 alpha).',
    };
  }

  async save(dir: string): Promise<void> {
    for (const [k, net] of this.couplings.entries()) await saveLayersModel(net, path.join(dir, couplingName(k)));
    writeJsonAtomic(path.join(dir, 'flow.json'), this.describe());
  }

  dispose(): void {
    for (const net of this.couplings) net.dispose();
  }
}

export class RealNvpImages implements TrainableModel {
  readonly flow: ImageFlow;
  private readonly optimizer: CosineAdam;

  get networks(): Record<string, tfl.LayersModel> {
    return Object.fromEntries(this.flow.couplings.map((net, k) => [couplingName(k), net]));
  }

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
  private readonly noise: Rng;
  /** The sample grid's base noise, the same draws at every evaluation. */
  private readonly gridNoise: Float32Array;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];
  /** A uniform density over the 8-bit values costs 8 bits/dim; four times that is a flow gone wrong. */
  // Ten steps in a row: a healthy run at its defaults spikes for a single step early on (2,500
  // bits/dim at step 2 and 17 at step 10 on MNIST, then 5 and falling), a diverged one stays up.
  readonly divergenceSigns: DivergenceSign[] = [{ on: 'train', key: 'bitsPerDim', above: 32, times: 10, meaning: 'four times what a uniform density over 8-bit values costs (8 bits/dim)' }];

  constructor(
    config: TrainConfig<'realnvp'>,
    private readonly data: ImageDataset,
    rng: Rng,
    scaleBound: number,
  ) {
    const { couplings, hiddenSizes } = config.model;
    this.flow = new ImageFlow(data, couplings, hiddenSizes, scaleBound, logitMoments(data.train, exampleSize(data)), Math.floor(rng.next() * 1e6));
    this.optimizer = new CosineAdam(config.learningRate, plannedSteps(config, data));
    this.gridNoise = rng.fork(1).fillNormal(new Float32Array(GRID * GRID * this.flow.dims));
    this.noise = rng.fork(2);
    ({ getState: this.getState, setState: this.setState } = trainingState([
      ...this.flow.couplings.map((net, k) => layersModelPart(couplingName(k), net)),
      optimizerPart('adam', this.optimizer),
      numbersPart('step', () => [this.optimizer.position], ([step]) => (this.optimizer.position = step)),
    ]));
  }

  /** NLL per image on [0, 256)^D from the flow's part and log|dy/du|: the dequantised density of the 8-bit values. */
  private pixelNll(flowNll: number, inputLogDet: number): number {
    return flowNll - inputLogDet + this.flow.dims * Math.log(256);
  }

  private bitsPerDim(nll: number): number {
    return nll / (this.flow.dims * Math.LN2);
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const rows = batch.shape[0];
    const { halves, inputLogDet } = this.flow.inputs(batch.dataSync(), rows, 255, this.noise);
    const [a, b] = halves.map((h) => tf.tensor2d(h, [rows, h.length / rows]));
    this.optimizer.advance();
    const loss = this.optimizer.minimize(() => tf.mean(this.flow.flowNll(a, b)) as tf.Scalar, true, this.flow.variables)!;
    const nll = this.pixelNll(loss.dataSync()[0], inputLogDet.reduce((s, v) => s + v, 0) / rows);
    tf.dispose([loss, a, b]);
    return { nll, bitsPerDim: this.bitsPerDim(nll) };
  }

  /** NLL per image of each of `rows` images (8-bit values times toLevel), in nats on [0, 256)^D. */
  nllPerImage(values: ArrayLike<number>, rows: number, toLevel: number, noise: Rng): Float64Array {
    const { halves, inputLogDet } = this.flow.inputs(values, rows, toLevel, noise);
    const flowNll = tf.tidy(() => this.flow.flowNll(tf.tensor2d(halves[0], [rows, halves[0].length / rows]), tf.tensor2d(halves[1], [rows, halves[1].length / rows])).dataSync());
    return Float64Array.from(flowNll, (v, r) => this.pixelNll(v, inputLogDet[r]));
  }

  /** The whole test set, dequantised with the fixed noise. */
  evaluate(): Record<string, number> {
    const { dims } = this.flow;
    const { count, pixels } = this.data.test;
    const noise = new Rng(TEST_DEQUANTIZATION_SEED);
    let total = 0;
    for (let start = 0; start < count; start += EVAL_BATCH) {
      const rows = Math.min(EVAL_BATCH, count - start);
      for (const v of this.nllPerImage(pixels.subarray(start * dims, (start + rows) * dims), rows, 1, noise)) total += v;
    }
    const testNll = total / count;
    return { testNll, testBitsPerDim: this.bitsPerDim(testNll) };
  }

  sample(): SampleGrid[] {
    return [imageGrid(this.data, 'samples', this.flow.decode(this.gridNoise, GRID * GRID), GRID * GRID, GRID)];
  }

  /** Temperature scales the base noise: z ~ N(0, T² I), then the inverse flow. */
  generate(count: number, rng: Rng, temperature: number): SampleGrid {
    const z = rng.fillNormal(new Float32Array(count * this.flow.dims)).map((v) => v * temperature);
    return imageGrid(this.data, 'samples', this.flow.decode(z, count), count);
  }

  save(dir: string): Promise<void> {
    return this.flow.save(dir);
  }

  dispose(): void {
    this.flow.dispose();
    this.optimizer.dispose();
  }
}
