import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { completeConfig, FAMILIES, FAMILY_SPECS } from '../../src/protocol/config';
import { dataKindOf } from '../../src/protocol/datasets';
import { DecodeError } from '../../src/protocol/decode';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { commands: { command: string; category: string }[] } };

test('every family has its train command in package.json, in the GenLab category', () => {
  const familyCommands = FAMILIES.map((f) => FAMILY_SPECS[f].command);
  const declared = manifest.contributes.commands.filter((c) => familyCommands.includes(c.command));
  assert.deepEqual(declared.map((c) => c.command).sort(), [...familyCommands].sort());
  for (const c of declared) assert.equal(c.category, 'GenLab');
});

for (const family of FAMILIES) {
  const spec = FAMILY_SPECS[family];
  test(`${family}: defaults complete a valid config for each kind of data it accepts`, () => {
    assert.ok(spec.datasets.includes(spec.defaultDataset));
    assert.equal(completeConfig({ family }).dataset, spec.defaultDataset);
    for (const dataset of spec.datasets) {
      const config = completeConfig({ family, dataset });
      const kind = dataKindOf(dataset);
      // Every option offered for this kind has a default, and none offered only for the other kind is set.
      for (const field of spec.fields) {
        const value = (config.model as Record<string, unknown>)[field.key];
        if (!field.only || field.only === kind) assert.notEqual(value, undefined, `${family} on ${dataset}: ${field.key}`);
        else assert.equal(value, undefined, `${family} on ${dataset}: ${field.key}`);
      }
    }
  });
}

test('an option for images only is rejected on 2-D data, naming the field', () => {
  assert.throws(
    () => completeConfig({ family: 'gan', dataset: 'moons', model: { channels: 32 } }),
    (err: unknown) => err instanceof DecodeError && err.path === 'config.model.channels' && /applies to images only/.test(err.problem),
  );
});

test('switching a family to the other kind of data takes that kind\'s defaults', () => {
  const images = completeConfig({ family: 'vae', dataset: 'mnist' });
  const points = completeConfig({ family: 'vae', dataset: 'moons' });
  assert.ok(images.epochs !== undefined && points.steps !== undefined);
  assert.notDeepEqual(images.model, points.model);
});

test('your own data: a CSV needs its `data`, one column fits 1-D families, two fit 2-D ones', () => {
  const csv = (columns: string[]) => ({ type: 'csv' as const, path: '/data/heights.csv', columns });
  assert.equal(completeConfig({ family: 'gaussian', dataset: 'csv', data: csv(['height_cm']) }).data?.type, 'csv');
  assert.equal(completeConfig({ family: 'realnvp', dataset: 'csv', data: csv(['x', 'y']) }).steps, 15000);
  const problem = (input: Parameters<typeof completeConfig>[0]) => {
    try {
      completeConfig(input);
    } catch (err) {
      return err instanceof DecodeError ? `${err.path}: ${err.problem}` : String(err);
    }
    return 'accepted';
  };
  assert.equal(problem({ family: 'realnvp', dataset: 'csv', data: csv(['height_cm']) }), 'config.data.columns: realnvp cannot model 1-D data');
  assert.equal(problem({ family: 'gaussian', dataset: 'csv', data: csv(['a', 'b', 'c']) }), 'config.data.columns: pick one or two columns, not 3');
  assert.match(problem({ family: 'gaussian', dataset: 'csv' }), /^config\.data: is required for the dataset csv/);
  assert.match(problem({ family: 'gaussian', dataset: 'moons', data: csv(['x']) }), /^config\.data: applies to the datasets csv and image-folder, not moons/);
  assert.match(problem({ family: 'mixture', dataset: 'image-folder', data: { type: 'image-folder', path: '/faces', size: 28, color: 'grayscale' } }), /mixture does not train on images/);
  assert.equal(completeConfig({ family: 'gan', dataset: 'image-folder', data: { type: 'image-folder', path: '/faces', size: 28, color: 'grayscale' } }).steps, 2 * Math.ceil(60000 / 64), "the GAN's 2 epochs of MNIST at batch 64, in steps");
});
