import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { experimentConfig, experimentSchema, familyHover, resolveDataPath } from '../../src/protocol/experiment';
import { DecodeError } from '../../src/protocol/decode';

const SCHEMA_FILE = path.join('media', 'schemas', 'experiment.schema.json');
const workspace = '/work/project';
const file = `${workspace}/experiments/flow.genlab.json`;
const config = (text: object) => experimentConfig(JSON.stringify(text), file, [workspace], `${workspace}/.genlab/runs`);
const problem = (text: object) => {
  try {
    config(text);
    return 'accepted';
  } catch (err) {
    return err instanceof DecodeError ? `${err.path}: ${err.problem}` : String(err);
  }
};

test('the committed schema is the one the family specs generate (GENLAB_WRITE_SCHEMA=1 npm test rewrites it)', () => {
  const generated = `${JSON.stringify(experimentSchema(), null, 2)}\n`;
  if (process.env.GENLAB_WRITE_SCHEMA) fs.writeFileSync(SCHEMA_FILE, generated);
  assert.equal(fs.readFileSync(SCHEMA_FILE, 'utf8'), generated);
  const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: '*.genlab.json', url: './media/schemas/experiment.schema.json' }]);
});

test('a valid experiment file becomes a complete config: defaults where it is silent, its name and its file recorded', () => {
  const c = config({ $schema: '../media/x.json', name: 'Long flow', family: 'realnvp', steps: 20000, seed: 3, model: { couplings: 10 } });
  assert.equal(c.family, 'realnvp');
  assert.equal(c.steps, 20000);
  assert.equal(c.runName, 'Long flow');
  assert.equal(c.experiment, file);
  assert.deepEqual(c.model, { couplings: 10, hiddenSizes: [64, 64] });
  assert.equal(c.dataset, '8gaussians');
});

test('invalid files are rejected with the field to fix', () => {
  assert.equal(problem({ family: 'pixelcnn', dataset: 'moons' }), 'dataset: pixelcnn cannot model moons; choose one of mnist, fashion-mnist');
  assert.match(problem({ family: 'vae', model: { latentDims: 4 } }), /^model\.latentDims: is not a known field/);
  assert.match(problem({ family: 'gan', steps: 10, epochs: 2 }), /give exactly one of epochs or steps/);
  assert.match(problem({ family: 'gpt' }), /^family: expected one of "vae"/);
  assert.match(problem({ family: 'vae', learningRate: -1 }), /^learningRate: must be greater than 0/);
  assert.match(experimentConfigOf('{ "family": "vae", '), /^: is not valid JSON/);
});

function experimentConfigOf(text: string): string {
  try {
    experimentConfig(text, file, [workspace], '/runs');
    return 'accepted';
  } catch (err) {
    return err instanceof DecodeError ? `${err.path}: ${err.problem}` : String(err);
  }
}

test('data paths resolve against the file\'s folder and may not leave the workspace', () => {
  assert.deepEqual(resolveDataPath(file, '../data/heights.csv', [workspace]), { path: `${workspace}/data/heights.csv` });
  assert.deepEqual(resolveDataPath(file, 'local.csv', [workspace]), { path: `${workspace}/experiments/local.csv` });
  assert.match((resolveDataPath(file, '../../secrets.csv', [workspace]) as { problem: string }).problem, /outside the workspace/);
  assert.match((resolveDataPath(file, '/etc/passwd', [workspace]) as { problem: string }).problem, /outside the workspace/);
  assert.ok('path' in resolveDataPath(file, '/other/root/x.csv', [workspace, '/other/root']), 'any workspace folder will do');
  const c = config({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: '../data/heights.csv', columns: ['height_cm'] } });
  assert.equal(c.data?.path, `${workspace}/data/heights.csv`);
  assert.match(problem({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: '../../up.csv', columns: ['x'] } }), /^data\.path: .*outside the workspace/);
});

test('hovering a family names its kind of density', () => {
  assert.match(familyHover('gan') ?? '', /Implicit density/);
  assert.match(familyHover('pixelcnn') ?? '', /Explicit, tractable density/);
  assert.equal(familyHover('gpt'), undefined);
});
