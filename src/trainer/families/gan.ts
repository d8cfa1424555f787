/**
 * Generative adversarial network (Goodfellow et al. 2014): an implicit density model. A generator
 * maps noise z ~ N(0, I) to data, and a discriminator learns to tell real data from generated;
 * the generator has no log p(x). GenLab scores it by its samples instead: on 2-D data, the
 * Jensen-Shannon and KL divergences between histograms of real and generated points, and the
 * discriminator's output over the plane (which is not a density) as its view.
 *
 * On 2-D data both networks are MLPs. On images the GAN is DCGAN-style (Radford et al. 2016): a
 * dense layer to 7x7 feature maps and two transposed convolutions up to 28x28 with a sigmoid (grey
 * levels in [0, 1]); the discriminator mirrors it with two strided convolutions and LeakyReLU.
 *
 * Losses, on discriminator logits l: non-saturating, D minimises softplus(-l(x)) + softplus(l(G(z)))
 * and G minimises softplus(-l(G(z))); least-squares (Mao et al. 2017), D minimises
 * ((l(x) - 1)² + l(G(z))²) / 2 and G minimises (l(G(z)) - 1)² / 2.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import { CosineAdam } from '../backend/fusedAdam';
import { type Dataset, type PointDataset, plannedSteps } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import { UserError } from '../../shared/userError';
import type { DivergenceSign } from '../divergence';
import type { Rng } from '../rng';
import { saveLayersModel } from '../runs/layersFormat';
import { densityView, gridPoints } from './densityGrid';
import { imageGrid, type LatentTools, type ModelFamily, type SampleGrid, type TrainableModel } from './family';
import { histogramDivergence } from './histogramDivergence';
import { latentTools } from './latentTools';
import { mlp } from './networks';
import { layersModelPart, numbersPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

/** Points drawn for the density view, and for the histogram divergence at each evaluation. */
const VIEW_SAMPLES = 600;
const EVAL_SAMPLES = 10_000;
const GRID = 8;
/** Adam's β1 = 0.5, as DCGAN found steadier for the two-player game than 0.9. */
const BETA1 = 0.5;

type Loss = TrainConfig<'gan'>['model']['loss'];

function discriminatorLoss(loss: Loss, real: tf.Tensor, fake: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    loss === 'least-squares'
      ? tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, 1))), tf.mean(tf.square(fake))))
      : tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))),
  ) as tf.Scalar;
}

function generatorLoss(loss: Loss, fake: tf.Tensor): tf.Scalar {
  return tf.tidy(() => (loss === 'least-squares' ? tf.mul(0.5, tf.mean(tf.square(tf.sub(fake, 1)))) : tf.mean(tf.softplus(tf.neg(fake))))) as tf.Scalar;
}

type ImageShape = Pick<ImageDataset, 'width' | 'height' | 'channels'>;

/** Maps of a quarter of the image's size, grown twice by stride-2 transposed convolutions (7x7 → 28x28 for MNIST). */
function dcganGenerator(latentDim: number, image: ImageShape, channels: number, seed: number): tfl.Sequential {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed + k });
  const half = Math.max(1, Math.round(channels / 2));
  const [rows, cols] = [image.height / 4, image.width / 4];
  return tfl.sequential({
    name: 'generator',
    layers: [
      tfl.layers.dense({ inputShape: [latentDim], units: rows * cols * channels, activation: 'relu', kernelInitializer: init(0) }),
      tfl.layers.reshape({ targetShape: [rows, cols, channels] }),
      tfl.layers.conv2dTranspose({ filters: half, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
      tfl.layers.conv2dTranspose({ filters: image.channels, kernelSize: 4, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(2) }),
      tfl.layers.flatten(),
    ],
  });
}

export function dcganDiscriminator(image: ImageShape, channels: number, seed: number): tfl.Sequential {
  const init = (k: number) => tfl.initializers.glorotUniform({ seed: seed + k });
  const half = Math.max(1, Math.round(channels / 2));
  const { width, height } = image;
  return tfl.sequential({
    name: 'discriminator',
    layers: [
      tfl.layers.reshape({ inputShape: [width * height * image.channels], targetShape: [height, width, image.channels] }),
      tfl.layers.conv2d({ filters: half, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(0) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.conv2d({ filters: channels, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init(1) }),
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 1, kernelInitializer: init(2) }),
    ],
  });
}

const variablesOf = (model: tfl.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable);

/**
 * LeakyReLU as x·s with s = step(x, α) (1 where x > 0, else α), and its gradient dy·s. tfjs's own
 * kernel and gradient (Greater, Select, Mul) take ~5 ms per 64x14x14x32 activation on wasm, these
 * two fast element-wise kernels ~0.2 ms.
 */
function leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor {
  return tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const slope = tf.step(input, alpha);
    save([slope]);
    return { value: tf.mul(input, slope), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, saved) };
  }) as Parameters<typeof tf.customGrad>[0])(x);
}

