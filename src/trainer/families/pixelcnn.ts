/**
 * PixelCNN (van den Oord et al. 2016) on binarised images: a fully visible belief net, so its
 * density is explicit and exact. An image's log-likelihood is the sum over pixels in raster order
 * of log p(x_i | x_<i), each conditional a Bernoulli whose logit comes from masked convolutions:
 * the first layer's mask (A) hides the pixel itself and everything after it, the later layers'
 * masks (B) let a pixel see its own features, so no output ever depends on a later input pixel.
 *
 * Network: a 7x7 mask-A convolution (1 → C channels), then residual blocks of [ReLU, 3x3 mask-B
 * convolution, ReLU, 1x1 convolution] added to their input, then ReLU, 1x1 (C → C), ReLU, 1x1
 * (C → 1 logit per pixel). Losses are in nats per image; bits/dim = nats / (784 ln 2). The data
 * is MNIST binarised stochastically: fresh draws for every training batch, one fixed draw of the
 * test set (imageDatasets.ts), so the test NLL compares with the literature's binarised MNIST.
 *
 * Sampling is ancestral: 784 steps, one pixel position at a time for the whole grid of images at
 * once. A pixel's logit depends only on a window of pixels a few rows up and a few columns either
 * side (3 for the 7x7 layer, 1 per 3x3 layer), so each step runs the network on that window alone,
 * every layer computing only what reaches the pixel.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import { CosineAdam } from '../backend/fusedAdam';
import { plannedSteps } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import { UserError } from '../../shared/userError';
import { bernoulliCeiling, type DivergenceSign } from '../divergence';
import type { Rng } from '../rng';
import { writeFileAtomic, writeJsonAtomic } from '../../shared/atomicFile';
import { imageGrid, type ModelFamily, type SampleGrid, type TrainableModel } from './family';
import { numbersPart, optimizerPart, type TrainingState, trainingState, variablesPart } from './trainingState';

const FIRST_KERNEL = 7;
const BLOCK_KERNEL = 3;
const EVAL_BATCH = 500;
/** Images in the sample grid drawn at each evaluation (8x8: 784 network passes over 64 images). */
const GRID = 8;

type Pad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * A causal k×k kernel has nothing below its centre row, so it is stored as its top k/2 + 1 rows
 * and run with no padding below: a 3x3 mask-B convolution does 6 taps' work instead of 9 (5 live),
 * the 7x7 mask-A one 28 instead of 49 (24 live). This is the mask of those rows (HWIO, [k/2 + 1, k,
 * 1, 1] to broadcast): 1 for the rows above the centre and, in the centre row, the taps left of the
 * centre, and the centre itself for mask B.
 */
export function causalMask(k: number, type: 'A' | 'B'): tf.Tensor4D {
  return tf.tensor4d(maskValues(k, type), [Math.floor(k / 2) + 1, k, 1, 1]);
}

function maskValues(k: number, type: 'A' | 'B'): Float32Array {
  const c = Math.floor(k / 2);
  const values = new Float32Array((c + 1) * k).fill(1);
  for (let q = type === 'A' ? c : c + 1; q < k; q++) values[c * k + q] = 0;
  return values;
}

interface Conv {
  kernel: tf.Variable;
  bias: tf.Variable;
  mask?: tf.Tensor4D;
  /** 'same' padding, causal: the kernel's rows above the centre hang over the top, none below. */
  pad: Pad;
}

function conv(name: string, k: number, inC: number, outC: number, rng: Rng, mask?: 'A' | 'B'): Conv {
  const rows = mask ? Math.floor(k / 2) + 1 : k;
  // He initialisation over the live taps only: a masked kernel has fewer inputs than k·k·inC.
  const live = mask ? maskValues(k, mask).reduce((s, v) => s + v, 0) : k * k;
  const std = Math.sqrt(2 / (live * inC));
  const values = rng.fillNormal(new Float32Array(rows * k * inC * outC)).map((v) => v * std);
  const half = Math.floor(k / 2);
  return {
    kernel: tf.variable(tf.tensor4d(values, [rows, k, inC, outC]), true, `${name}/kernel`),
    bias: tf.variable(tf.zeros([outC]), true, `${name}/bias`),
    pad: [[0, 0], [half, rows - 1 - half], [half, half], [0, 0]],
    ...(mask ? { mask: causalMask(k, mask) } : {}),
  };
}

/** The kernel as it acts, masked taps zeroed (inside the differentiated function, so they get no gradient). */
function effectiveKernel(c: Conv): tf.Tensor4D {
  return c.mask ? tf.mul(c.kernel, c.mask) : (c.kernel as tf.Tensor4D);
}

/**
 * x and the padding a convolution gets: `valid` crops to the windows inside x (sampling). tfjs-node's
 * convolution gradients accept only 'valid' and 'same', not explicit padding, so on it x is padded
 * first; elsewhere the convolution pads as it reads, which saves a copy.
 */
function padded(c: Conv, x: tf.Tensor4D, valid: boolean): { x: tf.Tensor4D; pad: Pad | 'valid' } {
  if (valid || c.pad.every(([before, after]) => before === 0 && after === 0)) return { x, pad: 'valid' };
  return tf.getBackend() === 'tensorflow' ? { x: tf.pad(x, c.pad), pad: 'valid' } : { x, pad: c.pad };
}

