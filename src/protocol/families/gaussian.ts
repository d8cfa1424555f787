import { POINT_DATASETS } from '../datasets';
import { object } from '../decode';
import { familySpec } from './spec';

export const gaussianSpec = familySpec({
  title: 'Gaussian (maximum likelihood)',
  shortTitle: 'Gaussian',
  command: 'genlab.fitGaussian',
  commandTitle: 'Fit Gaussian (MLE)',
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: log p(x) of a Gaussian in closed form; the maximum-likelihood fit is the sample mean and the (biased) sample covariance.',
  },
  datasets: POINT_DATASETS,
  defaultDataset: '8gaussians',
  // Gradient ascent on the log-likelihood, full batch, shown converging to the closed form.
  defaults: { points: { budget: { steps: 300 }, learningRate: 0.05, model: {} } },
  options: object({}),
  // A mean and a symmetric covariance.
  parameters: (_model, data) => {
    const dim = data.kind === 'points' ? data.dim : 0;
    return dim + (dim * (dim + 1)) / 2;
  },
  temperature: 'Temperature scales the standard deviation: samples come from N(mean, T² covariance).',
  exportNote: '- `gaussian.json`: the fit (the closed form: sample mean and biased covariance) with its train and test NLL, and gradient ascent\'s mean and covariance beside it, with whether it reached the closed form. No layers model: the density is two arrays.',
  fields: [],
  example: { file: 'heights.csv', columns: ['height_cm'] },
  without: ['batchSize'],
});
