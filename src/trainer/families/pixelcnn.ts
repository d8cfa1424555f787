/**
 * PixelCNN (van den Oord et al. 2016) on binarised images: a fully visible belief net, so its
 * density is explicit and exact. An image's log-likelihood is the sum over pixels in raster order
 * of log p(x_i | x_<i), each conditional a Bernoulli whose logit comes from masked convolutions:
 * the first layer's mask (A) hides the pixel itself and everything after it, the later layers'
 * masks (B) let a pixel see its own features, so no output ever depends on a later input pixel.
 *
 * Network: a 7x7 mask-A convolution (1 → C channels), then residual blocks of [ReLU, 3x3 mask-B
 * convolution, ReLU, 1x1 convolution] added to their input, then ReLU, 1x1 (C → C), ReLU, 1x1
 * (C → 1 logit per pixel). Losses are in nats per image; bits/dim = nats / (784 ln 2).
 *
 * Sampling is ancestral: 784 steps, one pixel position at a time for the whole grid of images at
 * once. A pixel's receptive field reaches only a few rows up (3 for the 7x7 layer, 1 per 3x3
 * layer), so each step runs the network on that band of rows rather than the whole image.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import { fusedAdam } from '../backend/fusedAdam';
import type { ImageDataset } from '../data/imageDatasets';
import { UserError } from '../errors';
import type { Rng } from '../rng';
import { writeFileAtomic, writeJsonAtomic } from '../runs/atomicFile';
import type { ModelFamily, SampleGrid, TrainableModel } from './family';
import { optimizerPart, type TrainingState, trainingState, variablesPart } from './trainingState';

const FIRST_KERNEL = 7;
const EVAL_BATCH = 500;
/** Images in the sample grid drawn at each evaluation (6x6: 784 network passes over 36 images). */
const GRID = 6;

/**
 * The mask of a k×k convolution kernel (HWIO, shape [k, k, 1, 1] to broadcast): 1 for taps in rows
 * above the centre and to the left of it in the centre row; the centre itself only for mask B.
 */
export function causalMask(k: number, type: 'A' | 'B'): tf.Tensor4D {
  return tf.tensor4d(maskValues(k, type), [k, k, 1, 1]);
}

function maskValues(k: number, type: 'A' | 'B'): Float32Array {
  const c = Math.floor(k / 2);
  const values = new Float32Array(k * k);
  for (let r = 0; r < k; r++) for (let q = 0; q < k; q++) values[r * k + q] = r < c || (r === c && (q < c || (q === c && type === 'B'))) ? 1 : 0;
  return values;
}

interface Conv {
  kernel: tf.Variable;
  bias: tf.Variable;
  mask?: tf.Tensor4D;
}

function conv(name: string, k: number, inC: number, outC: number, rng: Rng, mask?: 'A' | 'B'): Conv {
  // He initialisation over the live taps only: a masked kernel has fewer inputs than k·k·inC.
  const live = mask ? maskValues(k, mask).reduce((s, v) => s + v, 0) : k * k;
  const std = Math.sqrt(2 / (live * inC));
  const values = rng.fillNormal(new Float32Array(k * k * inC * outC)).map((v) => v * std);
  return {
    kernel: tf.variable(tf.tensor4d(values, [k, k, inC, outC]), true, `${name}/kernel`),
    bias: tf.variable(tf.zeros([outC]), true, `${name}/bias`),
    ...(mask ? { mask: causalMask(k, mask) } : {}),
  };
}

function apply(c: Conv, x: tf.Tensor4D): tf.Tensor4D {
  const kernel = c.mask ? tf.mul(c.kernel, c.mask) : c.kernel;
  return tf.add(tf.conv2d(x, kernel as tf.Tensor4D, 1, 'same'), c.bias);
}

export class PixelCnnNet {
  readonly first: Conv;
  readonly blocks: { masked: Conv; mix: Conv }[];
  readonly head: [Conv, Conv];
  /** Rows above a pixel that can reach its logit: 3 from the 7x7 layer, 1 per 3x3 layer. */
  readonly reach: number;

  constructor(
    readonly channels: number,
    blocks: number,
    rng: Rng,
  ) {
    this.first = conv('mask-a', FIRST_KERNEL, 1, channels, rng, 'A');
    this.blocks = Array.from({ length: blocks }, (_, i) => ({ masked: conv(`block-${i}/mask-b`, 3, channels, channels, rng, 'B'), mix: conv(`block-${i}/mix`, 1, channels, channels, rng) }));
    this.head = [conv('head-0', 1, channels, channels, rng), conv('head-1', 1, channels, 1, rng)];
    this.reach = Math.floor(FIRST_KERNEL / 2) + blocks;
  }

  get variables(): tf.Variable[] {
    return [this.first, ...this.blocks.flatMap((b) => [b.masked, b.mix]), ...this.head].flatMap((c) => [c.kernel, c.bias]);
  }

  /** Logits [B, H, W, 1] for binary images x [B, H, W, 1]. */
  logits(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = apply(this.first, x);
      for (const { masked, mix } of this.blocks) h = tf.add(h, apply(mix, tf.relu(apply(masked, tf.relu(h)))));
      return apply(this.head[1], tf.relu(apply(this.head[0], tf.relu(h))));
    });
  }

  dispose(): void {
    for (const c of [this.first, ...this.blocks.flatMap((b) => [b.masked, b.mix]), ...this.head]) tf.dispose([c.kernel, c.bias, ...(c.mask ? [c.mask] : [])]);
  }
}