/** The convolution, bias and activation as one fused op. */
function apply(c: Conv, x: tf.Tensor4D, activation: 'linear' | 'relu' = 'linear', valid = false): tf.Tensor4D {
  return tf.fused.conv2d({ ...padded(c, x, valid), filter: effectiveKernel(c), strides: 1, bias: c.bias, activation });
}

/**
 * The same, unfused: the fused op's gradient also computes the gradient of its input, which for the
 * first layer, whose input is the data, is wasted work (~8 ms a step at batch 64).
 */
function applyToData(c: Conv, x: tf.Tensor4D, valid: boolean): tf.Tensor4D {
  const input = padded(c, x, valid);
  return tf.add(tf.conv2d(input.x, effectiveKernel(c), 1, input.pad), c.bias);
}

export class PixelCnnNet {
  readonly first: Conv;
  readonly blocks: { masked: Conv; mix: Conv }[];
  readonly head: [Conv, Conv];
  /** Rows above (and columns either side of) a pixel that can reach its logit: 3 from the 7x7 layer, 1 per 3x3 layer. */
  readonly reach: number;

  constructor(
    readonly channels: number,
    blocks: number,
    rng: Rng,
  ) {
    this.first = conv('mask-a', FIRST_KERNEL, 1, channels, rng, 'A');
    this.blocks = Array.from({ length: blocks }, (_, i) => ({ masked: conv(`block-${i}/mask-b`, BLOCK_KERNEL, channels, channels, rng, 'B'), mix: conv(`block-${i}/mix`, 1, channels, channels, rng) }));
    this.head = [conv('head-0', 1, channels, channels, rng), conv('head-1', 1, channels, 1, rng)];
    this.reach = Math.floor(FIRST_KERNEL / 2) + blocks * Math.floor(BLOCK_KERNEL / 2);
  }

  private get convs(): Conv[] {
    return [this.first, ...this.blocks.flatMap((b) => [b.masked, b.mix]), ...this.head];
  }

  get variables(): tf.Variable[] {
    return this.convs.flatMap((c) => [c.kernel, c.bias]);
  }

  /** Logits [B, H, W, 1] for binary images x [B, H, W, 1]. */
  logits(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.forward(x));
  }

  /**
   * The logit of the bottom-centre pixel of each window x [B, reach + 1, 2·reach + 1, 1], whose top
   * left pixel is (top, left) of an image `height` × `width` (zeros where the window hangs outside
   * it). Every layer computes only what reaches that pixel, each convolution cropping its input's
   * border, so one sampling step costs a few hundred positions per image instead of 784.
   */
  windowLogits(x: tf.Tensor4D, top: number, left: number, height: number, width: number): tf.Tensor4D {
    return tf.tidy(() => this.forward(x, { top, left, height, width }));
  }

  private forward(x: tf.Tensor4D, window?: { top: number; left: number; height: number; width: number }): tf.Tensor4D {
    const valid = window !== undefined;
    let h = applyToData(this.first, x, valid);
    this.blocks.forEach(({ masked, mix }, i) => {
      let input = tf.relu(h);
      if (window) {
        // The full network pads every convolution's input with zeros at the image's border; in a
        // window, the activations computed there are not zero, so they are zeroed here.
        // h's top left pixel: each valid layer so far cropped its reach off the top and the left.
        const [, rows, cols] = h.shape;
        const at = Math.floor(FIRST_KERNEL / 2) + i * Math.floor(BLOCK_KERNEL / 2);
        const inside = insideMask(window.top + at, window.left + at, rows, cols, window.height, window.width);
        if (inside) input = tf.mul(input, inside);
      }
      const update = apply(mix, apply(masked, input, 'relu', valid));
      // A valid mask-B convolution drops the top row and a column either side.
      const [n, rows, cols, c] = h.shape;
      h = tf.add(valid ? tf.slice(h, [0, 1, 1, 0], [n, rows - 1, cols - 2, c]) : h, update);
    });
    return apply(this.head[1], apply(this.head[0], tf.relu(h), 'relu'));
  }

  /** The masked kernels with their masks applied, padded back to k×k (zero rows below the centre), and biases, named as the variables. */
  exportedWeights(): { name: string; tensor: tf.Tensor }[] {
    return this.convs.flatMap((c) => {
      const [rows, k] = c.kernel.shape;
      const kernel = tf.tidy(() => tf.pad(effectiveKernel(c), [[0, k - rows], [0, 0], [0, 0], [0, 0]]));
      return [{ name: c.kernel.name, tensor: kernel }, { name: c.bias.name, tensor: c.bias as tf.Tensor }];
    });
  }

  dispose(): void {
    for (const c of this.convs) tf.dispose([c.kernel, c.bias, ...(c.mask ? [c.mask] : [])]);
  }
}

/**
 * [1, rows, cols, 1]: 1 where the window of rows × cols whose top left is (top, left) lies inside a
 * height × width image, else 0; undefined when it lies wholly inside.
 */
