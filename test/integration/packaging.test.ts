import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { extractZip, packageVsix, type PackagedVsix, VSIX_CEILING } from '../../bench/vsix';
import { isPng, ROOT, tempDir } from './helpers';

// Packages the current dist/ once, as `npm run package` does after its production build (vsce
// takes about 15 s, most of it compressing the MNIST files), and unpacks it as VS Code installs it:
// under the system temp folder, so Node cannot find a module in the repository's node_modules.
let vsix: PackagedVsix;
let names: string[];
let unpacked: string;
before(() => {
  vsix = packageVsix(path.join(tempDir('vsix'), 'genlab.vsix'));
  names = vsix.entries.map((e) => e.name);
  unpacked = tempDir('vsix-unpacked');
  extractZip(vsix.entries, unpacked);
});
// The unpacked MNIST files alone are 55 MB.
after(() => {
  for (const dir of [path.dirname(vsix.file), unpacked]) fs.rmSync(dir, { recursive: true, force: true });
});

const read = (name: string) => fs.readFileSync(path.join(unpacked, name), 'utf8');

const TFJS = ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu', 'tfjs-backend-wasm'];
const inPackage = (pkg: string) => names.filter((n) => n.startsWith(`extension/node_modules/${pkg}/`));

test('vsce packages without a warning or a made-up repository', () => {
  assert.doesNotMatch(vsix.output, /WARNING|ERROR/, vsix.output);
  assert.equal(JSON.parse(read('extension/package.json')).repository, undefined);
});

test(`the .vsix stays under ${VSIX_CEILING.megabytes} MB and ${VSIX_CEILING.files} files`, () => {
  assert.ok(vsix.megabytes <= VSIX_CEILING.megabytes, `${vsix.megabytes.toFixed(2)} MB`);
  assert.ok(names.length <= VSIX_CEILING.files, `${names.length} files`);
});

// VS Code's extension page loads README images only from https: and data: (scripts/vsix-readme.mjs
// says why), so the packaged README carries each image of the repository's README as a data: URI.
test('the README, with its images inlined, and the CHANGELOG ship inside', () => {
  assert.ok(names.includes('extension/changelog.md'), 'no changelog.md');
  const imagesOf = (markdown: string) => [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]+src="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  const original = imagesOf(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const packaged = imagesOf(read('extension/readme.md'));
  assert.ok(original.length > 0, 'the README shows no image: this test would check nothing');
  assert.equal(packaged.length, original.length);
  original.forEach((image, i) => {
    const inlined = /^data:image\/png;base64,(.+)$/.exec(packaged[i]);
    assert.ok(inlined, `${image} is not inlined as a PNG data: URI in the packaged README`);
    assert.ok(Buffer.from(inlined[1], 'base64').equals(fs.readFileSync(path.join(ROOT, image))), `${image}: the inlined image differs from the file`);
  });
});

test("the manifest's strings and the l10n bundle ship inside: every %key% of the packaged package.json resolves", () => {
  const packaged = read('extension/package.json');
  const nls = JSON.parse(read('extension/package.nls.json')) as Record<string, string>;
  const keys = [...packaged.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]);
  assert.ok(keys.length > 50, `${keys.length} %key%s`);
  for (const key of keys) assert.equal(typeof nls[key], 'string', `%${key}% has no entry in the packaged package.nls.json`);
  const l10nDir = JSON.parse(packaged).l10n as string;
  assert.ok(names.includes(`extension/${path.posix.normalize(l10nDir)}/bundle.l10n.json`), `no ${l10nDir}/bundle.l10n.json`);
});

test('each TensorFlow.js package ships only the build Node loads, and the wasm backend its binaries', () => {
  for (const pkg of TFJS) {
    const files = inPackage(`@tensorflow/${pkg}`);
    const manifest = JSON.parse(read(`extension/node_modules/@tensorflow/${pkg}/package.json`));
    const scripts = files.filter((n) => n.endsWith('.js'));
    assert.deepEqual(scripts, [`extension/node_modules/@tensorflow/${pkg}/${path.posix.normalize(manifest.main)}`], pkg);
  }
  const wasmDir = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  const binaries = fs.readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
  assert.ok(binaries.length >= 1);
  for (const binary of binaries) assert.ok(names.includes(`extension/node_modules/@tensorflow/tfjs-backend-wasm/dist/${binary}`), binary);
});

