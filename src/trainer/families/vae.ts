/**
 * Variational autoencoder (Kingma & Welling) with MLP encoder and decoder and a Bernoulli decoder:
 * an explicit but approximate density model. Training maximises the ELBO, a lower bound on
 * log p(x); every figure here is in nats per image.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import { exampleSize } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import { fusedAdam } from '../backend/fusedAdam';
import { saveLayersModel } from '../runs/layersFormat';
import { bernoulliCeiling, type DivergenceSign } from '../divergence';
import type { Rng } from '../rng';
import { imageGrid, type LatentTools, type ModelFamily, type SampleGrid, type TrainableModel } from './family';
import { latentTools } from './latentTools';
import { mlp } from './networks';
import { layersModelPart, optimizerPart, type TrainingState, trainingState } from './trainingState';
import { PointVae } from './vaePoints';

const EVAL_BATCH = 1000;
const GRID = 8;

/** KL(N(mu, exp(logVar)) || N(0, I)) per row, in closed form. */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1)));
}

/** -log Bernoulli(x | sigmoid(logits)) summed over pixels, per row; stable for large |logits|. */
export function bernoulliNll(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1));
}

/**
 * mean(bernoulliNll(x, logits)) for training, with its gradient (sigmoid(logits) - x) / rows, in a
 * handful of kernels: the same loss, without tfjs's Softplus kernel (a slow scalar loop on wasm,
 * ~2-3 ms for a 128x784 batch) and the element-wise chain its gradient goes through.
 * softplus(l) = relu(l) - log(sigmoid(|l|)) with sigmoid(|l|) in [1/2, 1], so the logarithms of
 * whole runs of those factors are taken at once from their product, which cannot underflow.
 */
