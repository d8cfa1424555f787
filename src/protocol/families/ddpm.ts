import { IMAGE_DATASETS, PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object } from '../decode';
import { type DataShape, familySpec, mlpParameters } from './spec';

export const ddpmSpec = familySpec({
  title: 'Diffusion (DDPM)',
  shortTitle: 'DDPM',
  command: 'genlab.trainDiffusion',
  commandTitle: 'Train Diffusion (DDPM)',
  lossKey: 'mse',
  density: {
    kind: 'diffusion',
    metric: 'js',
    metricOn: { images: 'testMse' },
    summary: 'Diffusion: a network learns to undo small steps of added Gaussian noise, and samples come from running that reverse process from pure noise. Its loss is a reweighted variational bound; no likelihood is computed here.',
  },
  datasets: [...PLANE_DATASETS, ...IMAGE_DATASETS],
  defaultDataset: '8gaussians',
  defaults: {
    // The learning rate is the peak of a cosine decay over the run (on both kinds of data): at 3e-3
    // checkerboard's histogram JS came to 0.064-0.068 over seeds 0-2, against 0.085 at 1e-3.
    points: { budget: { steps: 10000 }, batchSize: 256, learningRate: 3e-3, evalEvery: 1000, model: { timesteps: 100, hiddenSizes: [128, 128, 128] } },
    // A small net and T = 100: on 2 cores a reverse process of 1,000 steps of a wider net takes minutes per grid.
    images: { budget: { epochs: 2 }, batchSize: 64, learningRate: 1e-3, model: { timesteps: 100, channels: 16 } },
  },
  options: object(
    { timesteps: num({ int: true, min: 2, max: 4000 }) },
    { hiddenSizes: arrayOf(num({ int: true, min: 1, max: 4096 }), { minLength: 1 }), channels: num({ int: true, min: 1, max: 512 }) },
  ),
  parameters: denoiserParameters,
  grids: [
    { kind: 'samples', title: 'Samples', note: 'the reverse process from fixed noise, the same draws at every step' },
    { kind: 'reverse', title: 'Reverse process', note: 'each row one sample, from pure noise (left) to the image (right)' },
  ],
  temperature: 'Temperature scales the starting noise and the noise added at each reverse step; below 1 the samples are smoother and less varied.',
  exportNote: [
    '- `denoiser/`: a layers model predicting the noise ε in x_t. For points its input is [x_t (standardised), a 16-value sinusoidal embedding of t]; for images it has two inputs, x_t as height × width × channels maps in [-1, 1] (28x28x1 for MNIST) and the 16-value embedding, and outputs the noise as one flat row per image (784 values for MNIST).',
    '- The embedding of step t (1..T) is sin(w_k) for k = 0..7, then cos(w_k), with w_k = (1000·t/T)/10000^(k/8).',
    '- `diffusion.json`: what sampling needs around the denoiser: T and the cosine noise schedule (Nichol & Dhariwal 2021), the embedding, the standardisation of points (images: grey levels mapped to [-1, 1]) and the reverse step, each spelled out.',
  ].join('\n'),
  fields: [
    { key: 'timesteps', flag: 'timesteps', label: 'Diffusion steps', prompt: 'Noise levels T of the forward process' },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes of the denoiser, comma-separated', list: true, only: 'points' },
    { key: 'channels', flag: 'channels', label: 'Channels', prompt: 'Feature maps of the conv denoiser', only: 'images' },
  ],
});

/** Values of the sinusoidal embedding of the step t (EMBED in src/trainer/families/ddpm.ts). */
const TIME_EMBEDDING = 16;

/** The denoiser's; on points it sees x_t beside the step's embedding. Unset sizes are the trainer's defaults. */
function denoiserParameters({ hiddenSizes = [128, 128, 128], channels = 16 }: { hiddenSizes?: number[]; channels?: number }, data: DataShape): number {
  return data.kind === 'points' ? mlpParameters([data.dim + TIME_EMBEDDING, ...hiddenSizes, data.dim]) : unetParameters(channels, data);
}

/**
 * The small U-Net of src/trainer/families/ddpm.ts: every block a bias-free convolution plus a
 * per-channel bias learned from the time embedding, 3x3 convolutions at 1, 1/2 and 1/4 of the
 * image's size with 1, 2 and 4 times `channels` maps, 4x4 transposed ones back up, a 3x3 output.
 */
function unetParameters(channels: number, image: Extract<DataShape, { kind: 'images' }>): number {
  const time = 4 * channels;
  const block = (inC: number, outC: number, kernel: 3 | 4 = 3) => kernel * kernel * inC * outC + time * outC + outC;
  const [c1, c2, c4] = [channels, 2 * channels, 4 * channels];
  const down = block(image.channels, c1) + block(c1, c2) + block(c2, c2) + block(c2, c4) + block(c4, c4);
  const up = block(c4, c2, 4) + block(c2, c2) + block(c2, c1, 4) + block(c1, c1);
  return TIME_EMBEDDING * time + time + down + up + 9 * c1 * image.channels + image.channels;
}