/**
 * A linear Conv2D layer as separate convolution and bias kernels. The layer's own fused kernel
 * computes the gradients of its input and its filter together even where only one is wanted: the
 * discriminator's filters in the generator's step, its input in its own.
 */
function conv2d(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor {
  const { strides, padding } = layer.getConfig() as { strides: [number, number]; padding: 'same' | 'valid' };
  const [kernel, bias] = layer.trainableWeights.map((w) => w.read());
  return tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, padding), bias);
}

/**
 * A network's layers in order, as its own apply runs them, but with the faster gradients above for
 * its LeakyReLU and (linear) Conv2D layers.
 */
export function forward(model: tfl.Sequential, x: tf.Tensor): tf.Tensor {
  return model.layers.reduce((h, layer) => {
    if (layer.getClassName() === 'LeakyReLU') return leakyRelu(h, layer.getConfig().alpha as number);
    if (layer.getClassName() === 'Conv2D' && layer.getConfig().activation === 'linear') return conv2d(layer, h);
    return layer.apply(h) as tf.Tensor;
  }, x);
}

/**
 * A discriminator whose loss stays at 0 has won outright: its gradients to the generator vanish
 * (early GAN losses are noisy, but never 0 for a hundred steps in a row). Histogram JS pinned at its
 * maximum ln 2 means the generated points fall where no held-out point is; an untrained generator
 * can look like that, so it counts only from step 500 on.
 */
const GAN_DIVERGENCE: DivergenceSign[] = [
  { on: 'train', key: 'discriminator', below: 1e-4, times: 100, meaning: 'the discriminator tells every generated sample from the real ones, so the generator gets no gradient to learn from' },
  { on: 'eval', key: 'js', above: 0.999 * Math.LN2, times: 2, fromStep: 500, meaning: 'at its maximum ln 2, the generated points fall where no held-out point is' },
];

class Gan implements TrainableModel {
  private readonly generator: tfl.Sequential;
  private readonly discriminator: tfl.Sequential;
  private readonly gOptimizer: CosineAdam;
  private readonly dOptimizer: CosineAdam;

  get networks(): Record<string, tfl.LayersModel> {
    return { generator: this.generator, discriminator: this.discriminator };
  }

