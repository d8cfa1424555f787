import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { type ConfigInput, completeConfig, DEFAULT_MAX_PARAMETERS, dataShapeOf, FAMILIES, FAMILY_SPECS, type Family, specOf, type TrainConfig } from '../../src/protocol/config';
import { DecodeError } from '../../src/protocol/decode';
import { initBackend } from '../../src/trainer/backend/select';
import { loadDataset } from '../../src/trainer/data/dataset';
import { familyOf } from '../../src/trainer/families/registry';
import { Rng } from '../../src/trainer/rng';

const FIXTURE_IMAGES = path.resolve(__dirname, '..', 'fixtures', 'images');
/** A folder of the person's own images in colour, 12x12: a shape unlike MNIST's. */
const rgbFolder = { dataset: 'image-folder', data: { type: 'image-folder', path: FIXTURE_IMAGES, size: 12, color: 'rgb' } } as const;

const estimate = (config: TrainConfig) => (specOf(config).parameters as (model: object, data: ReturnType<typeof dataShapeOf>) => number)(config.model, dataShapeOf(config));

before(async () => {
  await initBackend('cpu');
});

/**
 * The weights the trainer's model holds: the variables its construction registered. Optimisers'
 * step counters are scalars and are left out; no weight is a scalar.
 */
async function builtParameters(config: TrainConfig<Family>): Promise<number> {
  const data = await loadDataset(config.dataset, config.data);
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  const model = familyOf(config.family).create(config as never, data, new Rng(1));
  const created = Object.entries(tf.engine().registeredVariables).filter(([name, v]) => !before.has(name) && v.rank > 0);
  const total = created.reduce((sum, [, v]) => sum + v.size, 0);
  model.dispose();
  return total;
}

/**
 * The estimate only has to be good to the precision of a memory limit; 1% is far inside that. It
 * mirrors each family's layers, so today it is exact.
 */
const TOLERANCE = 0.01;

const NETWORK_CONFIGS: ConfigInput[] = [
  { family: 'vae', dataset: 'mnist' },
  { family: 'vae', dataset: 'moons', model: { latentDim: 3, hiddenSizes: [20, 30] } },
  { family: 'gan', dataset: 'mnist', model: { channels: 8, latentDim: 5 } },
  { family: 'gan', dataset: 'moons' },
  { family: 'gan', ...rgbFolder, model: { channels: 6 } },
  { family: 'ddpm', dataset: 'mnist', model: { channels: 4 } },
  { family: 'ddpm', dataset: 'rings', model: { hiddenSizes: [7, 9] } },
  { family: 'ddpm', ...rgbFolder, model: { channels: 4 } },
  { family: 'pixelcnn', dataset: 'mnist' },
  { family: 'pixelcnn', dataset: 'mnist', model: { channels: 8, residualBlocks: 2 } },
  { family: 'realnvp', dataset: 'moons' },
  { family: 'realnvp', ...rgbFolder, model: { couplings: 3, hiddenSizes: [16] } },
];

for (const input of NETWORK_CONFIGS) {
  const config = completeConfig(input);
  test(`${config.family} on ${config.dataset} ${JSON.stringify(config.model)}: the estimate is the built model's parameter count within ${TOLERANCE * 100}%`, async () => {
    const real = await builtParameters(config);
    const guess = estimate(config);
    assert.ok(real > 0);
    assert.ok(Math.abs(guess - real) <= TOLERANCE * real, `estimate ${guess}, built ${real}`);
  });
}

test('every family with a network has its estimate checked above, on images and on points where it takes both', () => {
  const checked = new Set(NETWORK_CONFIGS.map((c) => `${c.family}:${completeConfig(c).dataset === 'mnist' || c.dataset === 'image-folder' ? 'images' : 'points'}`));
  for (const family of FAMILIES.filter((f) => f !== 'gaussian' && f !== 'mixture')) {
    for (const kind of Object.keys(FAMILY_SPECS[family].defaults)) assert.ok(checked.has(`${family}:${kind}`), `${family} on ${kind}`);
  }
});

