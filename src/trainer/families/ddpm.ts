/**
 * Denoising diffusion (Ho et al. 2020), beyond the seed's taxonomy: data are noised in T small
 * steps, x_t = sqrt(ᾱ_t)·x_0 + sqrt(1 - ᾱ_t)·ε, and a network ε_θ(x_t, t) learns to predict the
 * noise (the loss streamed is its mean squared error). Sampling runs the reverse process from
 * pure noise: x_{t-1} = (x_t - β_t/sqrt(1 - ᾱ_t)·ε_θ)/sqrt(α_t) + σ_t·z. The loss is a reweighted
 * variational bound on log p(x), but no likelihood is computed here: samples, the reverse process
 * and (on 2-D data) the histogram divergence of samples from held-out data tell the story.
 *
 * The noise schedule is the cosine one (Nichol & Dhariwal 2021), which suits small T. On 2-D data
 * the denoiser is an MLP on [x_t, sinusoidal embedding of t]; points are standardised first. On
 * images it is a small U-Net (convDenoiser) on grey levels scaled to [-1, 1], with the time
 * embedding turned into a per-channel bias in every block.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import { CosineAdam } from '../backend/fusedAdam';
import { exampleSize, greyLevels, plannedSteps, type PointDataset } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import { writeJsonAtomic } from '../../shared/atomicFile';
import { UserError } from '../../shared/userError';
import type { DivergenceSign } from '../divergence';
import type { Rng } from '../rng';
import { saveLayersModel } from '../runs/layersFormat';
import { densityView } from './densityGrid';
import { imageGrid, type ModelFamily, type SampleGrid, type TrainableModel } from './family';
import { histogramDivergence } from './histogramDivergence';
import { mlp } from './networks';
import { pointMoments } from './realnvp';
import { layersModelPart, numbersPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

/** The sinusoidal time embedding: EMBED values at frequencies 1/EMBED_BASE^(2k/EMBED) of t scaled to 0..EMBED_SCALE. */
const EMBED = 16;
const EMBED_SCALE = 1000;
const EMBED_BASE = 10000;
/** The cosine schedule's offset s (keeps β_1 from being vanishingly small) and its cap on β_t (keeps the last steps finite). */
const COSINE_OFFSET = 0.008;
const MAX_BETA = 0.999;
const VIEW_SAMPLES = 600;
const EVAL_SAMPLES = 5000;
const GRID = 8;
/** Images shown in the reverse-process strip, one per row. */
const STRIP_ROWS = 4;
/** Held-out examples in the test loss (the first 1,000 test images take about a second), and rows per network call. */
const TEST_LOSS_ROWS = { points: 10000, images: 1000 };
const EVAL_BATCH = { points: 10000, images: 250 };
/** Reverse-process snapshots shown, as fractions of T (1 = pure noise, 0 = the samples). */
const SNAPSHOTS = [1, 0.6, 0.3, 0.15, 0.05, 0];

/** The cosine schedule: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), β_t = 1 - ᾱ_t/ᾱ_{t-1} ≤ MAX_BETA. */
export function cosineSchedule(steps: number): { beta: Float64Array; alphaBar: Float64Array } {
  const f = (t: number) => Math.cos(((t / steps + COSINE_OFFSET) / (1 + COSINE_OFFSET)) * (Math.PI / 2)) ** 2;
  const beta = new Float64Array(steps + 1);
  const alphaBar = new Float64Array(steps + 1);
  alphaBar[0] = 1;
  for (let t = 1; t <= steps; t++) {
    beta[t] = Math.min(MAX_BETA, 1 - f(t) / f(t - 1));
    alphaBar[t] = alphaBar[t - 1] * (1 - beta[t]);
  }
  return { beta, alphaBar };
}

/** The sinusoidal embedding of timestep t (of T): EMBED values, sines then cosines at geometric frequencies. */
export function embed(t: number, steps: number, out: Float32Array, at: number): void {
  const x = (t / steps) * EMBED_SCALE;
  for (let k = 0; k < EMBED / 2; k++) {
    const w = x / EMBED_BASE ** ((2 * k) / EMBED);
    out[at + k] = Math.sin(w);
    out[at + EMBED / 2 + k] = Math.cos(w);
  }
}

/**
 * A small U-Net: a 28x28 block, two 14x14 blocks, an up-sampling conv back to 28x28 whose maps are
 * added to the first block's (without that skip the last layers see x_t only through the coarse
 * path, and the small-t steps, which need every pixel of the noise, come out blurred; adding costs
 * less than concatenating, whose gradient is a slow SplitV on wasm and doubles the next conv), a
 * 28x28 block and a linear 3x3 conv to the noise. The time enters every block as a per-channel
 * bias learned from its embedding (so the convs need none of their own), which costs a dense layer
 * instead of EMBED extra input maps, whose filter gradient at 28x28 cost as much as a whole layer.
 */
