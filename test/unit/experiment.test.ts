import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { completeConfig, FAMILIES, FAMILY_SPECS } from '../../src/protocol/config';
import { DecodeError } from '../../src/protocol/decode';
import { experimentConfig, experimentFile, experimentInput, experimentSchema, familyHover, resolveDataPath } from '../../src/protocol/experiment';
import { DENSITY_KIND_LABELS } from '../../src/protocol/families/spec';

const SCHEMA_FILE = path.join('media', 'schemas', 'experiment.schema.json');
const workspace = '/work/project';
const file = `${workspace}/experiments/flow.genlab.json`;
const runsDir = `${workspace}/.genlab/runs`;
const config = (text: object) => experimentConfig(JSON.stringify(text), file, [workspace], runsDir);
const problem = (text: object | string) => {
  try {
    experimentConfig(typeof text === 'string' ? text : JSON.stringify(text), file, [workspace], runsDir);
    return 'accepted';
  } catch (err) {
    return err instanceof DecodeError ? `${err.path}: ${err.problem}` : String(err);
  }
};
const validate = new Ajv({ allErrors: true }).compile(experimentSchema());
const schemaErrors = (text: object) => (validate(text) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message}`));

test('the committed schema is the one the family specs generate', () => {
  const generated = `${JSON.stringify(experimentSchema(), null, 2)}\n`;
  if (process.env.GENLAB_WRITE_SCHEMA) fs.writeFileSync(SCHEMA_FILE, generated);
  assert.equal(fs.readFileSync(SCHEMA_FILE, 'utf8'), generated, `${SCHEMA_FILE} is stale: GENLAB_WRITE_SCHEMA=1 node scripts/run-tests.mjs test/unit/experiment.test.ts rewrites it`);
  const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8'));
  assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: '*.genlab.json', url: './media/schemas/experiment.schema.json' }]);
});

test('valid files pass the schema and the decoder alike', () => {
  const valid = [
    { family: 'realnvp' },
    { $schema: '../x.json', name: 'Long flow', family: 'realnvp', dataset: 'moons', steps: 20000, seed: 3, batchSize: 256, learningRate: 0.0005, evalEvery: 1000, model: { couplings: 10 } },
    { family: 'vae', dataset: 'mnist', epochs: 0.5, model: { latentDim: 8, hiddenSizes: [256, 128] } },
    { family: 'gan', dataset: 'mnist', model: { loss: 'least-squares', channels: 32 } },
    { family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: '../data/heights.csv', columns: ['height_cm'] }, backend: 'wasm' },
    { family: 'mixture', dataset: 'csv', data: { type: 'csv', path: 'hw.csv', columns: ['height_cm', 'weight_kg'] }, model: { components: 2 } },
  ];
  for (const text of valid) {
    assert.deepEqual(schemaErrors(text), [], JSON.stringify(text));
    assert.equal(problem(text), 'accepted', JSON.stringify(text));
  }
});

test('invalid files fail the schema and the decoder alike, the decoder naming the field to fix', () => {
  const invalid: [object, RegExp][] = [
    [{ dataset: 'moons' }, /^family: expected one of/],
    [{ family: 'gpt' }, /^family: expected one of "vae"/],
    [{ family: 'pixelcnn', dataset: 'moons' }, /^dataset: pixelcnn cannot model moons; choose one of mnist, fashion-mnist$/],
    [{ family: 'gaussian', dataset: 'mnist' }, /^dataset: gaussian cannot model mnist/],
    [{ family: 'vae', model: { latentDims: 4 } }, /^model\.latentDims: is not a known field/],
    [{ family: 'realnvp', model: { channels: 8 } }, /^model\.channels: is not a known field/],
    [{ family: 'gan', model: { loss: 'wasserstein' } }, /^model\.loss: expected one of/],
    [{ family: 'vae', model: { hiddenSizes: [] } }, /^model\.hiddenSizes: expected at least 1/],
    [{ family: 'gan', steps: 10, epochs: 2 }, /give exactly one of epochs or steps/],
    [{ family: 'vae', learningRate: -1 }, /^learningRate: must be greater than 0/],
    [{ family: 'vae', seed: 1.5 }, /^seed: expected a whole number/],
    [{ family: 'vae', name: '' }, /^name: must not be empty/],
    [{ family: 'vae', batchsize: 64 }, /^batchsize: is not a known field/],
    // What the workspace decides, not the experiment: where runs go and how many checkpoints they keep.
    [{ family: 'vae', runsDir: '/tmp/elsewhere' }, /^runsDir: is not a known field/],
    [{ family: 'vae', keepCheckpoints: 5 }, /^keepCheckpoints: is not a known field/],
    [{ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: 'a.csv' } }, /^data\.columns: is required/],
    [{ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: 'a.csv', columns: ['a', 'b', 'c'] } }, /^data\.columns: pick one or two columns/],
  ];
  for (const [text, expected] of invalid) {
    assert.notDeepEqual(schemaErrors(text), [], `the schema accepts ${JSON.stringify(text)}`);
    assert.match(problem(text), expected, JSON.stringify(text));
  }
  assert.match(problem('{ "family": "vae", '), /^: is not valid JSON/);
  // Beyond what a JSON schema can say: whether the family fits the number of columns, and whether an
  // option applies to this kind of data. The decoder (the editor's diagnostics) catches them.
  assert.match(problem({ family: 'realnvp', dataset: 'csv', data: { type: 'csv', path: 'a.csv', columns: ['x'] } }), /^data\.columns: realnvp cannot model 1-D data$/);
  assert.match(problem({ family: 'gan', dataset: 'moons', model: { channels: 16 } }), /^model\.channels: applies to images only/);
});

test("a file's own settings stay as given (the person's settings and the family's defaults fill the rest); the complete config has the defaults", () => {
  const text = JSON.stringify({ name: 'Long flow', family: 'realnvp', steps: 20000, model: { couplings: 10 } });
  assert.deepEqual(experimentInput(text, file, [workspace]), { family: 'realnvp', steps: 20000, model: { couplings: 10 }, runName: 'Long flow', experiment: file });
  const c = experimentConfig(text, file, [workspace], runsDir);
  assert.equal(c.runName, 'Long flow');
  assert.equal(c.experiment, file);
  assert.equal(c.runsDir, runsDir);
  assert.deepEqual(c.model, { couplings: 10, hiddenSizes: [64, 64] });
  assert.equal(c.dataset, '8gaussians');
});

test('every family and dataset saves to a file the schema accepts and that gives the same config back', () => {
  const folder = `${workspace}/experiments`;
  for (const family of FAMILIES) {
    for (const dataset of FAMILY_SPECS[family].datasets) {
      const original = completeConfig({ family, dataset, runsDir, backend: 'wasm', keepCheckpoints: 3, maxParameters: 60e6, runName: 'saved', experiment: '/old/place.genlab.json' });
      const saved = experimentFile(original, folder);
      assert.deepEqual(schemaErrors(saved), [], `${family} on ${dataset}`);
      const again = experimentConfig(JSON.stringify(saved), file, [workspace], runsDir);
      const { backend: _b, keepCheckpoints: _k, maxParameters: _m, experiment: _e, ...settings } = original;
      assert.deepEqual({ ...again, experiment: undefined, backend: undefined }, { ...settings, experiment: undefined, backend: undefined }, `${family} on ${dataset}`);
    }
  }
  const csv = completeConfig({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: `${workspace}/data/heights.csv`, columns: ['height_cm'] } });
  assert.deepEqual(experimentFile(csv, `${workspace}/experiments`).data, { type: 'csv', path: '../data/heights.csv', columns: ['height_cm'] });
});

test("a module's settings save as its file, relative and inside the workspace, with its options beside it, and read back the same", () => {
  const module = { path: `${workspace}/models/my-flow.ts`, declaration: { title: 'My flow', densityKind: 'explicit-tractable' as const, data: 'points' as const, options: { couplings: { default: 4, integer: true, min: 1 } } } };
  const original = completeConfig({ family: 'module', module, dataset: 'moons', runsDir, model: { couplings: 6 }, runName: 'six couplings' });
  const saved = experimentFile(original, `${workspace}/experiments`);
  assert.deepEqual(saved.model, { module: '../models/my-flow.ts', couplings: 6 });
  assert.equal('family' in saved, false);
  assert.deepEqual(experimentFile(original, `${workspace}/models`).model, { module: './my-flow.ts', couplings: 6 });
  assert.deepEqual(schemaErrors(saved), []);
  const again = experimentConfig(JSON.stringify(saved), file, [workspace], runsDir, module);
  assert.deepEqual({ ...again, experiment: undefined }, { ...original, experiment: undefined });
});

test("the schema's model options per family are the family's fields", () => {
  const allOf = experimentSchema().allOf as { if: { properties: { family: { const: string } } }; then: { properties: { model: { properties: object } } } }[];
  assert.deepEqual(
    allOf.map((branch) => [branch.if.properties.family.const, Object.keys(branch.then.properties.model.properties)]),
    FAMILIES.map((family) => [family, FAMILY_SPECS[family].fields.map((f) => f.key)]),
  );
});

test("data paths resolve against the file's folder and may not leave the workspace", () => {
  assert.deepEqual(resolveDataPath(file, '../data/heights.csv', [workspace]), { path: `${workspace}/data/heights.csv` });
  assert.deepEqual(resolveDataPath(file, 'local.csv', [workspace]), { path: `${workspace}/experiments/local.csv` });
  assert.deepEqual(resolveDataPath(file, '../..data.csv', [workspace]), { path: `${workspace}/..data.csv` }, 'a name that starts with two dots stays inside');
  assert.match((resolveDataPath(file, '../../secrets.csv', [workspace]) as { problem: string }).problem, /outside the workspace/);
  assert.match((resolveDataPath(file, '../../project-other/x.csv', [workspace]) as { problem: string }).problem, /outside the workspace/, 'a sibling folder sharing the prefix');
  assert.match((resolveDataPath(file, '/etc/passwd', [workspace]) as { problem: string }).problem, /outside the workspace/);
  assert.match((resolveDataPath(file, 'x.csv', []) as { problem: string }).problem, /outside the workspace/, 'no workspace, no data path');
  assert.ok('path' in resolveDataPath(file, '/other/root/x.csv', [workspace, '/other/root']), 'any workspace folder will do');
  assert.equal(config({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: '../data/heights.csv', columns: ['height_cm'] } }).data?.path, `${workspace}/data/heights.csv`);
  assert.match(problem({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: '../../up.csv', columns: ['x'] } }), /^data\.path: .*outside the workspace/);
});

test('hovering a family names its kind of density once, and explains it', () => {
  for (const family of FAMILIES) {
    const hover = familyHover(family) ?? '';
    const label = DENSITY_KIND_LABELS[FAMILY_SPECS[family].density.kind];
    assert.equal(hover.split(label).length, 2, `${family}: ${hover}`);
    assert.ok(hover.startsWith(`**${FAMILY_SPECS[family].title}**`), hover);
  }
  assert.match(familyHover('gan') ?? '', /Implicit density: the generator only draws samples/);
  assert.equal(familyHover('gpt'), undefined);
});