/** The numbers a fitted closed-form model exports: weights, means, and each covariance's upper triangle. */
function exportedNumbers(file: string): number {
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { dim: number; weights?: number[]; mean?: number[]; means?: number[][]; covariance?: number[][]; covariances?: number[][][] };
  const triangle = (json.dim * (json.dim + 1)) / 2;
  const means = json.means ?? [json.mean!];
  return (json.weights?.length ?? 0) + means.flat().length + means.length * triangle;
}

for (const [family, dataset, file] of [['gaussian', 'moons', 'gaussian.json'], ['gaussian', 'bimodal', 'gaussian.json'], ['mixture', 'moons', 'mixture.json'], ['mixture', 'bimodal', 'mixture.json']] as const) {
  test(`${family} on ${dataset}: the estimate counts the numbers of the fitted model it exports`, async () => {
    const config = completeConfig({ family, dataset });
    const model = familyOf(config.family).create(config as never, await loadDataset(config.dataset), new Rng(1));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-limits-'));
    await model.save(dir);
    model.dispose();
    assert.equal(estimate(config), exportedNumbers(path.join(dir, file)));
  });
}

test('a model too big to fit is refused before anything is built, with its size, the limit and how to raise it', () => {
  // 200 hidden layers of 8192 in the encoder, and in the decoder: 27 G parameters, which trainers used to start building.
  const huge: ConfigInput = { family: 'vae', model: { hiddenSizes: Array(200).fill(8192) } };
  assert.throws(
    () => completeConfig(huge),
    (err: unknown) =>
      err instanceof DecodeError &&
      err.path === 'config.model' &&
      /has 26\.7 G parameters \(106\.9 GB of weights, about 427\.6 GB in training with Adam\)/.test(err.problem) &&
      /above the limit of 50 M \(800 MB in training\)/.test(err.problem) &&
      /genlab\.maxParameters/.test(err.problem) &&
      /--max-parameters/.test(err.problem),
  );
  // The limit is the person's to raise, and to lower.
  assert.equal(completeConfig({ family: 'vae', maxParameters: 2e6 }).maxParameters, 2e6);
  assert.throws(() => completeConfig({ family: 'vae', maxParameters: 600_000 }), /has 652\.8 k parameters .* above the limit of 600 k/);
  const wide: ConfigInput<'vae'> = { family: 'vae', model: { hiddenSizes: [8192, 8192] } };
  assert.throws(() => completeConfig(wide), /above the limit of 50 M/);
  assert.deepEqual(completeConfig({ ...wide, maxParameters: 200_000_000 }).model.hiddenSizes, [8192, 8192]);
});

test('every family\'s defaults, on every dataset it takes, fit well inside the default limit', () => {
  for (const family of FAMILIES) {
    for (const dataset of FAMILY_SPECS[family].datasets) {
      const config = completeConfig({ family: family as Family, dataset });
      assert.ok(estimate(config) < DEFAULT_MAX_PARAMETERS / 10, `${family} on ${dataset}: ${estimate(config)}`);
    }
  }
});

test('steps, evaluation interval, batch and image size have upper bounds that say why', () => {
  const cases: [ConfigInput, RegExp][] = [
    [{ family: 'vae', steps: 1e12 }, /config\.steps: must be at most 10000000 \(days of training on a CPU.*\), got 1000000000000/],
    [{ family: 'vae', steps: 100, evalEvery: 1e9 }, /config\.evalEvery: must be at most 10000000 \(no run is longer/],
    [{ family: 'vae', batchSize: 100_000 }, /config\.batchSize: must be at most 4096 \(every layer's activations/],
    [{ family: 'vae', epochs: 1e9 }, /config\.epochs: must be at most 100000 \(more passes than any dataset/],
    [{ family: 'vae', ...rgbFolder, data: { ...rgbFolder.data, size: 1024 } }, /config\.data\.size: must be at most 128 \(the models here are sized for small images/],
  ];
  for (const [input, expected] of cases) assert.throws(() => completeConfig(input), expected);
});
