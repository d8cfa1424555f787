import { PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object } from '../decode';
import { familySpec } from './spec';

export const realnvpSpec = familySpec({
  title: 'Normalizing flow (RealNVP)',
  shortTitle: 'RealNVP',
  command: 'genlab.trainFlow',
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: an invertible map to a Gaussian gives log p(x) exactly by the change of variables (log-determinant of the Jacobian).',
  },
  // A coupling layer splits the dimensions, so a flow needs at least two.
  datasets: PLANE_DATASETS,
  defaultDataset: '8gaussians',
  // The learning rate is the peak of a cosine decay over the run.
  defaults: { points: { budget: { steps: 15000 }, batchSize: 256, learningRate: 0.003, model: { couplings: 8, hiddenSizes: [64, 64] } } },
  options: object({
    couplings: num({ int: true, min: 2, max: 64 }),
    hiddenSizes: arrayOf(num({ int: true, min: 1, max: 4096 }), { minLength: 1 }),
  }),
  temperature: 'Temperature scales the base distribution: z ~ N(0, T² I) before the inverse flow, so T < 1 draws from the denser middle.',
  exportNote: [
    '- `flow.json`: the standardisation (mean, std) applied first, the bound on each log-scale, and the order of the couplings with the coordinate each one conditions on.',
    '- `coupling-NN/`: one layers model per coupling, from the conditioning coordinate (1 value) to `[raw log-scale, shift]`; the log-scale is `bound * tanh(raw / bound)`.',
    '- log p(x): standardise, apply the couplings in order (z = z * exp(s) + t on the other coordinate), add the log-scales and log N(z; 0, I), minus the log of the standard deviations.',
  ].join('\n'),
  fields: [
    { key: 'couplings', flag: 'couplings', label: 'Coupling layers', prompt: 'Affine coupling layers (masks alternate)' },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes of each coupling network, comma-separated', list: true },
  ],
});