function convDenoiser(data: ImageDataset, channels: number, seed: number): tfl.LayersModel {
  const { height, width } = data;
  if (height % 4 || width % 4) throw new UserError(`The diffusion conv net halves the image size twice; ${width}x${height} is not a multiple of 4.`, 'Use images whose width and height are multiples of 4.');
  let layer = 0;
  const init = () => tfl.initializers.heNormal({ seed: seed + layer++ });
  const x = tfl.input({ shape: [height, width, data.channels], name: 'x_t' });
  const e = tfl.input({ shape: [EMBED], name: 't_embedding' });
  const time = tfl.layers.dense({ units: 4 * channels, activation: 'relu', kernelInitializer: init() }).apply(e) as tfl.SymbolicTensor;
  const timeBias = (filters: number) =>
    tfl.layers.reshape({ targetShape: [1, 1, filters] }).apply(tfl.layers.dense({ units: filters, kernelInitializer: init() }).apply(time)) as tfl.SymbolicTensor;
  const block = (h: tfl.SymbolicTensor, filters: number, conv: 'conv' | 'down' | 'up' = 'conv') => {
    const layerOf =
      conv === 'up'
        ? tfl.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: init() })
        : tfl.layers.conv2d({ filters, kernelSize: 3, strides: conv === 'down' ? 2 : 1, padding: 'same', useBias: false, kernelInitializer: init() });
    const sum = tfl.layers.add().apply([layerOf.apply(h) as tfl.SymbolicTensor, timeBias(filters)]) as tfl.SymbolicTensor;
    return tfl.layers.reLU().apply(sum) as tfl.SymbolicTensor;
  };
  const plus = (a: tfl.SymbolicTensor, b: tfl.SymbolicTensor) => tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  const top = block(x, channels);
  const half = block(block(top, 2 * channels, 'down'), 2 * channels);
  const quarter = block(block(half, 4 * channels, 'down'), 4 * channels);
  const halfUp = block(plus(block(quarter, 2 * channels, 'up'), half), 2 * channels);
  const topUp = block(plus(block(halfUp, channels, 'up'), top), channels);
  const out = tfl.layers.conv2d({ filters: data.channels, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.zeros() }).apply(topUp);
  return tfl.model({ name: 'denoiser', inputs: [x, e], outputs: tfl.layers.flatten().apply(out) as tfl.SymbolicTensor });
}

type Schedule = ReturnType<typeof cosineSchedule>;

/** x_t = sqrt(ᾱ_t)·x_0 + sqrt(1 - ᾱ_t)·ε for rows of `size` values, row r at step t[r]: a draw from q(x_t | x_0). */
export function diffuse(x0: Float32Array, eps: Float32Array, t: ArrayLike<number>, alphaBar: Float64Array, size: number): Float32Array {
  const xt = new Float32Array(x0.length);
  for (let r = 0; r < t.length; r++) {
    const a = Math.sqrt(alphaBar[t[r]]);
    const b = Math.sqrt(1 - alphaBar[t[r]]);
    for (let j = r * size; j < (r + 1) * size; j++) xt[j] = a * x0[j] + b * eps[j];
  }
  return xt;
}

export interface ReverseOptions {
  /** Scales the starting noise and each step's fresh noise (1 = the model's own distribution). */
  temperature?: number;
  /** Steps t (T down to 0, 0 being the result) at which to keep a copy of x_t. */
  keep?: number[];
  /** Clips x̂_0 to [-clip, clip] (images, scaled to [-1, 1]). */
  clip?: number;
}

/**
 * Ancestral sampling, from `length` values of noise drawn by `rng` down to x_0: `predict(x, t)`
 * gives ε_θ for all of x at step t. Returns x_0 and the snapshots asked for, noise first.
 */
