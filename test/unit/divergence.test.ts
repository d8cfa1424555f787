// Diverged runs end failed with a diagnosis: the watchdog on synthetic series of losses (what it
// must catch and what healthy noise it must let through), then every family trained through the
// real session with a learning rate of 10 on small data.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { completeConfig, type ConfigInput } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { readRunRecord } from '../../src/shared/runFolder';
import { UserError } from '../../src/shared/userError';
import { type BackendInfo, initBackend } from '../../src/trainer/backend/select';
import { divergenceHint, DivergenceWatch, EXPLOSION, EXPLOSION_STEPS } from '../../src/trainer/divergence';
import { ganFamily } from '../../src/trainer/families/gan';
import { Rng } from '../../src/trainer/rng';
import { TrainingSession } from '../../src/trainer/session';
import { writeDiscFolder } from '../support/discFolder';
import { eightGaussians, pointData } from './pointData';

const points = eightGaussians(400, new Rng(5));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-divergence-'));
let backend: BackendInfo;

before(async () => {
  backend = await initBackend('wasm');
});

/** Feeds `series` (one record per step, from step 1) to the watch; returns the first diagnosis. */
function watchTrain(watch: DivergenceWatch, series: Record<string, number>[]) {
  for (const [i, values] of series.entries()) {
    const found = watch.train(i + 1, values);
    if (found) return found;
  }
  return undefined;
}

const ln2 = Math.LN2;
/** GAN losses as a healthy run streams them: D around ln 4, G around ln 2, noisy, with spikes of 10x. */
function noisyGan(steps: number, rng: Rng): Record<string, number>[] {
  return Array.from({ length: steps }, () => {
    const spike = rng.next() < 0.02 ? 10 : 1;
    return { discriminator: 2 * ln2 * (0.3 + rng.next()) * spike, generator: ln2 * (0.2 + 2 * rng.next()) * spike };
  });
}

test('healthy noise passes: noisy GAN losses with spikes, an NLL that falls, a loss that starts near 0', () => {
  assert.equal(watchTrain(new DivergenceWatch(), noisyGan(5000, new Rng(1))), undefined);
  const falling = Array.from({ length: 1000 }, (_, i) => ({ nll: 4 - 3 * (1 - Math.exp(-i / 100)) + 0.2 * Math.sin(i) }));
  assert.equal(watchTrain(new DivergenceWatch(), falling), undefined);
  // A KL term starts near 0 and grows to tens of nats: its scale is at least 1, not its start.
  const kl = Array.from({ length: 500 }, (_, i) => ({ kl: 0.01 + (25 * i) / 500 }));
  assert.equal(watchTrain(new DivergenceWatch(), kl), undefined);
});

test('a loss that is not finite, or explodes past EXPLOSION times its start, is a divergence at that step', () => {
  const nan = watchTrain(new DivergenceWatch(), [{ nll: 3 }, { nll: 2.5 }, { nll: NaN }]);
  assert.deepEqual(nan, { step: 3, message: 'Training diverged at step 3: the loss term nll became NaN.' });
  const exploding = [{ mse: 0.9 }, { mse: 0.8 }, ...Array.from({ length: EXPLOSION_STEPS }, () => ({ mse: 0.9 * EXPLOSION * 2 }))];
  const found = watchTrain(new DivergenceWatch(), exploding)!;
  assert.equal(found.step, 2 + EXPLOSION_STEPS, 'minibatch losses must stay beyond the bound EXPLOSION_STEPS in a row');
  assert.match(found.message, /mse reached 1800, more than 1000 times its 0\.9 at the start/);
  // A single-step spike of a healthy run (RealNVP on MNIST: 5.5, then 2,500 bits/dim at step 2, then 5.5) is not one.
  assert.equal(watchTrain(new DivergenceWatch(), [{ bpd: 5.5 }, { bpd: 5.5 * EXPLOSION * 0.9 * 2 }, { bpd: 5.5 }, { bpd: 5.4 }]), undefined);
  assert.equal(watchTrain(new DivergenceWatch([], { fullBatch: true }), [{ nll: 0.9 }, { nll: 0.9 * EXPLOSION * 2 }])?.step, 2, 'on the whole training set at once');
  assert.equal(watchTrain(new DivergenceWatch(), [{ mse: 0.9 }, { mse: 0.9 * EXPLOSION * 0.9 }]), undefined, 'just under the bound');
});

test('on a full-batch fit a loss that jumps up by its starting scale in one step is a divergence; the same jump in a minibatch run is noise', () => {
  const em = [{ nll: 2.66 }, { nll: 2.63 }, { nll: 2.63 }, { nll: 6 }];
  assert.match(watchTrain(new DivergenceWatch([], { fullBatch: true }), em)?.message ?? '', /step 4: the loss term nll jumped from 2\.63 to 6 in one step on the whole training set/);
  assert.equal(watchTrain(new DivergenceWatch(), em), undefined);
});