/** Σ over pixels of -log Bernoulli(x | sigmoid(l)) per image: softplus(l) - x·l. */
function nllPerImage(x: tf.Tensor4D, logits: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), [1, 2, 3]);
}

class PixelCnn implements TrainableModel {
  readonly net: PixelCnnNet;
  private readonly optimizer: tf.Optimizer;
  private readonly width: number;
  private readonly height: number;
  private readonly sampleRng: Rng;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'pixelcnn'>,
    private readonly data: ImageDataset,
    rng: Rng,
  ) {
    this.width = data.width;
    this.height = data.height;
    this.net = new PixelCnnNet(config.model.channels, config.model.residualBlocks, rng.fork(0));
    this.optimizer = fusedAdam(config.learningRate);
    this.sampleRng = rng.fork(1);
    ({ getState: this.getState, setState: this.setState } = trainingState([variablesPart('net', this.net.variables), optimizerPart('adam', this.optimizer)]));
  }

  private images(rows: tf.Tensor2D): tf.Tensor4D {
    return tf.reshape(rows, [rows.shape[0], this.height, this.width, 1]);
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const x = this.images(batch);
    const loss = this.optimizer.minimize(() => tf.mean(nllPerImage(x, this.net.logits(x))) as tf.Scalar, true, this.net.variables)!;
    const nll = loss.dataSync()[0];
    tf.dispose([loss, x]);
    return { nll, bitsPerDim: nll / (this.width * this.height * Math.LN2) };
  }

  /** The exact NLL of the whole binarised test set, in nats per image and bits per dimension. */
  evaluate(): Record<string, number> {
    const pixels = this.width * this.height;
    const n = this.data.test.count;
    let total = 0;
    for (let start = 0; start < n; start += EVAL_BATCH) {
      const rows = Math.min(EVAL_BATCH, n - start);
      total += tf.tidy(() => {
        const x = tf.tensor4d(this.data.testBinary.subarray(start * pixels, (start + rows) * pixels), [rows, this.height, this.width, 1]);
        return tf.sum(nllPerImage(x, this.net.logits(x))).dataSync()[0];
      });
    }
    const testNll = total / n;
    return { testNll, testBitsPerDim: testNll / (pixels * Math.LN2) };
  }

  /**
   * Ancestral sampling of `count` images at once, pixel by pixel in raster order. `temperature`
   * divides the logits (below 1: more certain pixels). Each pixel draws 1 when a uniform falls
   * below its probability, from the seeded generator.
   */
  draw(count: number, rng: Rng, temperature = 1): Float32Array {
    const { width, height } = this;
    const pixels = width * height;
    const canvas = new Float32Array(count * pixels);
    for (let r = 0; r < height; r++) {
      const top = Math.max(0, r - this.net.reach);
      const band = r - top + 1;
      for (let c = 0; c < width; c++) {
        const logits = tf.tidy(() => {
          const rows = new Float32Array(count * band * width);
          for (let b = 0; b < count; b++) rows.set(canvas.subarray(b * pixels + top * width, b * pixels + (r + 1) * width), b * band * width);
          const out = this.net.logits(tf.tensor4d(rows, [count, band, width, 1]));
          return tf.slice(out, [0, band - 1, c, 0], [count, 1, 1, 1]).dataSync();
        });
        for (let b = 0; b < count; b++) {
          const p = 1 / (1 + Math.exp(-logits[b] / temperature));
          canvas[b * pixels + r * width + c] = rng.next() < p ? 1 : 0;
        }
      }
    }
    return canvas;
  }

  sample(): SampleGrid[] {
    return [{ kind: 'samples', pixels: this.draw(GRID * GRID, this.sampleRng.fork(0)), count: GRID * GRID, cols: GRID, width: this.width, height: this.height }];
  }

  generate(count: number, rng: Rng, temperature: number): SampleGrid {
    return { kind: 'samples', pixels: this.draw(count, rng, temperature), count, cols: Math.ceil(Math.sqrt(count)), width: this.width, height: this.height };
  }

  /** The weights (tf.io weights format) and a description of the architecture that uses them. */
  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const named = this.net.variables.map((v) => ({ name: v.name, tensor: v as tf.Tensor }));
    const { data, specs } = await tf.io.encodeWeights(named);
    writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(data));
    writeJsonAtomic(path.join(dir, 'pixelcnn.json'), {
      format: 'genlab-pixelcnn',
      imageSize: [this.height, this.width],
      channels: this.net.channels,
      residualBlocks: this.net.blocks.length,
      architecture:
        'h = conv7x7_maskA(x); for each block: h = h + conv1x1_mix(relu(conv3x3_maskB(relu(h)))); logit = conv1x1_head1(relu(conv1x1_head0(relu(h)))). ' +
        'Convolutions are stride 1, "same" padding, NHWC, kernels HWIO multiplied by their causal mask. p(x_i = 1 | x_<i) = sigmoid(logit_i).',
      weightsManifest: [{ paths: ['./weights.bin'], weights: specs }],
    });
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}

export const pixelcnnFamily: ModelFamily<'pixelcnn'> = {
  family: 'pixelcnn',
  create: (config, data, rng) => {
    if (data.kind !== 'images') {
      throw new UserError(`PixelCNN models images pixel by pixel; ${config.dataset} is ${data.dim}-D point data.`, 'Choose mnist or fashion-mnist, or a family for points such as realnvp.');
    }
    return new PixelCnn(config, data, rng);
  },
};
