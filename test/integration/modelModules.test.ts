/**
 * Model modules through the real CLI, as a person runs them: the examples and the templates New
 * Model from Family writes train to runs the views can read, a module's --help lists its own
 * options, and a broken module is pointed at by file:line:column.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { listDensityFiles, readDensityFile, readInspector, readRunRecord } from '../../src/shared/runFolder';
import { CLI, isPng, ROOT, tempDir } from './helpers';

const EXAMPLES = path.join(ROOT, 'examples', 'models');
const TEMPLATES = path.join(ROOT, 'media', 'templates');

function genlab(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 240000 });
}

/** Trains `file` and returns its one run folder's record. */
function train(file: string, args: string[]) {
  const out = tempDir('module-runs');
  const r = genlab(['train', '--model', file, '--out', out, ...args]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const [runId] = fs.readdirSync(out);
  const dir = path.join(out, runId);
  return { dir, record: readRunRecord(dir), stdout: r.stdout };
}

test('the 2-D mixture example trains to an exact test NLL and a log-density heatmap, named after its file', () => {
  const { dir, record } = train(path.join(EXAMPLES, 'mixture-2d.ts'), ['--dataset', '8gaussians', '--steps', '300', '--eval-every', '150']);
  assert.match(path.basename(dir), /^mixture-2d-8gaussians-/);
  assert.equal(record.status, 'finished');
  assert.equal(record.config.family, 'module');
  assert.equal(record.parameters, 8 * 2 + 8 * 2 + 8, 'means, log-stds and logits of 8 components');
  // A single N(0, I)-like blob over the eight modes would score above 4 nats; the fit is below.
  assert.ok(record.finalMetrics.testNll < 4, `test NLL ${record.finalMetrics.testNll}`);
  // No layers networks: the Model tab lists its variables, with norms from its optimiser and no activations.
  const inspector = readInspector(dir, []);
  assert.deepEqual(inspector.architecture?.networks.map((n) => [n.name, n.parameters]), [['variables', record.parameters]]);
  assert.ok(inspector.norms.length > 0 && inspector.norms.every((r) => r.layers.every((l) => l.gradientNorm! > 0)));
  assert.deepEqual(inspector.activations, []);
  const views = listDensityFiles(dir).map((d) => readDensityFile(d.path));
  assert.equal(views.length, 2);
  for (const view of views) {
    assert.ok(view.ok);
    assert.equal(view.value.field, 'log-density');
  }
});

test('the tiny VAE example trains on MNIST to a bound (test -ELBO), with sample grids and its networks saved in layers format', () => {
  const { dir, record, stdout } = train(path.join(EXAMPLES, 'tiny-vae.ts'), ['--steps', '40', '--eval-every', '20']);
  assert.equal(record.status, 'finished');
  assert.ok(record.finalMetrics.testNegElbo > 0 && record.finalMetrics.testNegElbo < 543, `test -ELBO ${record.finalMetrics.testNegElbo} (uniform pixels: 784 ln 2 = 543)`);
  assert.equal(record.finalMetrics.testNll, undefined, 'a bound is never reported as a likelihood');
  assert.match(stdout, /test -ELBO/);
  assert.ok(isPng(path.join(dir, 'samples', 'step-000040.png')));
  for (const net of ['encoder', 'decoder']) assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'step-000040', net, 'model.json')), net);
  assert.deepEqual(record.source?.files, ['tiny-vae.ts']);
  const inspector = readInspector(dir, []);
  assert.deepEqual(inspector.architecture?.networks.map((n) => n.name), ['encoder', 'decoder']);
  assert.equal(inspector.architecture?.parameters, record.parameters);
  assert.deepEqual(inspector.activations.map((r) => r.step), [20, 40]);
});

test('each template New Model from Family writes trains from a copy, as the person gets it', () => {
  const folder = tempDir('templates');
  for (const [name, dataset] of [['vae', 'mnist'], ['gan', 'moons'], ['realnvp', 'moons']] as const) {
    const file = path.join(folder, `${name}.ts`);
    fs.copyFileSync(path.join(TEMPLATES, `${name}.ts`), file);
    const { record } = train(file, ['--dataset', dataset, '--steps', '20', '--eval-every', '20']);
    assert.equal(record.status, 'finished', name);
    const score = name === 'vae' ? record.finalMetrics.testNegElbo : name === 'realnvp' ? record.finalMetrics.testNll : 0;
    assert.ok(Number.isFinite(score), `${name}: ${JSON.stringify(record.finalMetrics)}`);
  }
});

test("a module's --help lists its own options and defaults; its flags set them and are checked like a family's", () => {
  const file = path.join(EXAMPLES, 'mixture-2d.ts');
  const help = genlab(['train', '--model', file, '--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Gaussian mixture \(gradient descent\)/);
  assert.match(help.stdout, /--components N\s+Gaussians in the mixture \(default 8\)/);
  assert.match(help.stdout, /default 8gaussians, 2000 steps/);
  const bad = genlab(['train', '--model', file, '--components', '0', '--out', tempDir('bad')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--components: must be at least 1/);
  const family = genlab(['train', 'vae', '--model', file]);
  assert.match(family.stderr, /Train either a family or a model module/);
});

test('a module with a type error is refused at its file:line:column before anything trains; one that throws fails its run at the line', () => {
  const folder = tempDir('broken-modules');
  const typed = path.join(folder, 'typo.ts');
  fs.writeFileSync(typed, `import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';
export default defineModel({
  title: 'Typo',
  densityKind: 'implicit',
  data: 'points',
  options: { width: { default: 8 } },
  create({ options }) {
    const layer = tf.layers.dense({ unit: options.width });
    return { trainStep: () => ({ loss: layer.countParams() }) };
  },
});
`);
  const out = tempDir('broken-runs');
  const refused = genlab(['train', '--model', typed, '--out', out]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /typo\.ts:9:37: error: Object literal may only specify known properties, but 'unit' does not exist in type 'DenseLayerArgs'\. Did you mean to write 'units'\?/);
  assert.deepEqual(fs.readdirSync(out), [], 'no run folder for a module that does not compile');

  const throwing = path.join(folder, 'throws.ts');
  fs.writeFileSync(throwing, `import { defineModel } from 'genlab';
export default defineModel({
  title: 'Throws',
  densityKind: 'implicit',
  data: 'points',
  options: {},
  create: () => ({
    trainStep() {
      throw new RangeError('step size out of range');
    },
  }),
});
`);
  const failed = genlab(['train', '--model', throwing, '--dataset', 'moons', '--out', out]);
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /threw in trainStep: step size out of range\n\s+at .*throws\.ts:9:13/);
  const [runId] = fs.readdirSync(out);
  assert.equal(readRunRecord(path.join(out, runId)).status, 'failed');
});
