import { IMAGE_DATASETS, PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object, oneOf } from '../decode';
import { type DataShape, familySpec, mlpParameters } from './spec';

export const GAN_LOSSES = ['non-saturating', 'least-squares'] as const;

export const ganSpec = familySpec({
  title: 'Generative adversarial network',
  shortTitle: 'GAN',
  command: 'genlab.trainGan',
  commandTitle: 'Train GAN',
  lossKey: 'generator',
  density: {
    kind: 'implicit',
    metric: 'js',
    summary: 'Implicit density: the generator only draws samples and there is no log p(x). The discriminator learns to tell real from generated data; its output is not a density.',
  },
  template: { file: 'gan.ts', dataset: '8gaussians' },
  datasets: [...PLANE_DATASETS, ...IMAGE_DATASETS],
  defaultDataset: '8gaussians',
  defaults: {
    // An MLP generator and discriminator; the learning rate is the peak of a cosine decay (as on images).
    points: { budget: { steps: 5000 }, batchSize: 256, learningRate: 3e-4, evalEvery: 250, model: { latentDim: 8, hiddenSizes: [128, 128], loss: 'non-saturating' } },
    // DCGAN-style: transposed convolutions up, strided convolutions down.
    images: { budget: { epochs: 2 }, batchSize: 64, learningRate: 2e-4, model: { latentDim: 64, channels: 64, loss: 'non-saturating' } },
  },
  options: object(
    { latentDim: num({ int: true, min: 1, max: 1024 }), loss: oneOf(GAN_LOSSES) },
    { hiddenSizes: arrayOf(num({ int: true, min: 1, max: 4096 }), { minLength: 1 }), channels: num({ int: true, min: 1, max: 512 }) },
  ),
  parameters: ganParameters,
  grids: [{ kind: 'samples', title: 'Samples', note: 'the generator on fixed noise z ~ N(0, I), the same draws at every step' }],
  latentTools: true,
  temperature: 'Temperature scales the noise: z ~ N(0, T² I); below 1 the samples are more typical and less varied.',
  exportNote: [
    '- `generator/`: a layers model from z (latentDim values, drawn from N(0, I)) to a sample: 784 grey levels in [0, 1] for 28x28 images, or the 2 coordinates of a point.',
    '- `discriminator/`: a layers model from a sample to one logit, the belief that it is real (apply a sigmoid). It is not a density.',
  ].join('\n'),
  fields: [
    { key: 'latentDim', flag: 'latent-dim', label: 'Noise dimension', prompt: 'Size of the generator input z' },
    { key: 'loss', flag: 'loss', label: 'Loss', prompt: 'Generator loss: non-saturating (log D) or least-squares', choices: GAN_LOSSES },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes of both networks, comma-separated', list: true, only: 'points' },
    { key: 'channels', flag: 'channels', label: 'Channels', prompt: 'Feature maps of the widest convolution', only: 'images' },
  ],
});

/** The generator's and the discriminator's; unset sizes are the trainer's defaults for the kind of data. */
function ganParameters({ latentDim, hiddenSizes = [128, 128], channels = 64 }: { latentDim: number; hiddenSizes?: number[]; channels?: number }, data: DataShape): number {
  return data.kind === 'points' ? mlpParameters([latentDim, ...hiddenSizes, data.dim]) + mlpParameters([data.dim, ...hiddenSizes, 1]) : dcganParameters(latentDim, channels, data);
}

/**
 * The DCGAN pair of src/trainer/families/gan.ts: a dense layer to maps of a quarter of the image's
 * size and two 4x4 transposed convolutions up; two 4x4 strided convolutions down and a dense score.
 */
function dcganParameters(latentDim: number, channels: number, image: Extract<DataShape, { kind: 'images' }>): number {
  const half = Math.max(1, Math.round(channels / 2));
  const maps = (image.width / 4) * (image.height / 4) * channels;
  const conv = (inC: number, outC: number) => 16 * inC * outC + outC;
  const generator = latentDim * maps + maps + conv(channels, half) + conv(half, image.channels);
  const discriminator = conv(image.channels, half) + conv(half, channels) + maps + 1;
  return generator + discriminator;
}
