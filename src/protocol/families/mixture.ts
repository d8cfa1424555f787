import { POINT_DATASETS } from '../datasets';
import { num, object } from '../decode';
import { familySpec } from './spec';

export const mixtureSpec = familySpec({
  title: 'Gaussian mixture (EM)',
  shortTitle: 'Mixture',
  command: 'genlab.trainMixture',
  commandTitle: 'Train Gaussian Mixture',
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: log p(x) = log sum_k pi_k N(x; mu_k, Sigma_k), exact; fitted by expectation-maximisation.',
  },
  datasets: POINT_DATASETS,
  defaultDataset: '8gaussians',
  // One EM iteration per step, on the whole training set.
  defaults: { points: { budget: { steps: 100 }, model: { components: 8 } } },
  options: object({ components: num({ int: true, min: 1, max: 64 }) }),
  // Each component: a weight, a mean and a symmetric covariance.
  parameters: ({ components }, data) => {
    const dim = data.kind === 'points' ? data.dim : 0;
    return components * (1 + dim + (dim * (dim + 1)) / 2);
  },
  temperature: "Temperature scales each component's standard deviation; the weights stay.",
  exportNote: '- `mixture.json`: the weights, means and covariances of the k components, and the covariance floor used by EM. No layers model: the density is these arrays.',
  fields: [{ key: 'components', flag: 'components', label: 'Components', prompt: 'Number of Gaussian components k' }],
  without: ['learningRate', 'batchSize'],
  stepsLabel: 'EM iterations',
});