function insideMask(top: number, left: number, rows: number, cols: number, height: number, width: number): tf.Tensor4D | undefined {
  if (top >= 0 && left >= 0 && top + rows <= height && left + cols <= width) return undefined;
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) values[i * cols + j] = top + i >= 0 && top + i < height && left + j >= 0 && left + j < width ? 1 : 0;
  }
  return tf.tensor4d(values, [1, rows, cols, 1]);
}

/** Σ over pixels of -log Bernoulli(x | sigmoid(l)) per image: softplus(l) - x·l. */
function nllPerImage(x: tf.Tensor4D, logits: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), [1, 2, 3]);
}

class PixelCnn implements TrainableModel {
  readonly net: PixelCnnNet;
  private readonly optimizer: CosineAdam;

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
  private readonly width: number;
  private readonly height: number;
  private readonly sampleRng: Rng;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];
  readonly divergenceSigns: DivergenceSign[];

  constructor(
    config: TrainConfig<'pixelcnn'>,
    private readonly data: ImageDataset,
    rng: Rng,
  ) {
    this.width = data.width;
    this.height = data.height;
    this.divergenceSigns = [bernoulliCeiling('nll', data.width * data.height)];
    this.net = new PixelCnnNet(config.model.channels, config.model.residualBlocks, rng.fork(0));
    // The rate decays to zero along a cosine over the run: the last, small steps settle the model.
    this.optimizer = new CosineAdam(config.learningRate, plannedSteps(config, data));
    this.sampleRng = rng.fork(1);
    ({ getState: this.getState, setState: this.setState } = trainingState([
      variablesPart('net', this.net.variables),
      optimizerPart('adam', this.optimizer),
      numbersPart('step', () => [this.optimizer.position], ([step]) => (this.optimizer.position = step)),
    ]));
  }

  private images(rows: tf.Tensor2D): tf.Tensor4D {
    return tf.reshape(rows, [rows.shape[0], this.height, this.width, 1]);
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    const x = this.images(batch);
    this.optimizer.advance();
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
  drawPixels(count: number, rng: Rng, temperature = 1): Float32Array {
    const { width, height } = this;
    const { reach } = this.net;
    const pixels = width * height;
    const canvas = new Float32Array(count * pixels);
    const [rows, cols] = [reach + 1, 2 * reach + 1];
    const window = new Float32Array(count * rows * cols);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        // The window of rows r - reach .. r and columns c - reach .. c + reach, zero outside the image.
        window.fill(0);
        for (let b = 0; b < count; b++) {
          for (let i = Math.max(0, reach - r); i < rows; i++) {
            const from = b * pixels + (r - reach + i) * width;
            const first = Math.max(0, c - reach);
            const end = Math.min(width, c + reach + 1);
            window.set(canvas.subarray(from + first, from + end), (b * rows + i) * cols + first - (c - reach));
          }
        }
        const logits = tf.tidy(() => this.net.windowLogits(tf.tensor4d(window, [count, rows, cols, 1]), r - reach, c - reach, height, width).dataSync());
        for (let b = 0; b < count; b++) {
          const p = 1 / (1 + Math.exp(-logits[b] / temperature));
          canvas[b * pixels + r * width + c] = rng.next() < p ? 1 : 0;
        }
      }
    }
    return canvas;
  }

  sample(): SampleGrid[] {
    return [imageGrid(this.data, 'samples', this.drawPixels(GRID * GRID, this.sampleRng.fork(0)), GRID * GRID, GRID)];
  }

  generate(count: number, rng: Rng, temperature: number): SampleGrid {
    return imageGrid(this.data, 'samples', this.drawPixels(count, rng, temperature), count);
  }

  /** The weights (tf.io weights format) and a description of the architecture that uses them. */
  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const named = this.net.exportedWeights();
    const { data, specs } = await tf.io.encodeWeights(named);
    tf.dispose(named.filter(({ tensor }) => !(tensor instanceof tf.Variable)).map(({ tensor }) => tensor));
    writeFileAtomic(path.join(dir, 'weights.bin'), new Uint8Array(data));
    writeJsonAtomic(path.join(dir, 'pixelcnn.json'), {
      format: 'genlab-pixelcnn',
      imageSize: [this.height, this.width],
      channels: this.net.channels,
      residualBlocks: this.net.blocks.length,
      architecture:
        'h = conv7x7_maskA(x); for each block: h = h + conv1x1_mix(relu(conv3x3_maskB(relu(h)))); logit = conv1x1_head1(relu(conv1x1_head0(relu(h)))). ' +
        'Convolutions are stride 1, "same" padding, NHWC, kernels HWIO, the masked ones already multiplied by their causal mask. p(x_i = 1 | x_<i) = sigmoid(logit_i).',
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
    // Its masks order pixels, not the channels within one; colour would need a third mask type.
    if (data.channels !== 1) {
      throw new UserError('The PixelCNN here models grayscale images (one binary value per pixel); these images are RGB.', 'Load the folder as grayscale, or train the VAE, GAN or diffusion model on the RGB images.');
    }
    return new PixelCnn(config, data, rng);
  },
};
