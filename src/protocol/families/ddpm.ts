import { IMAGE_DATASETS, PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object } from '../decode';
import { familySpec } from './spec';

export const ddpmSpec = familySpec({
  title: 'Diffusion (DDPM)',
  shortTitle: 'DDPM',
  command: 'genlab.trainDiffusion',
  lossKey: 'mse',
  density: {
    kind: 'diffusion',
    metric: 'js',
    summary: 'Diffusion: a network learns to undo small steps of added Gaussian noise, and samples come from running that reverse process from pure noise. Its loss is a reweighted variational bound; no likelihood is computed here.',
  },
  datasets: [...PLANE_DATASETS, ...IMAGE_DATASETS],
  defaultDataset: '8gaussians',
  defaults: {
    points: { budget: { steps: 10000 }, batchSize: 256, learningRate: 1e-3, evalEvery: 1000, model: { timesteps: 100, hiddenSizes: [128, 128, 128] } },
    images: { budget: { epochs: 3 }, batchSize: 64, learningRate: 2e-4, model: { timesteps: 1000, channels: 32 } },
  },
  options: object(
    { timesteps: num({ int: true, min: 2, max: 4000 }) },
    { hiddenSizes: arrayOf(num({ int: true, min: 1, max: 4096 }), { minLength: 1 }), channels: num({ int: true, min: 1, max: 512 }) },
  ),
  fields: [
    { key: 'timesteps', flag: 'timesteps', label: 'Diffusion steps', prompt: 'Noise levels T of the forward process' },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes of the denoiser, comma-separated', list: true, only: 'points' },
    { key: 'channels', flag: 'channels', label: 'Channels', prompt: 'Feature maps of the conv denoiser', only: 'images' },
  ],
});
