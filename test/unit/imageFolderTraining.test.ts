// A person's folder of images as training data: the dataset it loads as, and every image family
// training on it (RGB where the family models colour).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig, type ConfigInput, type TrainConfig } from '../../src/protocol/config';
import { DecodeError } from '../../src/protocol/decode';
import { Batcher, loadDataset } from '../../src/trainer/data/dataset';
import type { ImageDataset } from '../../src/trainer/data/imageDatasets';
import { UserError } from '../../src/shared/userError';
import type { SampleGrid } from '../../src/trainer/families/family';
import { familyOf } from '../../src/trainer/families/registry';
import { gridToPng } from '../../src/shared/png';
import { Rng } from '../../src/trainer/rng';
import { writeDiscFolder } from '../support/discFolder';
import { initFamilyBackend } from '../support/familyBackend';

const SIZE = 16;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-folder-training-'));
const discs = writeDiscFolder(path.join(root, 'discs'), 40, SIZE);
fs.writeFileSync(path.join(discs, 'broken.png'), 'not a png');
const source = (color: 'grayscale' | 'rgb') => ({ type: 'image-folder' as const, path: discs, size: SIZE, color });
let rgb: ImageDataset;
let grey: ImageDataset;

before(async () => {
  await initFamilyBackend();
  rgb = (await loadDataset('image-folder', source('rgb'))) as ImageDataset;
  grey = (await loadDataset('image-folder', source('grayscale'))) as ImageDataset;
});

const config = (input: Omit<ConfigInput, 'dataset' | 'data'>, color: 'grayscale' | 'rgb' = 'rgb') => completeConfig({ ...input, dataset: 'image-folder', data: source(color) });

test('a folder loads as images of the chosen size and colour, split a tenth for testing the same way each time, with the unreadable file reported', async () => {
  assert.equal(rgb.kind, 'images');
  assert.deepEqual([rgb.width, rgb.height, rgb.channels, grey.channels], [SIZE, SIZE, 3, 1]);
  assert.deepEqual([rgb.train.count, rgb.test.count], [36, 4], '40 readable images');
  assert.equal(rgb.train.pixels.length, 36 * SIZE * SIZE * 3);
  assert.equal(rgb.testBinary.length, 4 * SIZE * SIZE * 3);
  assert.ok(rgb.testBinary.every((v) => v === 0 || v === 1));
  assert.equal(rgb.test.labels, undefined, 'a folder has no labels');
  assert.match(rgb.warnings?.[0] ?? '', /Skipped 1 file: broken\.png/);
  const again = (await loadDataset('image-folder', source('rgb'))) as ImageDataset;
  assert.deepEqual(again.test.pixels, rgb.test.pixels);
  // Each test image is one of the folder's, in colour: some pixels differ between channels.
  const first = rgb.test.pixels.subarray(0, SIZE * SIZE * 3);
  assert.ok(first.some((v, i) => i % 3 === 0 && v !== first[i + 1]));
});

test('a folder with one readable image, and settings the data cannot have, get errors naming the fix', async () => {
  const lone = path.join(root, 'lone');
  writeDiscFolder(lone, 1, SIZE);
  await assert.rejects(loadDataset('image-folder', { type: 'image-folder', path: lone, size: SIZE, color: 'rgb' }), (err: unknown) => err instanceof UserError && /only one readable image/.test(err.message) && /Add more/.test(err.hint));
  await assert.rejects(loadDataset('image-folder', undefined), (err: unknown) => err instanceof UserError && /"type": "image-folder"/.test(err.hint));
  assert.throws(() => config({ family: 'gaussian' }), (err: unknown) => err instanceof DecodeError && /does not train on images/.test(err.problem));
  assert.throws(() => familyOf('pixelcnn').create(config({ family: 'pixelcnn', steps: 1 }) as TrainConfig<'pixelcnn'>, rgb, new Rng(1)), (err: unknown) => err instanceof UserError && /grayscale/.test(err.hint));
  const odd = (await loadDataset('image-folder', { ...source('rgb'), size: 18 })) as ImageDataset;
  assert.throws(() => familyOf('gan').create(config({ family: 'gan', steps: 1 }) as TrainConfig<'gan'>, odd, new Rng(1)), /multiples of 4/);
});