export function reverseProcess(length: number, schedule: Schedule, predict: (x: Float32Array, t: number) => Float32Array, rng: Rng, options: ReverseOptions = {}): { x: Float32Array; snapshots: { t: number; x: Float32Array }[] } {
  const { beta, alphaBar } = schedule;
  const { temperature = 1, keep = [], clip = Infinity } = options;
  let x = rng.fillNormal(new Float32Array(length)).map((v) => v * temperature);
  const snapshots: { t: number; x: Float32Array }[] = [];
  for (let t = beta.length - 1; t >= 1; t--) {
    if (keep.includes(t)) snapshots.push({ t, x });
    const eps = predict(x, t);
    // The mean of q(x_{t-1} | x_t, x̂_0) with x̂_0 = (x_t - sqrt(1 - ᾱ_t)·ε_θ)/sqrt(ᾱ_t): the same as
    // Ho et al.'s formula, but x̂_0 can be clipped to the data's range, which keeps an imperfect
    // ε_θ at large t (where 1/sqrt(ᾱ_t) is large) from blowing samples up.
    const a0 = Math.sqrt(alphaBar[t]);
    const b0 = Math.sqrt(1 - alphaBar[t]);
    const cx0 = (beta[t] * Math.sqrt(alphaBar[t - 1])) / (1 - alphaBar[t]);
    const cxt = ((1 - alphaBar[t - 1]) * Math.sqrt(1 - beta[t])) / (1 - alphaBar[t]);
    // σ_t² = β̃_t, the posterior variance, is 0 at t = 1: the last step adds no noise.
    const sigma = Math.sqrt((beta[t] * (1 - alphaBar[t - 1])) / (1 - alphaBar[t])) * temperature;
    const z = t > 1 ? rng.fillNormal(new Float32Array(length)) : undefined;
    const next = new Float32Array(length);
    for (let i = 0; i < length; i++) {
      const x0 = Math.min(clip, Math.max(-clip, (x[i] - b0 * eps[i]) / a0));
      next[i] = cx0 * x0 + cxt * x[i] + (z ? sigma * z[i] : 0);
    }
    x = next;
  }
  if (keep.includes(0)) snapshots.push({ t: 0, x });
  return { x, snapshots };
}

/** The noise is standard normal, so predicting none at all costs an MSE of 1; a hundred times that is a denoiser gone wrong. */
const DDPM_DIVERGENCE: DivergenceSign[] = [
  { on: 'train', key: 'mse', above: 100, meaning: 'a hundred times what predicting no noise at all costs (1)' },
  { on: 'eval', key: 'testMse', above: 100, meaning: 'a hundred times what predicting no noise at all costs (1)' },
];

class Ddpm implements TrainableModel {
  private readonly net: tfl.LayersModel;
  private readonly optimizer: CosineAdam;