function meanBernoulliNll(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  const rows = x.shape[0];
  const nll = tf.customGrad(((l: tf.Tensor, save: tf.GradSaveFunc) => {
    save([l]);
    const s = tf.tidy(() => tf.sigmoid(tf.abs(l)));
    const [lv, xv, sv] = [l, x, s].map((t) => t.dataSync());
    s.dispose();
    let linear = 0;
    let logs = 0;
    for (let i = 0; i < lv.length; ) {
      let product = 1;
      // At least 2^-1000 after 1000 factors of at least 1/2: well within a double.
      for (const end = Math.min(i + 1000, lv.length); i < end; i++) {
        linear += Math.max(lv[i], 0) - xv[i] * lv[i];
        product *= sv[i];
      }
      logs += Math.log(product);
    }
    return {
      value: tf.scalar((linear - logs) / rows),
      gradFunc: (dy: tf.Scalar, [saved]: tf.Tensor[]) => tf.mul(tf.sub(tf.sigmoid(saved), x), tf.div(dy, rows)),
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return nll(logits) as tf.Scalar;
}

/**
 * The latent part of a training step, from the encoder's output h = [mu | logVar] (rows x 2·latent):
 * z = mu + exp(logVar/2)·eps, and the batch mean of gaussianKl(mu, logVar), each with its gradient
 * for h. These are a few thousand numbers, for which the ~30 small kernels the same formulas take
 * as tensor ops cost far more in per-kernel overhead than plain loops do.
 */
function latentStep(h: tf.Tensor2D, eps: tf.Tensor2D): { z: tf.Tensor2D; meanKl: tf.Scalar } {
  const [rows, width] = h.shape;
  const latent = width / 2;
  const ev = eps.dataSync();
  /** Calls f(mu, logVar, k, at) for every latent unit: k indexes z and eps, `at` is mu's index in h. */
  const each = (hv: ArrayLike<number>, f: (mu: number, logVar: number, k: number, at: number) => void) => {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < latent; j++) f(hv[r * width + j], hv[r * width + latent + j], r * latent + j, r * width + j);
    }
  };
  const z = tf.customGrad(((hIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([hIn]);
    const out = new Float32Array(rows * latent);
    each(hIn.dataSync(), (mu, logVar, k) => (out[k] = mu + Math.exp(0.5 * logVar) * ev[k]));
    return {
      value: tf.tensor2d(out, [rows, latent]),
      gradFunc: (dz: tf.Tensor, [saved]: tf.Tensor[]) => {
        const dzv = dz.dataSync();
        const dh = new Float32Array(rows * width);
        each(saved.dataSync(), (_mu, logVar, k, at) => {
          dh[at] = dzv[k];
          dh[at + latent] = dzv[k] * ev[k] * 0.5 * Math.exp(0.5 * logVar);
        });
        return tf.tensor2d(dh, [rows, width]);
      },
    };
  }) as Parameters<typeof tf.customGrad>[0])(h) as tf.Tensor2D;
  const meanKl = tf.customGrad(((hIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([hIn]);
    let sum = 0;
    each(hIn.dataSync(), (mu, logVar) => (sum += 1 + logVar - mu * mu - Math.exp(logVar)));
    return {
      value: tf.scalar((-0.5 * sum) / rows),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
        const scale = dy.dataSync()[0] / rows;
        const dh = new Float32Array(rows * width);
        each(saved.dataSync(), (mu, logVar, _k, at) => {
          dh[at] = scale * mu;
          dh[at + latent] = scale * 0.5 * (Math.exp(logVar) - 1);
        });
        return tf.tensor2d(dh, [rows, width]);
      },
    };
  }) as Parameters<typeof tf.customGrad>[0])(h) as tf.Scalar;
  return { z, meanKl };
}

class Vae implements TrainableModel {
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
  private readonly dims: number;
  /** Fixed prior draws, so the sample grid shows the same latent points as training goes on. */
  private readonly priorZ: tf.Tensor2D;
  private readonly reconInputs: tf.Tensor2D;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];
  readonly latentTools: LatentTools;
  readonly divergenceSigns: DivergenceSign[];

  constructor(
    config: TrainConfig<'vae'>,
    private readonly data: ImageDataset,
    private readonly rng: Rng,
  ) {
    const { latentDim, hiddenSizes } = config.model;
    this.latentDim = latentDim;
    this.dims = exampleSize(data);
    this.divergenceSigns = [bernoulliCeiling('recon', this.dims)];
    const seed = Math.floor(rng.next() * 1e6);
    this.encoder = mlp('encoder', [this.dims, ...hiddenSizes, 2 * latentDim], seed);
    this.decoder = mlp('decoder', [latentDim, ...[...hiddenSizes].reverse(), this.dims], seed + 1000);
    // tf.train.adam's update, fused into one pass per variable on the wasm backend.
    this.optimizer = fusedAdam(config.learningRate);
    const sampleRng = rng.fork(1);
    this.priorZ = tf.tensor2d(sampleRng.fillNormal(new Float32Array(GRID * GRID * latentDim)), [GRID * GRID, latentDim]);
    // Reconstructions are shown as pairs of rows: originals above, reconstructions below (test
    // images over again where a small folder of them has fewer than the grid's half).
    const half = (GRID * GRID) / 2;
    const originals = new Float32Array(half * this.dims);
    for (let i = 0; i < half; i++) originals.set(data.testBinary.subarray((i % data.test.count) * this.dims, ((i % data.test.count) + 1) * this.dims), i * this.dims);
    this.reconInputs = tf.tensor2d(originals, [half, this.dims]);
    ({ getState: this.getState, setState: this.setState } = trainingState([
      layersModelPart('encoder', this.encoder),
      layersModelPart('decoder', this.decoder),
      optimizerPart('adam', this.optimizer),
    ]));
    this.latentTools = {
      ...latentTools(latentDim, (z, n) => this.decodeMeans(tf.tensor2d(z, [n, latentDim])), data),
      encodeTest: (count) => this.encodeTest(count),
    };
  }

  /** The latent means of the first `count` test images (binarised as for the test -ELBO). */
  private encodeTest(count: number): Float32Array {
    const n = Math.min(count, this.data.test.count);
    return tf.tidy(() => this.encode(tf.tensor2d(this.data.testBinary.subarray(0, n * this.dims), [n, this.dims])).mu.dataSync() as Float32Array);
  }

  /** Pixel probabilities sigmoid(decoder(z)) for latent rows z, which it disposes. */
  private decodeMeans(z: tf.Tensor2D): Float32Array {
    const out = tf.tidy(() => tf.sigmoid(this.decoder.apply(z) as tf.Tensor).dataSync() as Float32Array);
    z.dispose();
    return out;
  }

  /** Temperature scales the prior: z ~ N(0, T² I); images show pixel probabilities. */
  generate(count: number, rng: Rng, temperature: number): SampleGrid {
    const z = this.noise(count, rng);
    const pixels = this.decodeMeans(tf.tidy(() => tf.mul(z, temperature) as tf.Tensor2D));
    z.dispose();
    return imageGrid(this.data, 'samples', pixels, count);
  }

  private encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const h = this.encoder.apply(x) as tf.Tensor2D;
    return { mu: tf.slice(h, [0, 0], [-1, this.latentDim]), logVar: tf.slice(h, [0, this.latentDim], [-1, this.latentDim]) };
  }

  /** Per-image reconstruction and KL terms, with z drawn by reparameterisation from `eps`. */
  private terms(x: tf.Tensor2D, eps: tf.Tensor2D): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
    const { mu, logVar } = this.encode(x);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
    const logits = this.decoder.apply(z) as tf.Tensor2D;
    return { recon: bernoulliNll(x, logits), kl: gaussianKl(mu, logVar) };
  }

  private noise(rows: number, rng: Rng): tf.Tensor2D {
    return tf.tensor2d(rng.fillNormal(new Float32Array(rows * this.latentDim)), [rows, this.latentDim]);
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const eps = this.noise(batch.shape[0], this.rng);
    let recon = 0;
    let kl = 0;
    const loss = this.optimizer.minimize(() => {
      const { z, meanKl } = latentStep(this.encoder.apply(batch) as tf.Tensor2D, eps);
      const logits = this.decoder.apply(z) as tf.Tensor2D;
      const meanRecon = meanBernoulliNll(batch, logits);
      // Read inside the closure: these tensors are freed once minimize returns.
      recon = meanRecon.dataSync()[0];
      kl = meanKl.dataSync()[0];
      return tf.add(meanRecon, meanKl) as tf.Scalar;
    }, true);
    const negElbo = loss!.dataSync()[0];
    tf.dispose([loss!, eps]);
    return { negElbo, recon, kl };
  }

  evaluate(): Record<string, number> {
    const evalRng = this.rng.fork(2);
    const n = this.data.test.count;
    let recon = 0;
    let kl = 0;
    for (let start = 0; start < n; start += EVAL_BATCH) {
      const rows = Math.min(EVAL_BATCH, n - start);
      const [r, k] = tf.tidy(() => {
        const x = tf.tensor2d(this.data.testBinary.subarray(start * this.dims, (start + rows) * this.dims), [rows, this.dims]);
        const t = this.terms(x, this.noise(rows, evalRng));
        return [tf.sum(t.recon).dataSync()[0], tf.sum(t.kl).dataSync()[0]];
      });
      recon += r;
      kl += k;
    }
    return { testNegElbo: (recon + kl) / n, testRecon: recon / n, testKl: kl / n };
  }

  sample(): SampleGrid[] {
    const half = GRID / 2;
    const [prior, pairs] = tf.tidy(() => {
      const { mu } = this.encode(this.reconInputs);
      const recon = tf.sigmoid(this.decoder.apply(mu) as tf.Tensor2D);
      // Interleave rows: a row of originals, then the row of their reconstructions.
      const rows = (t: tf.Tensor) => tf.reshape(t, [half, 1, GRID, this.dims]);
      return [tf.sigmoid(this.decoder.apply(this.priorZ) as tf.Tensor2D), tf.concat([rows(this.reconInputs), rows(recon)], 1)];
    });
    const grid = (kind: string, t: tf.Tensor) => imageGrid(this.data, kind, t.dataSync() as Float32Array, GRID * GRID, GRID);
    const grids = [grid('samples', prior), grid('reconstruction', pairs)];
    tf.dispose([prior, pairs]);
    return grids;
  }

  async save(dir: string): Promise<void> {
    await saveLayersModel(this.encoder, path.join(dir, 'encoder'));
    await saveLayersModel(this.decoder, path.join(dir, 'decoder'));
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.optimizer.dispose();
    tf.dispose([this.priorZ, this.reconInputs]);
  }
}

export const vaeFamily: ModelFamily<'vae'> = {
  family: 'vae',
  create: (config, data, rng) => (data.kind === 'images' ? new Vae(config, data, rng) : new PointVae(config, data, rng)),
};
