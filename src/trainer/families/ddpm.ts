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
 * images it is a small convolutional net whose input carries the time embedding as extra
 * channels, on grey levels scaled to [-1, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import { fusedAdam } from '../backend/fusedAdam';
import type { Dataset, PointDataset } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import { UserError } from '../errors';
import type { Rng } from '../rng';
import { saveLayersModel } from '../runs/layersFormat';
import { densityView } from './densityGrid';
import type { ModelFamily, SampleGrid, TrainableModel } from './family';
import { histogramDivergence } from './histogramDivergence';
import { mlp } from './networks';
import { layersModelPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

/** Sinusoidal time-embedding size. */
const EMBED = 16;
const VIEW_SAMPLES = 600;
const EVAL_SAMPLES = 5000;
const GRID = 8;
/** Reverse-process snapshots shown, as fractions of T (1 = pure noise, 0 = the samples). */
const SNAPSHOTS = [1, 0.6, 0.3, 0.15, 0.05, 0];

/** The cosine schedule: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s)·π/2), β_t = 1 - ᾱ_t/ᾱ_{t-1} ≤ 0.999. */
export function cosineSchedule(steps: number): { beta: Float64Array; alphaBar: Float64Array } {
  const f = (t: number) => Math.cos(((t / steps + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const beta = new Float64Array(steps + 1);
  const alphaBar = new Float64Array(steps + 1);
  alphaBar[0] = 1;
  for (let t = 1; t <= steps; t++) {
    beta[t] = Math.min(0.999, 1 - f(t) / f(t - 1));
    alphaBar[t] = alphaBar[t - 1] * (1 - beta[t]);
  }
  return { beta, alphaBar };
}

/** The sinusoidal embedding of timestep t (of T): EMBED values, sines then cosines at geometric frequencies. */
function embed(t: number, steps: number, out: Float32Array, at: number): void {
  const x = (t / steps) * 1000;
  for (let k = 0; k < EMBED / 2; k++) {
    const w = x / 10000 ** ((2 * k) / EMBED);
    out[at + k] = Math.sin(w);
    out[at + EMBED / 2 + k] = Math.cos(w);
  }
}

function convDenoiser(channels: number, seed: number): tfl.Sequential {
  const init = (k: number) => tfl.initializers.heNormal({ seed: seed + k });
  const conv = (filters: number, k: number, extra: Partial<Parameters<typeof tfl.layers.conv2d>[0]> = {}) =>
    tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(k), ...extra });
  return tfl.sequential({
    name: 'denoiser',
    layers: [
      conv(channels, 0, { inputShape: [28, 28, 1 + EMBED] }),
      conv(2 * channels, 1, { strides: 2 }),
      conv(2 * channels, 2),
      tfl.layers.conv2dTranspose({ filters: channels, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(3) }),
      conv(channels, 4),
      tfl.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.zeros() }),
      tfl.layers.flatten(),
    ],
  });
}

class Ddpm implements TrainableModel {
  private readonly net: tfl.Sequential;
  private readonly optimizer: tf.Optimizer;
  private readonly steps: number;
  private readonly schedule: { beta: Float64Array; alphaBar: Float64Array };
  /** Values per example: 2 for points, 784 for images. */
  private readonly size: number;
  /** Points are standardised by these before diffusion; images map [0, 1] to [-1, 1]. */
  private readonly shift: number[];
  private readonly scale: number[];
  private readonly viewNoise: Rng;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'ddpm'>,
    private readonly data: Dataset,
    private readonly rng: Rng,
  ) {
    const { timesteps, hiddenSizes, channels } = config.model;
    this.steps = timesteps;
    this.schedule = cosineSchedule(timesteps);
    const seed = Math.floor(rng.next() * 1e6);
    if (data.kind === 'images') {
      this.size = data.width * data.height;
      this.shift = [0.5];
      this.scale = [0.5];
      this.net = convDenoiser(channels ?? 32, seed);
    } else {
      this.size = data.dim;
      const { points, count } = data.train;
      this.shift = Array.from({ length: data.dim }, (_, d) => {
        let s = 0;
        for (let i = 0; i < count; i++) s += points[i * data.dim + d];
        return s / count;
      });
      this.scale = this.shift.map((m, d) => {
        let s = 0;
        for (let i = 0; i < count; i++) s += (points[i * data.dim + d] - m) ** 2;
        return Math.sqrt(s / count) || 1;
      });
      this.net = mlp('denoiser', [data.dim + EMBED, ...(hiddenSizes ?? [128, 128, 128]), data.dim], seed);
    }
    this.optimizer = fusedAdam(config.learningRate);
    this.viewNoise = rng.fork(1);
    ({ getState: this.getState, setState: this.setState } = trainingState([layersModelPart('denoiser', this.net), optimizerPart('adam', this.optimizer)]));
  }

  /** The denoiser's input for rows of x_t (rows × size) at per-row timesteps: [x_t, embedding], as images or vectors. */
  private input(x: Float32Array, t: ArrayLike<number>, rows: number): tf.Tensor {
    if (this.data.kind === 'points') {
      const width = this.size + EMBED;
      const out = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) {
        out.set(x.subarray(r * this.size, (r + 1) * this.size), r * width);
        embed(t[r], this.steps, out, r * width + this.size);
      }
      return tf.tensor2d(out, [rows, width]);
    }
    const pixels = this.size;
    const depth = 1 + EMBED;
    const out = new Float32Array(rows * pixels * depth);
    const e = new Float32Array(EMBED);
    for (let r = 0; r < rows; r++) {
      embed(t[r], this.steps, e, 0);
      for (let p = 0; p < pixels; p++) {
        const at = (r * pixels + p) * depth;
        out[at] = x[r * pixels + p];
        out.set(e, at + 1);
      }
    }
    return tf.tensor4d(out, [rows, this.data.height, this.data.width, depth]);
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
    const rows = batch.shape[0];
    const x0 = this.normalise(batch.dataSync() as Float32Array);
    const eps = this.rng.fillNormal(new Float32Array(x0.length));
    const t = Array.from({ length: rows }, () => 1 + Math.floor(this.rng.next() * this.steps));
    const xt = new Float32Array(x0.length);
    for (let r = 0; r < rows; r++) {
      const a = Math.sqrt(this.schedule.alphaBar[t[r]]);
      const b = Math.sqrt(1 - this.schedule.alphaBar[t[r]]);
      for (let j = r * this.size; j < (r + 1) * this.size; j++) xt[j] = a * x0[j] + b * eps[j];
    }
    const input = this.input(xt, t, rows);
    const target = tf.tensor2d(eps, [rows, this.size]);
    const loss = this.optimizer.minimize(() => tf.losses.meanSquaredError(target, this.net.apply(input) as tf.Tensor2D) as tf.Scalar, true)!;
    const mse = loss.dataSync()[0];
    tf.dispose([loss, input, target]);
    return { mse };
  }

  /**
   * Runs the reverse process for `count` examples from noise drawn by `rng` (scaled by
   * `temperature`, which also scales each step's fresh noise), keeping snapshots at `keep` steps.
   */
  private reverse(count: number, rng: Rng, temperature = 1, keep: number[] = []): { x: Float32Array; snapshots: { t: number; x: Float32Array }[] } {
    const { beta, alphaBar } = this.schedule;
    const clip = this.data.kind === 'images';
    let x = rng.fillNormal(new Float32Array(count * this.size)).map((v) => v * temperature);
    const snapshots: { t: number; x: Float32Array }[] = [];
    const ts = new Array<number>(count);
    for (let t = this.steps; t >= 1; t--) {
      if (keep.includes(t)) snapshots.push({ t, x: this.denormalise(x) });
      ts.fill(t);
      const input = this.input(x, ts, count);
      const eps = tf.tidy(() => (this.net.apply(input) as tf.Tensor).dataSync() as Float32Array);
      input.dispose();
      // The mean of q(x_{t-1} | x_t, x̂_0) with x̂_0 = (x_t - sqrt(1 - ᾱ_t)·ε_θ)/sqrt(ᾱ_t): the same as
      // Ho et al.'s formula, but x̂_0 can be clipped to the data's range (images: [-1, 1]), which
      // keeps an imperfect ε_θ at large t (where 1/sqrt(α_t) is large) from blowing samples up.
      const a0 = Math.sqrt(alphaBar[t]);
      const b0 = Math.sqrt(1 - alphaBar[t]);
      const cx0 = (beta[t] * Math.sqrt(alphaBar[t - 1])) / (1 - alphaBar[t]);
      const cxt = ((1 - alphaBar[t - 1]) * Math.sqrt(1 - beta[t])) / (1 - alphaBar[t]);
      // σ_t² = β̃_t, the posterior variance, is 0 at t = 1: the last step adds no noise.
      const sigma = Math.sqrt((beta[t] * (1 - alphaBar[t - 1])) / (1 - alphaBar[t])) * temperature;
      const z = t > 1 ? rng.fillNormal(new Float32Array(x.length)) : undefined;
      const next = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const x0 = (x[i] - b0 * eps[i]) / a0;
        next[i] = cx0 * (clip ? Math.min(1, Math.max(-1, x0)) : x0) + cxt * x[i] + (z ? sigma * z[i] : 0);
      }
      x = next;
    }
    const out = this.denormalise(x);
    if (keep.includes(0)) snapshots.push({ t: 0, x: out });
    return { x: out, snapshots };
  }

  evaluate(): Record<string, number> {
    if (this.data.kind !== 'points') return {};
    return histogramDivergence(this.data.test.points, this.reverse(EVAL_SAMPLES, this.rng.fork(2)).x, this.data);
  }

  private snapshotSteps(): number[] {
    return [...new Set(SNAPSHOTS.map((f) => Math.round(f * this.steps)))];
  }

  density(): DensityGrid | undefined {
    if (this.data.kind !== 'points') return undefined;
    const data: PointDataset = this.data;
    const { x, snapshots } = this.reverse(VIEW_SAMPLES, this.viewNoise.fork(0), 1, this.snapshotSteps());
    return densityView('none', data, [], x, { reverse: snapshots.map((s) => ({ t: s.t, samples: Array.from(s.x, (v) => Math.round(v * 1e4) / 1e4) })) });
  }

  /** A grid of samples, and a strip per row of a few of them at the snapshot steps, noise first. */
  sample(): SampleGrid[] {
    const data = this.data;
    if (data.kind !== 'images') return [];
    const keep = this.snapshotSteps();
    const { x, snapshots } = this.reverse(GRID * GRID, this.viewNoise.fork(0), 1, keep);
    const clamp = (v: Float32Array) => v.map((p) => Math.min(1, Math.max(0, p)));
    const rows = 4;
    const strip = new Float32Array(rows * keep.length * this.size);
    for (let r = 0; r < rows; r++) {
      snapshots.forEach((s, k) => strip.set(s.x.subarray(r * this.size, (r + 1) * this.size), (r * keep.length + k) * this.size));
    }
    const grid = (kind: string, pixels: Float32Array, count: number, cols: number): SampleGrid => ({ kind, pixels: clamp(pixels), count, cols, width: data.width, height: data.height });
    return [grid('samples', x, GRID * GRID, GRID), grid('reverse', strip, rows * keep.length, keep.length)];
  }

  /** Temperature scales the starting noise and each step's fresh noise. */
  generate(count: number, rng: Rng, temperature: number): SampleGrid | Float32Array {
    const { x } = this.reverse(count, rng, temperature);
    const data = this.data;
    if (data.kind !== 'images') return x;
    return { kind: 'samples', pixels: x.map((p) => Math.min(1, Math.max(0, p))), count, cols: Math.ceil(Math.sqrt(count)), width: data.width, height: data.height };
  }

  async save(dir: string): Promise<void> {
    await saveLayersModel(this.net, path.join(dir, 'denoiser'));
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}

export const ddpmFamily: ModelFamily<'ddpm'> = {
  family: 'ddpm',
  grayscale: true,
  create: (config, data, rng) => {
    if (data.kind === 'points' && data.dim !== 2) {
      throw new UserError(`Diffusion here models 2-D points or images; ${config.dataset} is 1-D.`, 'Choose a 2-D dataset such as 8gaussians, or an image dataset.');
    }
    return new Ddpm(config, data as ImageDataset | PointDataset, rng);
  },
};