  get networks(): Record<string, tfl.LayersModel> {
    return { denoiser: this.net };
  }

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
  private readonly steps: number;
  private readonly schedule: Schedule;
  /** Values per example: 2 for points, height × width × channels for images. */
  private readonly size: number;
  /** Points are standardised by these before diffusion; images map [0, 1] to [-1, 1]. */
  private readonly shift: number[];
  private readonly scale: number[];
  private readonly viewNoise: Rng;
  /** Held-out examples (normalised) with fixed steps and noise, for a test loss that moves only with the model. */
  private readonly testLoss: { x0: Float32Array; t: Int32Array; eps: Float32Array };
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];
  readonly divergenceSigns = DDPM_DIVERGENCE;

  constructor(
    config: TrainConfig<'ddpm'>,
    private readonly data: ImageDataset | PointDataset,
    private readonly rng: Rng,
  ) {
    const { timesteps, hiddenSizes, channels } = config.model;
    this.steps = timesteps;
    this.schedule = cosineSchedule(timesteps);
    const seed = Math.floor(rng.next() * 1e6);
    let test: Float32Array;
    if (data.kind === 'images') {
      this.size = exampleSize(data);
      this.shift = [0.5];
      this.scale = [0.5];
      this.net = convDenoiser(data, channels ?? 16, seed);
      const rows = Math.min(TEST_LOSS_ROWS.images, data.test.count);
      test = new Float32Array(rows * this.size);
      for (let r = 0; r < rows; r++) greyLevels(data.test.pixels, r, this.size, test, r * this.size);
    } else {
      this.size = data.dim;
      const { mean, std } = pointMoments(data.train.points, data.train.count);
      this.shift = mean;
      this.scale = std;
      this.net = mlp('denoiser', [data.dim + EMBED, ...(hiddenSizes ?? [128, 128, 128]), data.dim], seed);
      test = data.test.points.subarray(0, Math.min(TEST_LOSS_ROWS.points, data.test.count) * this.size);
    }
    const fixed = rng.fork(3);
    const x0 = this.normalise(test);
    const rows = x0.length / this.size;
    this.testLoss = { x0, t: Int32Array.from({ length: rows }, () => 1 + Math.floor(fixed.next() * this.steps)), eps: fixed.fillNormal(new Float32Array(x0.length)) };
    // The rate decays to zero along a cosine over the run; the small last steps do what an average
    // of the weights (the usual EMA of diffusion models) would: samples stop jittering around the data.
    this.optimizer = new CosineAdam(config.learningRate, plannedSteps(config, data));
    this.viewNoise = rng.fork(1);
    ({ getState: this.getState, setState: this.setState } = trainingState([
      layersModelPart('denoiser', this.net),
      optimizerPart('adam', this.optimizer),
      numbersPart('step', () => [this.optimizer.position], ([step]) => (this.optimizer.position = step)),
    ]));
  }

  /** The denoiser's input for rows of x_t (rows × size) at per-row timesteps: [x_t, embedding] for points; images and embeddings for images. */
  private input(x: Float32Array, t: ArrayLike<number>): tf.Tensor[] {
    const rows = x.length / this.size;
    if (this.data.kind === 'points') {
      const width = this.size + EMBED;
      const out = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        out.set(x.subarray(r * this.size, (r + 1) * this.size), r * width);
        embed(t[r], this.steps, out, r * width + this.size);
      }
      return [tf.tensor2d(out, [rows, width])];
    }
    const e = new Float32Array(rows * EMBED);
    for (let r = 0; r < rows; r++) embed(t[r], this.steps, e, r * EMBED);
    return [tf.tensor4d(x, [rows, this.data.height, this.data.width, this.data.channels]), tf.tensor2d(e, [rows, EMBED])];
  }

  /** ε_θ(x_t, t) for rows of x_t at per-row timesteps. */
  private predict(x: Float32Array, t: ArrayLike<number>): Float32Array {
    const input = this.input(x, t);
    const eps = tf.tidy(() => (this.net.apply(input) as tf.Tensor).dataSync() as Float32Array);
    tf.dispose(input);
    return eps;
  }

  private normalise(batch: Float32Array): Float32Array {
    const d = this.shift.length;
    return batch.map((v, i) => (v - this.shift[i % d]) / this.scale[i % d]);
  }

  private denormalise(x: Float32Array): Float32Array {
    const d = this.shift.length;
    return x.map((v, i) => v * this.scale[i % d] + this.shift[i % d]);
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    this.optimizer.advance();
    const rows = batch.shape[0];
    const x0 = this.normalise(batch.dataSync() as Float32Array);
    const eps = this.rng.fillNormal(new Float32Array(x0.length));
    const t = Array.from({ length: rows }, () => 1 + Math.floor(this.rng.next() * this.steps));
    const input = this.input(diffuse(x0, eps, t, this.schedule.alphaBar, this.size), t);
    const target = tf.tensor2d(eps, [rows, this.size]);
    const loss = this.optimizer.minimize(() => tf.losses.meanSquaredError(target, this.net.apply(input) as tf.Tensor2D) as tf.Scalar, true)!;
    const mse = loss.dataSync()[0];
    tf.dispose([loss, ...input, target]);
    return { mse };
  }

  /** The reverse process for `count` examples, back in the data's units. */
  private reverse(count: number, rng: Rng, temperature = 1, keep: number[] = []): { x: Float32Array; snapshots: { t: number; x: Float32Array }[] } {
    const run = reverseProcess(count * this.size, this.schedule, (x, t) => this.predict(x, new Array<number>(count).fill(t)), rng, {
      temperature,
      keep,
      clip: this.data.kind === 'images' ? 1 : undefined,
    });
    return { x: this.denormalise(run.x), snapshots: run.snapshots.map((s) => ({ t: s.t, x: this.denormalise(s.x) })) };
  }

  /** The noise-prediction error on held-out data (`testMse`); on points also the histogram JS and KL of samples to the test points. */
  evaluate(): Record<string, number> {
    const { x0, t, eps } = this.testLoss;
    const rows = t.length;
    let sq = 0;
    for (let from = 0; from < rows; from += EVAL_BATCH[this.data.kind]) {
      const to = Math.min(rows, from + EVAL_BATCH[this.data.kind]);
      const span = [from * this.size, to * this.size] as const;
      const e = eps.subarray(...span);
      const predicted = this.predict(diffuse(x0.subarray(...span), e, t.subarray(from, to), this.schedule.alphaBar, this.size), t.subarray(from, to));
      for (let i = 0; i < e.length; i++) sq += (predicted[i] - e[i]) ** 2;
    }
    const testMse = sq / x0.length;
    if (this.data.kind !== 'points') return { testMse };
    return { ...histogramDivergence(this.data.test.points, this.reverse(EVAL_SAMPLES, this.rng.fork(2)).x, this.data), testMse };
  }

  private snapshotSteps(): number[] {
    return [...new Set(SNAPSHOTS.map((f) => Math.round(f * this.steps)))];
  }

  density(): DensityGrid | undefined {
    if (this.data.kind !== 'points') return undefined;
    const { x, snapshots } = this.reverse(VIEW_SAMPLES, this.viewNoise.fork(0), 1, this.snapshotSteps());
    return densityView('none', this.data, [], x, { reverse: snapshots.map((s) => ({ t: s.t, samples: Array.from(s.x, (v) => Math.round(v * 1e4) / 1e4) })) });
  }

  /** A grid of samples, and a strip per row of a few of them at the snapshot steps, noise first. */
  sample(): SampleGrid[] {
    const data = this.data;
    if (data.kind !== 'images') return [];
    const keep = this.snapshotSteps();
    const { x, snapshots } = this.reverse(GRID * GRID, this.viewNoise.fork(0), 1, keep);
    const strip = new Float32Array(STRIP_ROWS * keep.length * this.size);
    for (let r = 0; r < STRIP_ROWS; r++) {
      snapshots.forEach((s, k) => strip.set(s.x.subarray(r * this.size, (r + 1) * this.size), (r * keep.length + k) * this.size));
    }
    const grid = (kind: string, pixels: Float32Array, count: number, cols: number) => imageGrid(data, kind, clamp01(pixels), count, cols);
    return [grid('samples', x, GRID * GRID, GRID), grid('reverse', strip, STRIP_ROWS * keep.length, keep.length)];
  }

  /** Temperature scales the starting noise and each step's fresh noise. */
  generate(count: number, rng: Rng, temperature: number): SampleGrid | Float32Array {
    const { x } = this.reverse(count, rng, temperature);
    const data = this.data;
    if (data.kind !== 'images') return x;
    return imageGrid(data, 'samples', clamp01(x), count);
  }

  /** The denoiser, and in diffusion.json what sampling needs around it: the schedule, the embedding, the data's scaling. */
  async save(dir: string): Promise<void> {
    await saveLayersModel(this.net, path.join(dir, 'denoiser'));
    writeJsonAtomic(path.join(dir, 'diffusion.json'), this.describe());
  }

  private describe() {
    const data = this.data;
    return {
      format: 'genlab-ddpm',
      data: data.kind,
      ...(data.kind === 'images' ? { imageSize: [data.height, data.width], channels: data.channels, clip: 1 } : { dim: data.dim }),
      timesteps: this.steps,
      schedule: { kind: 'cosine', offset: COSINE_OFFSET, maxBeta: MAX_BETA, rule: 'alphaBar_t = f(t)/f(0), f(t) = cos((t/T + offset)/(1 + offset) * pi/2)^2; beta_t = min(maxBeta, 1 - alphaBar_t/alphaBar_{t-1}), t = 1..T' },
      embedding: { size: EMBED, scale: EMBED_SCALE, base: EMBED_BASE, rule: 'w_k = (scale * t/T) / base^(2k/size), k = 0..size/2-1; the embedding is [sin(w_k)..., cos(w_k)...]' },
      standardise: { mean: this.shift, std: this.scale, rule: 'the denoiser sees (x - mean)/std, per coordinate for points, the same for every pixel of images (grey levels in [0, 1])' },
      denoiser:
        data.kind === 'images'
          ? 'inputs x_t (N x height x width x channels) and the embedding (N x size); output the noise, N x (height * width * channels)'
          : 'input [x_t, embedding] (N x (dim + size)); output the noise, N x dim',
      sampling:
        'from x_T ~ N(0, I): x0_hat = clip((x_t - sqrt(1 - alphaBar_t) eps)/sqrt(alphaBar_t), -clip, clip) (no clip for points); ' +
        'x_{t-1} = beta_t sqrt(alphaBar_{t-1})/(1 - alphaBar_t) x0_hat + (1 - alphaBar_{t-1}) sqrt(1 - beta_t)/(1 - alphaBar_t) x_t + sigma_t z, ' +
        'sigma_t^2 = beta_t (1 - alphaBar_{t-1})/(1 - alphaBar_t), no noise at t = 1; then x = x_0 * std + mean',
    };
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}

const clamp01 = (v: Float32Array) => v.map((p) => Math.min(1, Math.max(0, p)));

export const ddpmFamily: ModelFamily<'ddpm'> = {
  family: 'ddpm',
  grayscale: true,
  create: (config, data, rng) => {
    if (data.kind === 'points' && data.dim !== 2) {
      throw new UserError(`Diffusion here models 2-D points or images; ${config.dataset} is 1-D.`, 'Choose a 2-D dataset such as 8gaussians, or an image dataset.');
    }
    return new Ddpm(config, data, rng);
  },
};