test("the GAN's own signs: a discriminator pinned at 0 for 100 steps, and JS at ln 2 twice from step 500, not earlier", () => {
  const gan = ganFamily.create(completeConfig({ family: 'gan', steps: 10 }), pointData(2, points, points, [-4, 4, -4, 4]), new Rng(1));
  const signs = gan.divergenceSigns!;
  gan.dispose();
  const pinned = [...noisyGan(50, new Rng(2)), ...Array.from({ length: 150 }, () => ({ discriminator: 0, generator: 30 }))];
  const found = watchTrain(new DivergenceWatch(signs), pinned)!;
  assert.equal(found.step, 150, 'the 100th step in a row at 0');
  assert.match(found.message, /discriminator was 0, below 1\.00e-4 for 100 steps in a row: the discriminator tells every generated sample from the real ones/);
  // A few steps at 0 that end are noise.
  const brief = [...noisyGan(50, new Rng(3)), ...Array.from({ length: 99 }, () => ({ discriminator: 0, generator: 5 })), ...noisyGan(100, new Rng(4))];
  assert.equal(watchTrain(new DivergenceWatch(signs), brief), undefined);

  const watch = new DivergenceWatch(signs);
  // An untrained generator may miss the data entirely: evaluations before step 500 do not count.
  for (const step of [250, 500]) assert.equal(watch.evaluation(step, { js: ln2, kl: 10 }), undefined, `step ${step}`);
  assert.match(watch.evaluation(750, { js: ln2, kl: 10 })?.message ?? '', /step 750: the test metric js was 0\.6931, above 0\.6925 for 2 evaluations in a row: at its maximum ln 2/);
  const recovering = new DivergenceWatch(signs);
  for (const [step, js] of [[500, ln2], [750, 0.4], [1000, ln2]] as const) assert.equal(recovering.evaluation(step, { js }), undefined);
});

test('the hint names the likely cause and the step: the learning rate, or the data for a model without one', () => {
  const diagnosis = { step: 7, message: 'x' };
  assert.match(divergenceHint(diagnosis, 10), /learning rate too high for this model and data \(10\).*e\.g\. 1\b.*stopped at step 7/);
  assert.match(divergenceHint(diagnosis, undefined), /no learning rate.*data.*stopped at step 7/);
});

// Small data for every family: 2-D points in a CSV file, and a folder of 16x16 discs.
const csv = path.join(root, 'points.csv');
fs.writeFileSync(csv, `x,y\n${Array.from({ length: 400 }, (_, i) => `${points[2 * i]},${points[2 * i + 1]}`).join('\n')}\n`);
const discs = writeDiscFolder(path.join(root, 'discs'), 40, 16);
const onPoints = { dataset: 'csv', data: { type: 'csv', path: csv, columns: ['x', 'y'] }, batchSize: 64 } satisfies Partial<ConfigInput>;
const onImages = { dataset: 'image-folder', data: { type: 'image-folder', path: discs, size: 16, color: 'grayscale' }, batchSize: 16 } satisfies Partial<ConfigInput>;

/** Trains through the real session; returns how it ended, what it sent and its run.json. */
async function train(input: ConfigInput) {
  const messages: TrainerMessage[] = [];
  const config = completeConfig({ steps: 300, evalEvery: 100, ...input, runsDir: path.join(root, 'runs'), backend: 'wasm' });
  const session = new TrainingSession(config, backend, (m) => messages.push(m));
  const error = await session.execute().then(
    () => undefined,
    (err: unknown) => err,
  );
  const started = messages.find((m) => m.type === 'started');
  assert.ok(started?.type === 'started');
  return { error, messages, record: readRunRecord(started.runDir) };
}

const diverging: [string, ConfigInput][] = [
  ['gaussian (gradient ascent)', { family: 'gaussian', ...onPoints }],
  ['RealNVP on points', { family: 'realnvp', ...onPoints, model: { couplings: 4, hiddenSizes: [16, 16] } }],
  ['RealNVP on images', { family: 'realnvp', ...onImages, model: { couplings: 4, hiddenSizes: [32] } }],
  ['PixelCNN', { family: 'pixelcnn', ...onImages, model: { channels: 8, residualBlocks: 1 } }],
  ['VAE on images', { family: 'vae', ...onImages, model: { latentDim: 4, hiddenSizes: [32] } }],
  ['VAE on points', { family: 'vae', ...onPoints, model: { hiddenSizes: [16, 16] } }],
  ['GAN on points', { family: 'gan', ...onPoints, model: { hiddenSizes: [16, 16] } }],
  ['DCGAN', { family: 'gan', ...onImages, model: { latentDim: 8, channels: 8 } }],
  ['DDPM on points', { family: 'ddpm', ...onPoints, model: { hiddenSizes: [32, 32] } }],
  ['DDPM on images', { family: 'ddpm', ...onImages, model: { channels: 8 } }],
];

for (const [name, input] of diverging) {
  test(`${name} with a learning rate of 10 ends failed within a few steps, with the diagnosis in run.json and the status`, async () => {
    const { error, messages, record } = await train({ ...input, learningRate: 10 });
    assert.ok(error instanceof UserError, `the run ends with a UserError, not ${String(error)}`);
    const step = Number(/^Training diverged at step (\d+): /.exec(error.message)?.[1]);
    assert.ok(step >= 2 && step <= 20, `diverged early: ${error.message}`);
    assert.match(error.hint, new RegExp(`learning rate too high for this model and data \\(10\\).*stopped at step ${step}`));
    assert.equal(record.status, 'failed');
    assert.deepEqual(record.error, { message: error.message, hint: error.hint });
    assert.deepEqual(messages.at(-1), { type: 'status', state: 'failed', detail: error.message });
    assert.equal(messages.filter((m) => m.type === 'metrics').length, step - 1, 'the diverged step is not streamed as a loss');
  });
}

test('a Gaussian mixture has no learning rate to diverge with: EM on the same data finishes, watched like the others', async () => {
  const { error, record } = await train({ family: 'mixture', ...onPoints, steps: 50, evalEvery: 25 });
  assert.equal(error, undefined);
  assert.equal(record.status, 'finished');
  assert.ok(record.finalMetrics.testNll < 4);
});
