/**
 * Model modules in the trainer, for real: files written here are type-checked and compiled by
 * TypeScript, run with the trainer's TensorFlow.js, trained through the real session, resumed
 * and sampled from the copy their run keeps. Needs dist/model-types.json (npm run build).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { listDensityFiles, readDensityFile, readRunRecord, readTrainedRunRecord } from '../../src/shared/runFolder';
import { type BackendInfo, initBackend } from '../../src/trainer/backend/select';
import { generateFromRun } from '../../src/trainer/generate';
import { loadModule } from '../../src/trainer/modules/load';
import { ModuleError } from '../../src/trainer/modules/moduleError';
import { TrainingSession } from '../../src/trainer/session';

let backend: BackendInfo;
before(async () => {
  backend = await initBackend('wasm');
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-modules-'));
const write = (name: string, text: string) => {
  const file = path.join(root, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};

// A diagonal Gaussian on 2-D points, its log-density exact: the smallest explicit-tractable model.
// Its pieces are in two files, to check relative imports, and it uses chained tensor methods.
write('models/logdensity.ts', `import * as tf from '@tensorflow/tfjs';
export function gaussianLogProb(x: tf.Tensor2D, mean: tf.Tensor1D, logStd: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const z = x.sub(mean).div(logStd.exp());
    return z.square().mul(-0.5).sub(logStd).sub(0.5 * Math.log(2 * Math.PI)).sum(1) as tf.Tensor1D;
  });
}
`);
const gaussian = write('models/gaussian.ts', `import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';
import { gaussianLogProb } from './logdensity';

export default defineModel({
  title: 'Diagonal Gaussian',
  densityKind: 'explicit-tractable',
  data: 'points',
  options: { initialStd: { default: 0.3, min: 0.01, label: 'Initial std' } },
  defaults: { steps: 200, learningRate: 0.05, batchSize: 64, evalEvery: 100 },
  create({ data, options, learningRate }) {
    const mean = tf.variable(tf.zeros([data.dim]) as tf.Tensor1D);
    const logStd = tf.variable(tf.fill([data.dim], Math.log(options.initialStd)) as tf.Tensor1D);
    const optimizer = tf.train.adam(learningRate);
    const logProb = (x: tf.Tensor2D) => gaussianLogProb(x, mean, logStd);
    return {
      trainStep(batch) {
        const loss = optimizer.minimize(() => logProb(batch).mean().neg() as tf.Scalar, true)!;
        const value = loss.dataSync()[0];
        loss.dispose();
        return { loss: value };
      },
      logProb,
      draw(count, rng) {
        return tf.tidy(() => tf.tensor2d(rng.normal(count * data.dim), [count, data.dim]).mul(logStd.exp()).add(mean) as tf.Tensor2D);
      },
      optimizers: [optimizer],
    };
  },
});
`);

test('a module that does not type-check is refused before it runs, each error at its file, line and column', () => {
  const file = write('broken/types.ts', `import { defineModel } from 'genlab';
export default defineModel({
  title: 'Broken',
  densityKind: 'implicit',
  data: 'points',
  options: { width: { default: 8 } },
  create({ options }) {
    const width: string = options.width;
    return { trainStep: () => ({ loss: width.length }) };
  },
});
`);
  assert.throws(() => loadModule(file), (err: unknown) => {
    assert.ok(err instanceof ModuleError);
    assert.equal(err.problems.length, 1, err.message);
    assert.deepEqual({ ...err.problems[0], message: '' }, { file, line: 8, column: 11, message: '', severity: 'error' });
    assert.match(err.problems[0].message, /Type 'number' is not assignable to type 'string'/);
    assert.match(err.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:11`));
    return true;
  });
});

test('a definition GenLab cannot use is named by its field; a file without one says what to export', () => {
  const bad = write('broken/declaration.ts', `import { defineModel } from 'genlab';
export default defineModel({ title: '', densityKind: 'implicit', data: 'points', options: {}, create: () => ({ trainStep: () => ({}) }) });
`);
  assert.throws(() => loadModule(bad), (err: unknown) => err instanceof ModuleError && /declares something GenLab cannot use: title: must not be empty/.test(err.message));
  const none = write('broken/none.ts', 'export const x = 1;\n');
  assert.throws(() => loadModule(none), (err: unknown) => err instanceof ModuleError && /default export must be defineModel/.test(err.message));
});

test("a module's declaration reads as a family spec would: title, options and defaults, its files and their digest", () => {
  const loaded = loadModule(gaussian);
  assert.equal(loaded.ref.declaration.title, 'Diagonal Gaussian');
  assert.deepEqual(loaded.ref.declaration.options, { initialStd: { default: 0.3, min: 0.01, label: 'Initial std' } });
  assert.deepEqual(loaded.files, [gaussian, path.join(root, 'models', 'logdensity.ts')]);
  assert.match(loaded.sha256, /^[0-9a-f]{64}$/);
  assert.equal(loadModule(gaussian).sha256, loaded.sha256, 'the same files, the same digest');
  const config = completeConfig({ family: 'module', module: loaded.ref, dataset: 'moons', runsDir: root });
  assert.equal(config.steps, 200);
  assert.equal(config.learningRate, 0.05);
  assert.deepEqual(config.model, { initialStd: 0.3 });
  assert.throws(() => completeConfig({ family: 'module', module: loaded.ref, dataset: 'mnist', runsDir: root }), /Diagonal Gaussian cannot model mnist/);
  assert.throws(() => completeConfig({ family: 'module', module: loaded.ref, runsDir: root, model: { initialStd: 0 } }), /model\.initialStd: must be at least 0\.01/);
  assert.throws(() => completeConfig({ family: 'module', module: loaded.ref, runsDir: root, model: { width: 3 } as never }), /model\.width: is not a known field/);
});

async function train(config: TrainConfig, resumeFrom?: string) {
  const messages: TrainerMessage[] = [];
  const session = new TrainingSession(config, backend, (m) => messages.push(m), resumeFrom);
  const error = await session.execute().then(() => undefined, (err: unknown) => err);
  const started = messages.find((m) => m.type === 'started');
  return { error, messages, runDir: started?.type === 'started' ? started.runDir : undefined };
}

test('a module trains like a family: the exact density heatmap, the test NLL, a copy of its source; it resumes and samples from that copy', async () => {
  const { ref } = loadModule(gaussian);
  const config = completeConfig({ family: 'module', module: ref, dataset: 'moons', runsDir: path.join(root, 'runs'), backend: 'wasm' });
  const { error, runDir, messages } = await train(config);
  assert.equal(error, undefined);
  const firstLoss = messages.find((m) => m.type === 'metrics')!;
  const record = readTrainedRunRecord(runDir!);
  assert.equal(record.status, 'finished');
  assert.equal(record.parameters, 4, 'a mean and a log-std for each of the 2 dimensions');
  assert.ok(Number.isFinite(record.finalMetrics.testNll));
  // Fitted, it is well below the NLL of the narrow N(0, 0.3²) it starts from, which the first step's loss is.
  assert.ok(firstLoss.type === 'metrics' && record.finalMetrics.testNll < firstLoss.values.loss - 0.3, `testNll ${record.finalMetrics.testNll}, first loss ${JSON.stringify(firstLoss)}`);
  assert.equal(record.best?.metric, 'testNll');
  assert.deepEqual(record.source?.files, ['gaussian.ts', 'logdensity.ts']);
  assert.equal(fs.readFileSync(path.join(runDir!, 'source', 'gaussian.ts'), 'utf8'), fs.readFileSync(gaussian, 'utf8'));
  const density = listDensityFiles(runDir!).map((d) => readDensityFile(d.path));
  assert.equal(density.length, 2);
  const last = density[1];
  assert.ok(last.ok);
  assert.equal(last.value.field, 'log-density');
  assert.equal(last.value.values.length, 64 * 64);
  assert.equal(last.value.samples.length, 2000, '1000 points drawn by the module');

  // The file changes (here: breaks); the run resumes and samples from its own copy regardless.
  const original = fs.readFileSync(gaussian, 'utf8');
  fs.writeFileSync(gaussian, 'this is not TypeScript');
  try {
    const resumed = await train(completeConfig({ ...record.config, epochs: undefined, steps: 220 }), runDir);
    assert.equal(resumed.error, undefined);
    assert.equal(readRunRecord(runDir!).progress.step, 220);
    const drawn = await generateFromRun(runDir!, { type: 'samples', count: 50, seed: 3 });
    const rows = fs.readFileSync(path.join(runDir!, 'samples', 'generated', drawn.file), 'utf8').trim().split('\n');
    assert.equal(rows.length, 51, 'a header and 50 points');
  } finally {
    fs.writeFileSync(gaussian, original);
  }
});

test("an exception in the person's trainStep is reported at their line, and the run is marked failed with it", async () => {
  const file = write('broken/throws.ts', `import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

export default defineModel({
  title: 'Throws',
  densityKind: 'implicit',
  data: 'points',
  options: {},
  create() {
    return {
      trainStep(batch) {
        if (batch.shape[0] > 0) throw new Error('the loss went missing');
        return { loss: tf.scalar(0).dataSync()[0] };
      },
    };
  },
});
`);
  const { ref } = loadModule(file);
  const { error, runDir } = await train(completeConfig({ family: 'module', module: ref, dataset: 'moons', steps: 5, runsDir: path.join(root, 'runs'), backend: 'wasm' }));
  assert.ok(error instanceof ModuleError, String(error));
  assert.deepEqual(error.problems.map((p) => [p.file, p.line, p.column]), [[file, 12, 39]]);
  assert.match(error.message, /threw in trainStep: the loss went missing/);
  const record = readRunRecord(runDir!);
  assert.equal(record.status, 'failed');
  assert.match(record.error!.message, /throws\.ts:12:39/);
});
