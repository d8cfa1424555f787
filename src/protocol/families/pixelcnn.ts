import { IMAGE_DATASETS } from '../datasets';
import { num, object } from '../decode';
import { familySpec } from './spec';

/**
 * The net of src/trainer/families/pixelcnn.ts on one channel: a 7x7 mask-A convolution, blocks of
 * a 3x3 mask-B and a 1x1 convolution, and a 1x1 head of two layers. A causal kernel is stored as
 * its rows down to the centre (4 of 7, 2 of 3).
 */
function pixelCnnParameters(channels: number, blocks: number): number {
  const conv = (rows: number, cols: number, inC: number, outC: number) => rows * cols * inC * outC + outC;
  const block = conv(2, 3, channels, channels) + conv(1, 1, channels, channels);
  return conv(4, 7, 1, channels) + blocks * block + conv(1, 1, channels, channels) + conv(1, 1, channels, 1);
}

export const pixelcnnSpec = familySpec({
  title: 'PixelCNN (autoregressive)',
  shortTitle: 'PixelCNN',
  command: 'genlab.trainPixelCnn',
  commandTitle: 'Train PixelCNN',
  imageLikelihood: 'binarised pixels',
  grayscaleOnly: true,
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: a fully visible belief net, log p(x) = sum_i log p(x_i | x_<i) over the pixels in raster order, each conditional from masked convolutions, so the test NLL is exact.',
  },
  datasets: IMAGE_DATASETS,
  defaultDataset: 'mnist',
  // One epoch of batch 32 (1,875 steps) is about 8 minutes of training on one core of the 2-core
  // reference machine; each of the 3 evaluations (the whole test set, then an 8x8 grid drawn pixel by
  // pixel) about 35 s more. Batches of 32 reached a lower NLL than 64 in the same time; the
  // learning rate is the peak of a cosine decay to zero over the run.
  // On the native backend a step is about twice as fast, and the time goes to depth: 10 residual
  // blocks for 3,000 steps (1.6 epochs) reached 91.3 nats in 15 minutes, where 5 blocks for three
  // epochs, about the same time, reached 91.9.
  defaults: {
    images: {
      budget: { epochs: 1 },
      batchSize: 32,
      learningRate: 4e-3,
      evalEvery: 625,
      model: { channels: 32, residualBlocks: 5 },
      native: { budget: { steps: 3000 }, evalEvery: 750, model: { residualBlocks: 10 } },
    },
  },
  grids: [{ kind: 'samples', title: 'Samples', note: 'drawn pixel by pixel in raster order, one step per pixel (784 for MNIST) for the whole grid at once' }],
  temperature: 'Temperature divides the logits of each pixel: below 1 the pixels are more certain, the strokes cleaner and the digits less varied.',
  exportNote: [
    '- `pixelcnn.json`: the architecture (masked convolutions, residual blocks, the head) and a TensorFlow.js weights manifest.',
    '- `weights.bin`: the kernels and biases, named as in the manifest; the masked kernels are stored with their causal masks applied (A for the first 7x7 layer, B for the 3x3 layers).',
  ].join('\n'),
  options: object({
    channels: num({ int: true, min: 1, max: 512 }),
    residualBlocks: num({ int: true, min: 0, max: 32 }),
  }),
  parameters: ({ channels, residualBlocks }) => pixelCnnParameters(channels, residualBlocks),
  fields: [
    { key: 'channels', flag: 'channels', label: 'Channels', prompt: 'Feature maps per masked convolution' },
    { key: 'residualBlocks', flag: 'blocks', label: 'Residual blocks', prompt: 'Residual masked-convolution blocks after the first (mask A) layer' },
  ],
});