test('no tests, sources, source maps, native addons or packages nothing loads', () => {
  // The .ts files of media/templates/ are sources for the person (New Model from Family), not GenLab's.
  const unwanted = names.filter((n) => /_test\.js$|\.test\.|\.map$|\.tsx?$|\.node$|\.min\.js$|^extension\/(src|test|bench|e2e|webview|scripts)\//.test(n) && !n.startsWith('extension/media/templates/'));
  assert.deepEqual(unwanted, []);
  for (const pkg of ['@tensorflow/tfjs-node', 'underscore', 'long', '@types', '@webgpu']) assert.deepEqual(inPackage(pkg), [], pkg);
  assert.deepEqual(names.filter((n) => n.startsWith('extension/dist/') && /bench|test/.test(n)), []);
});

test('the CLI inside the unpacked .vsix trains a VAE on MNIST with the wasm backend', () => {
  const out = path.join(unpacked, 'runs');
  const env = { ...process.env };
  delete env.NODE_PATH;
  const r = spawnSync(process.execPath, [path.join(unpacked, 'extension', 'bin', 'genlab.js'), 'train', 'vae', '--dataset', 'mnist', '--steps', '20', '--eval-every', '10', '--out', out], { cwd: unpacked, env, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const [runId] = fs.readdirSync(out);
  const run = JSON.parse(fs.readFileSync(path.join(out, runId, 'run.json'), 'utf8'));
  assert.equal(run.status, 'finished');
  assert.match(run.backend, /^wasm/);
  assert.ok(Number.isFinite(run.finalMetrics.testNegElbo) && run.finalMetrics.testNegElbo < 543, `test -ELBO ${run.finalMetrics.testNegElbo} nats is no better than uniform pixels (784 ln 2)`);
  assert.ok(isPng(path.join(out, runId, 'samples', 'step-000020.png')));
});

// TypeScript's compiler and the declarations ship for model modules: a person's file, with a type
// the checker must resolve through the shipped @tensorflow/tfjs declarations, trains from the package.
test('the CLI inside the unpacked .vsix type-checks and trains a model module', () => {
  const file = path.join(unpacked, 'models', 'shift.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';
export default defineModel({
  title: 'Unit Gaussian, shifted',
  densityKind: 'explicit-tractable',
  data: 'points',
  options: {},
  create({ data, learningRate }) {
    const mean: tf.Variable = tf.variable(tf.zeros([data.dim]));
    const optimizer = tf.train.adam(learningRate);
    const logProb = (x: tf.Tensor2D) => tf.tidy(() => x.sub(mean).square().sum(1).mul(-0.5).sub(data.dim * 0.5 * Math.log(2 * Math.PI))) as tf.Tensor1D;
    return {
      trainStep: (batch) => ({ loss: optimizer.minimize(() => logProb(batch).mean().neg() as tf.Scalar, true)!.dataSync()[0] }),
      logProb,
    };
  },
});
`);
  const out = path.join(unpacked, 'module-runs');
  const env = { ...process.env };
  delete env.NODE_PATH;
  const r = spawnSync(process.execPath, [path.join(unpacked, 'extension', 'bin', 'genlab.js'), 'train', '--model', file, '--dataset', 'moons', '--steps', '30', '--eval-every', '30', '--out', out], { cwd: unpacked, env, encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const [runId] = fs.readdirSync(out);
  const run = JSON.parse(fs.readFileSync(path.join(out, runId, 'run.json'), 'utf8'));
  assert.equal(run.status, 'finished');
  assert.ok(Number.isFinite(run.finalMetrics.testNll), JSON.stringify(run.finalMetrics));
});
