import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FAMILIES, FAMILY_SPECS } from '../../src/protocol/config';
import { readRunRecord, readTrainedRunRecord } from '../../src/shared/runFolder';
import { writeDiscFolder } from '../support/discFolder';
import { CLI, isPng, processAlive, tempDir, until } from './helpers';

function genlab(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--help documents every option', () => {
  const { code, out } = genlab(['--help']);
  assert.equal(code, 0);
  for (const flag of ['--dataset', '--epochs', '--steps', '--batch-size', '--lr', '--latent-dim', '--hidden', '--seed', '--backend', '--eval-every', '--out', '--name', '--json']) {
    assert.match(out, new RegExp(`^  ${flag} `, 'm'), flag);
  }
});

for (const family of FAMILIES) {
  test(`${family}: the CLI lists it with its title and offers each of its model options as a flag for it`, () => {
    for (const args of [['--help'], ['train', family, '--help']]) {
      const { code, out } = genlab(args);
      assert.equal(code, 0, args.join(' '));
      const families = out.slice(out.indexOf('Families:'), out.indexOf('Options:'));
      assert.match(families, new RegExp(`^  ${family} +${FAMILY_SPECS[family].title.replace(/[()]/g, '\\$&')};`, 'm'), args.join(' '));
      for (const field of FAMILY_SPECS[family].fields) {
        // `  --flag VALUE   vae, gan: help`, the help on the next line when the usage is long.
        const line = new RegExp(`^  --${field.flag} \\S+(?: +|\\n {29})(?:[a-z0-9]+, )*${family}(?:, [a-z0-9]+)*: `, 'm');
        assert.match(out.slice(out.indexOf('Model options')), line, `--${field.flag} for ${family}`);
      }
    }
  });
}

test('bad options exit non-zero with a message that names the fix', () => {
  const file = path.join(tempDir('cli-bad'), 'a-file');
  fs.writeFileSync(file, '');
  const cases: [string[], RegExp][] = [
    [['train', 'vae', '--dataset', 'cifar'], /--dataset: expected one of "mnist", "fashion-mnist", "8gaussians", .*, got "cifar"/],
    [['train', 'pixelcnn', '--dataset', 'moons'], /--dataset: pixelcnn cannot model moons; choose one of mnist, fashion-mnist/],
    [['train', 'gan', '--channels', '32'], /--channels: applies to images only, and 8gaussians is points; remove it/],
    [['train', 'gan', '--loss', 'wasserstein'], /--loss: expected one of "non-saturating", "least-squares", got "wasserstein"/],
    [['train', 'vae', '--components', '3'], /--components applies to mixture, not vae/],
    [['train', 'realnvp', '--dataset', 'bimodal'], /--dataset: realnvp cannot model bimodal/],
    [['train', 'vae', '--batch-size=-5'], /--batch-size: must be at least 1, got -5/],
    [['train', 'vae', '--batch-size', '-5'], /--batch-size=-XYZ/],
    [['train', 'vae', '--latent-dim', '0'], /--latent-dim: must be at least 1, got 0/],
    [['train', 'vae', '--lr', 'fast'], /--lr expects a number, got "fast"/],
    [['train', 'vae', '--epochs', '2', '--steps', '5'], /give exactly one of epochs or steps/],
    [['train', 'vae', '--out', file], /Cannot write runs to ".*a-file" \(E[A-Z]+\)\. Choose a folder you can write to with --out/],
    [['train', 'gpt'], new RegExp(`Unknown family "gpt"; choose one of: ${FAMILIES.join(', ')}\\.`)],
    [['train', 'vae', '--epoch', '3'], /Unknown option '--epoch'/],
  ];
  for (const [args, pattern] of cases) {
    const r = genlab(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, pattern);
    assert.match(r.err, /genlab train --help/);
  }
});

