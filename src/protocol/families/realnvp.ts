import { IMAGE_DATASETS, PLANE_DATASETS } from '../datasets';
import { arrayOf, num, object } from '../decode';
import { familySpec, mlpParameters, valuesPerExample } from './spec';

export const realnvpSpec = familySpec({
  title: 'Normalizing flow (RealNVP)',
  shortTitle: 'RealNVP',
  command: 'genlab.trainFlow',
  commandTitle: 'Train Flow (RealNVP)',
  imageLikelihood: 'dequantised 8-bit pixels',
  lossKey: 'nll',
  density: {
    kind: 'explicit-tractable',
    metric: 'testNll',
    summary: 'Explicit, tractable density: an invertible map to a Gaussian gives log p(x) exactly by the change of variables (log-determinant of the Jacobian).',
  },
  // A coupling layer splits the dimensions, so a flow needs at least two.
  template: { file: 'realnvp.ts', dataset: 'moons' },
  datasets: [...PLANE_DATASETS, ...IMAGE_DATASETS],
  defaultDataset: '8gaussians',
  // The learning rate is the peak of a cosine decay over the run. On MNIST, MLP couplings of
  // 256-256 reached a lower bits/dim in the same time than 512-512 (more steps beat width here).
  defaults: {
    points: { budget: { steps: 15000 }, batchSize: 256, learningRate: 0.003, model: { couplings: 8, hiddenSizes: [64, 64] } },
    images: { budget: { steps: 5000 }, batchSize: 64, learningRate: 3e-3, evalEvery: 1250, model: { couplings: 8, hiddenSizes: [256, 256] } },
  },
  options: object({
    couplings: num({ int: true, min: 2, max: 64 }),
    hiddenSizes: arrayOf(num({ int: true, min: 1, max: 4096 }), { minLength: 1 }),
  }),
  // Each coupling's network sees one half of the values (alternating halves: a checkerboard on
  // images) and gives a scale and a shift for each of the other half's.
  parameters: ({ couplings, hiddenSizes }, data) => {
    const size = valuesPerExample(data);
    const halves = [Math.ceil(size / 2), Math.floor(size / 2)];
    let total = 0;
    for (let k = 0; k < couplings; k++) total += mlpParameters([halves[k % 2], ...hiddenSizes, 2 * halves[1 - (k % 2)]]);
    return total;
  },
  temperature: 'Temperature scales the base distribution: z ~ N(0, T² I) before the inverse flow, so T < 1 draws from the denser middle.',
  grids: [{ kind: 'samples', title: 'Samples', note: 'the inverse flow on fixed base noise z ~ N(0, I), the same draws at every step' }],
  exportNote: [
    '- `flow.json`: what the couplings need around them: for points, the standardisation (mean, std) applied first, the bound on each log-scale, and the order of the couplings with the coordinate each one conditions on; for images, the dequantisation and logit transform (alpha), the per-value standardisation, the two halves of the values (a checkerboard over pixels and its complement) and which half each coupling conditions on.',
    '- `coupling-NN/`: one layers model per coupling, from the values it conditions on (1 coordinate for points, one half of the image for images) to `[raw log-scale, shift]` for the values it transforms; the log-scale is `bound * tanh(raw / bound)`.',
    '- log p(x) for points: standardise, apply the couplings in order (z = z * exp(s) + t on the other coordinate), add the log-scales and log N(z; 0, I), minus the log of the standard deviations.',
    '- For images, the density is of dequantised 8-bit values u = (x + U(0, 1)) / 256 after y = logit(alpha + (1 - 2 alpha) u); `flow.json` spells out the map, its log-determinant and sampling. Test NLLs are in nats per image on [0, 256)^D, bits/dim = NLL / (D ln 2).',
  ].join('\n'),
  fields: [
    { key: 'couplings', flag: 'couplings', label: 'Coupling layers', prompt: 'Affine coupling layers (masks alternate)' },
    { key: 'hiddenSizes', flag: 'hidden', label: 'Hidden layers', prompt: 'Hidden layer sizes of each coupling network, comma-separated', list: true },
  ],
});
