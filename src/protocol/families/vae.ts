import { IMAGE_DATASETS, PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object } from '../decode';
import { familySpec, mlpParameters, valuesPerExample } from './spec';

export const vaeSpec = familySpec({
  title: 'Variational autoencoder',
  shortTitle: 'VAE',
  command: 'genlab.trainVae',
  commandTitle: 'Train VAE',
  imageLikelihood: 'binarised pixels',
  lossKey: 'negElbo',
  density: {
    kind: 'explicit-approximate',
    metric: 'testNegElbo',
    summary: 'Explicit, approximate density: the ELBO is a lower bound on log p(x), so the test -ELBO bounds the NLL from above.',
  },
  template: { file: 'vae.ts', dataset: 'mnist' },
  datasets: [...IMAGE_DATASETS, ...PLANE_DATASETS],
  defaultDataset: 'mnist',
  defaults: {
    // On the native backend a step of 256 costs about 1.4 of 128 (its products run better on larger
    // batches; on wasm the cost is proportional): 10 epochs reached test -ELBO 102.6 in 72 s where
    // batch 128 takes about 105 s for 102.5. Batches of 512 and 640 at learning rates of 3e-3 to
    // 5e-3 were faster still (44-56 s) but stopped at 103.5-103.9.
    images: { budget: { epochs: 10 }, model: { latentDim: 20, hiddenSizes: [400] }, native: { batchSize: 256, learningRate: 2e-3 } },
    points: { budget: { steps: 10000 }, batchSize: 256, model: { latentDim: 2, hiddenSizes: [128, 128] } },
  },
  options: object({
    latentDim: num({ int: true, min: 1, max: 1024 }),
    hiddenSizes: arrayOf(num({ int: true, min: 1, max: 8192 }), { minLength: 1 }),
  }),
  // The encoder outputs mean and log-variance of z; the decoder Bernoulli logits (images) or a
  // Gaussian's mean and log-variance (points).
  parameters: ({ latentDim, hiddenSizes }, data) => {
    const size = valuesPerExample(data);
    const decoded = data.kind === 'points' ? 2 * size : size;
    return mlpParameters([size, ...hiddenSizes, 2 * latentDim]) + mlpParameters([latentDim, ...[...hiddenSizes].reverse(), decoded]);
  },
  grids: [
    { kind: 'samples', title: 'Samples from the prior', note: 'decoded from z ~ N(0, I), the same draws at every step' },
    { kind: 'reconstruction', title: 'Reconstructions', note: 'odd rows: test images; even rows: their reconstructions' },
  ],
  latentTools: true,
  latentScatter: true,
  temperature: 'Temperature scales the prior: z ~ N(0, T² I); below 1 the samples are more typical and less varied.',
  exportNote: [
    '- `encoder/`: a layers model from x (784 pixels in [0, 1] for 28x28 images, or the 2 coordinates of a point) to `[mu | logVar]`, 2 x latentDim values.',
    '- `decoder/`: a layers model from z (latentDim values) to the decoder\'s output: 784 Bernoulli logits for images (apply a sigmoid for pixel probabilities), or `[mean | logVar]` of a Gaussian for points.',
    '- Sample: draw z from N(0, I) and run the decoder.',
  ].join('\n'),
  fields: [
    { key: 'latentDim', flag: 'latent-dim', label: 'Latent dimension', prompt: 'Size of the latent code z' },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes, comma-separated (the decoder mirrors them)', list: true },
  ],
});