test("a folder's run is as long as the family's defaults on MNIST, in steps, unless a length is given", () => {
  assert.equal(config({ family: 'vae' }).steps, 10 * Math.ceil(60000 / 128), "the VAE's 10 epochs at batch 128");
  assert.equal(config({ family: 'pixelcnn' }).steps, 1875, "PixelCNN's one epoch at batch 32");
  assert.equal(config({ family: 'vae' }).epochs, undefined);
  assert.deepEqual([config({ family: 'vae', epochs: 3 }).epochs, config({ family: 'vae', epochs: 3 }).steps], [3, undefined]);
  assert.equal(config({ family: 'gan', steps: 7 }).steps, 7);
});

/** Trains `steps` steps as the session does; returns the model's evaluation before and after, and its sample grids. */
function train(input: Omit<ConfigInput, 'dataset' | 'data'>, data: ImageDataset, steps: number) {
  const c = config({ ...input, steps }, data.channels === 3 ? 'rgb' : 'grayscale');
  const family = familyOf(c.family);
  const model = family.create(c, data, new Rng(2));
  const batches = new Batcher(data, c.batchSize, new Rng(3), family.grayscale);
  const before = model.evaluate();
  const losses: Record<string, number>[] = [];
  for (let s = 0; s < steps; s++) {
    const x = batches.next();
    losses.push(model.trainStep(x));
    x.dispose();
  }
  const after = model.evaluate();
  const grids = model.sample!();
  model.dispose();
  return { before, after, losses, grids };
}

function assertColourGrid(grid: SampleGrid, count: number): void {
  assert.equal(grid.channels, 3);
  assert.equal(grid.pixels.length, count * SIZE * SIZE * 3);
  assert.ok(grid.pixels.every((v) => v >= 0 && v <= 1));
  const { png, width } = gridToPng(grid);
  assert.equal(png[25], 2, 'an RGB PNG (colour type 2)');
  assert.equal(png.readUInt32BE(16), width);
}

test('a VAE trains on RGB images of the folder: its test -ELBO falls clearly; samples and reconstructions are colour grids', () => {
  const { before, after, grids } = train({ family: 'vae', batchSize: 12, learningRate: 3e-3, model: { latentDim: 4, hiddenSizes: [64] } }, rgb, 150);
  assert.ok(after.testNegElbo < 0.6 * before.testNegElbo, `test -ELBO ${before.testNegElbo} → ${after.testNegElbo}`);
  assert.deepEqual(grids.map((g) => g.kind), ['samples', 'reconstruction']);
  grids.forEach((g) => assertColourGrid(g, 64));
});

test('a DCGAN and a diffusion model train on RGB images: the GAN losses stay finite and move, the diffusion test loss falls clearly; colour sample grids and a reverse strip', () => {
  const gan = train({ family: 'gan', batchSize: 8, model: { channels: 8, latentDim: 8 } }, rgb, 6);
  assert.ok(gan.losses.every((l) => Number.isFinite(l.discriminator) && Number.isFinite(l.generator)));
  assert.notEqual(gan.losses[0].generator, gan.losses.at(-1)!.generator);
  assertColourGrid(gan.grids[0], 64);
  const ddpm = train({ family: 'ddpm', batchSize: 12, learningRate: 3e-3, model: { timesteps: 8, channels: 8 } }, rgb, 40);
  assert.ok(ddpm.after.testMse < 0.8 * ddpm.before.testMse, `test loss ${ddpm.before.testMse} → ${ddpm.after.testMse}`);
  assert.deepEqual(ddpm.grids.map((g) => g.kind), ['samples', 'reverse']);
  assertColourGrid(ddpm.grids[0], 64);
  assert.equal(ddpm.grids[1].channels, 3);
  assert.ok(tf.memory().numTensors < 200);
});

test('a PixelCNN trains on the folder in grayscale: its exact test NLL falls', () => {
  const { before, after, grids } = train({ family: 'pixelcnn', batchSize: 12, learningRate: 3e-3, model: { channels: 8, residualBlocks: 1 } }, grey, 40);
  assert.ok(after.testNll < 0.85 * before.testNll, `test NLL ${before.testNll} → ${after.testNll}`);
  assert.equal(grids[0].channels, 1);
  assert.equal(grids[0].pixels.length, 64 * SIZE * SIZE);
});