test('a headless run prints progress lines and a summary, and writes the run folder', () => {
  const out = tempDir('cli-run');
  const r = genlab(['train', 'vae', '--steps', '40', '--eval-every', '20', '--batch-size', '32', '--backend', 'wasm', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Backend: wasm/m);
  assert.match(r.out, /^step 40\/40 +epoch 0\.02 +-ELBO [\d.]+ +[\d.]+ steps\/s/m);
  assert.match(r.out, /^step 20: test -ELBO [\d.]+/m);
  assert.match(r.out, /^Finished: 40 steps \(0\.02 epochs\) in \d+s, [\d.]+ steps\/s on wasm/m);
  assert.match(r.out, /^Test: +test -ELBO [\d.]+, test reconstruction [\d.]+, test KL [\d.]+ \(nats per image\)/m);
  const sample = /^Samples: (.+)$/m.exec(r.out)?.[1];
  assert.ok(sample && isPng(path.resolve(sample)), `sample grid ${sample}`);
  const [runId] = fs.readdirSync(out);
  assert.equal(readRunRecord(path.join(out, runId)).status, 'finished');
});

test('a folder of images trains from the CLI: unreadable files and a batch larger than the data are warnings, the samples are in colour', () => {
  const folder = writeDiscFolder(tempDir('cli-images'), 20, 16);
  fs.writeFileSync(path.join(folder, 'notes.jpg'), 'not a jpeg');
  const out = tempDir('cli-images-run');
  const r = genlab(['train', 'gan', '--data', folder, '--image-size', '16', '--color', 'rgb', '--steps', '4', '--eval-every', '2', '--channels', '8', '--backend', 'wasm', '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Warning: Skipped 1 file: notes\.jpg/m);
  assert.match(r.out, /^Warning: The batch size 64 is larger than the 18 training examples; each step uses all 18\./m);
  assert.match(r.out, /^Run \S+: 4 steps of 18 on image-folder/m);
  const sample = /^Samples: (.+)$/m.exec(r.out)?.[1];
  assert.ok(sample && isPng(path.resolve(sample)), `sample grid ${sample}`);
  assert.equal(fs.readFileSync(path.resolve(sample))[25], 2, 'an RGB PNG');
  const [runId] = fs.readdirSync(out);
  const record = readTrainedRunRecord(path.join(out, runId));
  assert.deepEqual(record.config.data, { type: 'image-folder', path: folder, size: 16, color: 'rgb' });
  assert.equal(record.config.batchSize, 18);
  assert.deepEqual(
    record.notes?.map((n) => n.split(':')[0]),
    ['Skipped 1 file', 'The batch size 64 is larger than the 18 training examples; each step uses all 18.'],
    'run.json keeps what training left out, for the dashboard',
  );
  const bad = genlab(['train', 'vae', '--data', folder, '--columns', 'x']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--columns picks columns of a CSV file; --data is a folder of images/);
});

test('Ctrl-C stops after the current step and keeps the run', async () => {
  const out = tempDir('cli-sigint');
  const child = spawn(process.execPath, [CLI, 'train', 'vae', '--steps', '100000', '--batch-size', '32', '--backend', 'wasm', '--json', '--out', out]);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  await until(() => (stdout.match(/"type":"metrics"/g) ?? []).length >= 5, 60000, 'five metrics lines');
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
  const done = stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((m) => m.type === 'done');
  assert.equal(done.summary.state, 'stopped');
  const record = readRunRecord(done.summary.runDir);
  assert.equal(record.status, 'stopped');
  assert.ok(record.progress.step >= 5);
  assert.ok(fs.existsSync(path.join(done.summary.runDir, 'checkpoints')));
});

test('a trainer whose host dies (the editor or CLI killed) stops by itself and keeps its run', async () => {
  const out = tempDir('cli-orphan');
  const host = spawn(process.execPath, [CLI, 'train', 'vae', '--steps', '100000', '--batch-size', '32', '--backend', 'wasm', '--json', '--out', out]);
  let stdout = '';
  host.stdout.on('data', (d) => (stdout += d));
  await until(() => (stdout.match(/"type":"metrics"/g) ?? []).length >= 5, 60000, 'five metrics lines');
  const [runId] = fs.readdirSync(out);
  const { pid } = readRunRecord(path.join(out, runId));
  host.kill('SIGKILL');
  await until(() => !processAlive(pid), 20000, 'the orphaned trainer to exit');
  const record = readTrainedRunRecord(path.join(out, runId));
  assert.equal(record.status, 'stopped', 'it stopped cleanly after its host vanished');
});

test('genlab export: the newest checkpoint\'s networks (no training state) and a README on loading them, into a new folder each time; a folder that is no run is refused', async () => {
  const runs = tempDir('export-runs');
  assert.equal(genlab(['train', 'vae', '--steps', '6', '--eval-every', '3', '--batch-size', '16', '--backend', 'wasm', '--out', runs]).code, 0);
  const [id] = fs.readdirSync(runs);
  const out = tempDir('export-out');
  const first = genlab(['export', path.join(runs, id), '--out', out]);
  assert.equal(first.code, 0, first.err);
  const dir = path.join(out, `${id}-model`);
  assert.match(first.out, new RegExp(`^Exported the model at step 6 to ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  const files = fs.readdirSync(dir, { recursive: true }).map(String).sort();
  assert.deepEqual(files, ['README.md', 'decoder', path.join('decoder', 'model.json'), path.join('decoder', 'weights.bin'), 'encoder', path.join('encoder', 'model.json'), path.join('encoder', 'weights.bin')]);
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  assert.match(readme, /exported at step 6/);
  assert.match(readme, /tf\.loadLayersModel/);
  assert.match(readme, /genlab\.load\(/, 'and the Python recipe');
  // The exported decoder loads as a layers model and decodes a latent code to an image.
  const { loadLayersModel } = await import('../../src/trainer/runs/layersFormat');
  const { initBackend } = await import('../../src/trainer/backend/select');
  await initBackend('cpu');
  const tf = await import('@tensorflow/tfjs-core');
  const decoder = await loadLayersModel(path.join(dir, 'decoder'));
  assert.deepEqual((decoder.predict(tf.zeros([1, 20])) as import('@tensorflow/tfjs-core').Tensor).shape, [1, 784]);

  assert.equal(genlab(['export', path.join(runs, id), '--out', out]).code, 0);
  assert.ok(fs.existsSync(path.join(out, `${id}-model-2`)), 'a second export never overwrites the first');
  const refused = genlab(['export', runs, '--out', out]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /run\.json: is missing/);
  assert.equal(genlab(['export']).code, 2);
});

test('genlab native status says what is installed and how to add it; a wrong subcommand gets the usage', () => {
  const { GENLAB_NATIVE_DIR: _ignored, ...env } = process.env;
  const root = tempDir('native-status');
  const status = spawnSync(process.execPath, [CLI, 'native', 'status'], { encoding: 'utf8', env: { ...env, GENLAB_NATIVE_DIR: root } });
  assert.equal(status.status, 1, 'not installed');
  assert.match(status.stdout, /^Native backend \(tfjs-node\): not installed \(.*tfjs-node-4\.22\.0\)\. GenLab: Install Native Backend, or `genlab native install`, adds it/);
  // A GPU build's folder that never finished is listed first, with the CPU build's state after it.
  fs.mkdirSync(path.join(root, 'tfjs-node-gpu-4.22.0'));
  const both = spawnSync(process.execPath, [CLI, 'native', 'status'], { encoding: 'utf8', env: { ...env, GENLAB_NATIVE_DIR: root } });
  assert.equal(both.status, 1, 'neither loads');
  assert.match(both.stdout, /^Native backend \(tfjs-node-gpu\): damaged \(.*native\.json.*\)\. GenLab: Install Native Backend, or `genlab native install --gpu`, replaces it; until then training uses tfjs-node where installed, else wasm\./);
  for (const args of [['native', 'instal'], ['native', 'install', '--cpu'], ['native', 'status', '--gpu']]) {
    const wrong = genlab(args);
    assert.equal(wrong.code, 2, args.join(' '));
    assert.match(wrong.err, /usage: genlab native install \[--gpu\] \| status \| remove/);
  }
  assert.match(genlab(['--help']).out, /genlab native install \[--gpu\] \| status \| remove/);
  const removed = spawnSync(process.execPath, [CLI, 'native', 'remove'], { encoding: 'utf8', env: { ...env, GENLAB_NATIVE_DIR: root, GENLAB_CACHE_DIR: root } });
  assert.deepEqual([removed.status, removed.stdout], [0, 'No native backend was installed.\n']);
});