  get optimizers(): tf.Optimizer[] {
    return [this.gOptimizer, this.dOptimizer];
  }
  private readonly latentDim: number;
  private readonly loss: Loss;
  /** Fixed noise for the views, so they show the same draws as training goes on. */
  private readonly viewZ: tf.Tensor2D;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];
  readonly latentTools?: LatentTools;
  readonly divergenceSigns = GAN_DIVERGENCE;

  constructor(
    config: TrainConfig<'gan'>,
    private readonly data: Dataset,
    private readonly rng: Rng,
  ) {
    const { latentDim, loss, hiddenSizes, channels } = config.model;
    this.latentDim = latentDim;
    this.loss = loss;
    const seed = Math.floor(rng.next() * 1e6);
    if (data.kind === 'images') {
      const width = channels ?? 64;
      this.generator = dcganGenerator(latentDim, data, width, seed);
      this.discriminator = dcganDiscriminator(data, width, seed + 1000);
      this.latentTools = latentTools(latentDim, (z, n) => this.decode(z, n), data);
    } else {
      const hidden = hiddenSizes ?? [128, 128];
      this.generator = mlp('generator', [latentDim, ...hidden, data.dim], seed);
      this.discriminator = mlp('discriminator', [data.dim, ...hidden, 1], seed + 1000);
    }
    // Both rates decay to zero over the run: a GAN's generator otherwise keeps sharpening its modes
    // against a discriminator that keeps adapting, and the histogram divergence drifts back up.
    const steps = plannedSteps(config, data);
    this.gOptimizer = new CosineAdam(config.learningRate, steps, BETA1);
    this.dOptimizer = new CosineAdam(config.learningRate, steps, BETA1);
    const views = data.kind === 'images' ? GRID * GRID : VIEW_SAMPLES;
    this.viewZ = this.noise(views, rng.fork(1));
    ({ getState: this.getState, setState: this.setState } = trainingState([
      layersModelPart('generator', this.generator),
      layersModelPart('discriminator', this.discriminator),
      optimizerPart('adam-generator', this.gOptimizer),
      optimizerPart('adam-discriminator', this.dOptimizer),
      numbersPart('step', () => [this.gOptimizer.position], ([step]) => (this.gOptimizer.position = this.dOptimizer.position = step)),
    ]));
  }

  private noise(rows: number, rng: Rng, scale = 1): tf.Tensor2D {
    const z = rng.fillNormal(new Float32Array(rows * this.latentDim));
    if (scale !== 1) for (let i = 0; i < z.length; i++) z[i] *= scale;
    return tf.tensor2d(z, [rows, this.latentDim]);
  }

  private generate2d(z: tf.Tensor2D): Float32Array {
    return tf.tidy(() => (this.generator.apply(z) as tf.Tensor).dataSync() as Float32Array);
  }

  private decode(z: Float32Array, count: number): Float32Array {
    const t = tf.tensor2d(z, [count, this.latentDim]);
    const out = this.generate2d(t);
    t.dispose();
    return out;
  }

  /**
   * One discriminator step on real and generated data, then one generator step on fresh noise. The
   * generated batch is drawn outside the discriminator's step (it takes no gradient there) and
   * joins the real one, so the discriminator runs once on both.
   */
  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const rows = batch.shape[0];
    const zD = this.noise(rows, this.rng);
    const zG = this.noise(rows, this.rng);
    const both = tf.tidy(() => tf.concat([batch, this.generator.apply(zD) as tf.Tensor2D]));
    this.dOptimizer.advance();
    this.gOptimizer.advance();
    const d = this.dOptimizer.minimize(
      () => {
        const logits = forward(this.discriminator, both);
        return discriminatorLoss(this.loss, tf.slice(logits, 0, rows), tf.slice(logits, rows, rows));
      },
      true,
      variablesOf(this.discriminator),
    )!;
    const g = this.gOptimizer.minimize(() => generatorLoss(this.loss, forward(this.discriminator, forward(this.generator, zG))), true, variablesOf(this.generator))!;
    const values = { discriminator: d.dataSync()[0], generator: g.dataSync()[0] };
    tf.dispose([d, g, zD, zG, both]);
    return values;
  }

  /** On points: how far the generated histogram is from the held-out one. Images have no such score here. */
  evaluate(): Record<string, number> {
    if (this.data.kind !== 'points') return {};
    const z = this.noise(EVAL_SAMPLES, this.rng.fork(2));
    const generated = this.generate2d(z);
    z.dispose();
    return histogramDivergence(this.data.test.points, generated, this.data);
  }

  sample(): SampleGrid[] {
    const data = this.data;
    if (data.kind !== 'images') return [];
    return [imageGrid(data, 'samples', this.generate2d(this.viewZ), GRID * GRID, GRID)];
  }

  density(): DensityGrid | undefined {
    if (this.data.kind !== 'points') return undefined;
    const data: PointDataset = this.data;
    const { points } = gridPoints(data);
    const values = tf.tidy(() => tf.sigmoid(this.discriminator.apply(tf.tensor2d(points, [points.length / data.dim, data.dim])) as tf.Tensor).dataSync());
    return densityView('discriminator', data, values, this.generate2d(this.viewZ));
  }

  /** Temperature scales the noise: z ~ N(0, T² I). */
  generate(count: number, rng: Rng, temperature: number): SampleGrid | Float32Array {
    const z = this.noise(count, rng, temperature);
    const out = this.generate2d(z);
    z.dispose();
    const data = this.data;
    if (data.kind !== 'images') return out;
    return imageGrid(data, 'samples', out, count);
  }

  async save(dir: string): Promise<void> {
    await saveLayersModel(this.generator, path.join(dir, 'generator'));
    await saveLayersModel(this.discriminator, path.join(dir, 'discriminator'));
  }

  dispose(): void {
    this.generator.dispose();
    this.discriminator.dispose();
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
    this.viewZ.dispose();
  }
}

export const ganFamily: ModelFamily<'gan'> = {
  family: 'gan',
  grayscale: true,
  create: (config, data, rng) => {
    if (data.kind === 'points' && data.dim !== 2) {
      throw new UserError(`The GAN here generates 2-D points or images; ${config.dataset} is 1-D.`, 'Choose a 2-D dataset such as 8gaussians, or an image dataset.');
    }
    if (data.kind === 'images' && (data.width % 4 || data.height % 4)) {
      throw new UserError(`The DCGAN here doubles its maps' size twice, so it draws images whose sides are multiples of 4; these are ${data.width}x${data.height}.`, 'Choose an image size such as 28, 32 or 64.');
    }
    return new Gan(config, data as ImageDataset | PointDataset, rng);
  },
};
