/**
 * genlab/log, the Node logger, as a person's script uses it: imported by its package name from a
 * project that installed GenLab (the built dist/log.js and its declarations), writing a run folder
 * that GenLab's decoders, `genlab runs check` and the views read, and ending it as the script ends.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ts from 'typescript';
import { RunHistory } from '../../src/extension/runHistory';
import { FAMILY_SPECS } from '../../src/protocol/config';
import { checkRunFolder } from '../../src/shared/runCheck';
import { listSampleFiles, readDensityFile, readMetricsLines, readRunForViewing, readRunRecord } from '../../src/shared/runFolder';
import { ROOT, tempDir, until } from './helpers';

/** A project with GenLab installed from this checkout (npm links a folder). */
function project(label: string): string {
  const dir = tempDir(label);
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'genlab'), 'dir');
  return dir;
}

function node(dir: string, code: string) {
  const { GENLAB_RUNS_DIR: _unset, ...env } = process.env;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8', env, timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function onlyRun(root: string): string {
  const [id, ...more] = fs.readdirSync(root);
  assert.deepEqual(more, [], `one run in ${root}`);
  return path.join(root, id);
}

test("a script's losses, evaluations, grids from tensors or arrays, and density views read back as GenLab's own", () => {
  const dir = project('node-log');
  const r = node(
    dir,
    `
const { init, gridPoints } = require('genlab/log');
// What a tfjs tensor offers, without tfjs: a shape and dataSync().
const tensor = (shape, fill) => ({ shape, dataSync: () => Float32Array.from({ length: shape.reduce((a, b) => a * b) }, fill) });
const run = init({ name: 'Flow für Punkte', family: 'realnvp', dataset: 'moons', config: { lr: 3e-4, layers: [64, 64] }, steps: 30, runsDir: 'runs' });
for (let step = 1; step <= 30; step++) run.log(step, { nll: step === 2 ? NaN : 3 - step / 30 }, { epoch: step / 15 });
run.eval(30, { testNll: 1.9 }, { score: 'testNll', scoreKind: 'exact' });
const pts = gridPoints([-2, 2, -1, 1], 8);
run.density(30, { values: Array.from({ length: 8 }, (_, r) => pts.slice(r * 8, r * 8 + 8).map(([x, y]) => -(x * x + y * y))), extent: [-2, 2, -1, 1], samples: [[0, 0], [1, 1]], test: [[0.5, 0.5]] });
run.samples(30, tensor([4, 5, 6, 3], (_, i) => (i % 7) / 7), { kind: 'reconstruction' });
run.samples(30, [[[0, 1], [1, 0]], [[0.5, 0.5], [0.5, 0.5]]]);
run.checkpointNote('model/weights.bin', 30);
run.finish();
console.log(run.dir);
`,
  );
  assert.equal(r.code, 0, r.err);
  const runDir = r.out.trim();
  assert.match(path.basename(runDir), /^flow-fur-punkte-moons-\d{8}-\d{6}-[a-z0-9]{4}$/);
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'finished');
  assert.equal(record.name, 'Flow für Punkte');
  assert.deepEqual(record.progress, { step: 30, epoch: 2, totalSteps: 30 });
  assert.deepEqual(record.best, { step: 30, metric: 'testNll', value: 1.9 });
  assert.equal(record.config.family, 'external');
  if (record.config.family !== 'external') return;
  assert.deepEqual([record.config.external.densityKind, record.config.external.data, record.config.external.loss, record.config.external.writer.language], ['explicit-tractable', 'points', 'nll', 'node']);
  assert.deepEqual(record.config.settings, { lr: 3e-4, layers: [64, 64] });
  assert.equal(record.config.external.checkpoints?.[0].path, path.join(fs.realpathSync(dir), 'model', 'weights.bin'));

  const metrics = readMetricsLines(path.join(runDir, 'metrics.jsonl'));
  assert.equal(metrics.length, 31);
  assert.deepEqual(metrics[1].values, {}, 'NaN is written as null, read as no value');
  const density = readDensityFile(path.join(runDir, 'density', 'step-000030.json'));
  assert.ok(density.ok);
  assert.deepEqual([density.value.width, density.value.height, density.value.values[0]], [8, 8, Number((-((-2 + 0.25) ** 2 + (1 - 0.125) ** 2)).toFixed(4))]);
  const grids = listSampleFiles(runDir);
  assert.deepEqual(grids.map((g) => g.kind), ['samples', 'reconstruction']);
  const header = (file: string) => {
    const b = fs.readFileSync(file);
    return [b.readUInt32BE(16), b.readUInt32BE(20), b[25]];
  };
  assert.deepEqual(header(grids[1].path), [2 * 8 + 2, 2 * 7 + 2, 2], 'four RGB images of 6 x 5, two across');
  assert.deepEqual(header(grids[0].path), [2 * 4 + 2, 2 + 4, 0], 'two grayscale 2 x 2 images side by side');
  assert.deepEqual(checkRunFolder(runDir).problems, []);
  const view = RunHistory.fromDisk(runDir).toView((f) => f);
  assert.deepEqual([view.title, view.dataKind, view.density.scoreKind, view.external?.title], ['Flow für Punkte · Two moons', 'points', 'exact', FAMILY_SPECS.realnvp.title]);
});

test('the end of the script ends its run: finished, failed on an uncaught error, stopped by Ctrl+C, interrupted when killed', async () => {
  const dir = project('node-end');
  const start = (root: string) => `const run = require('genlab/log').init({ family: 'vae', dataset: 'mnist', runsDir: '${root}' }); run.log(1, { loss: 1 });`;
  assert.equal(node(dir, start('plain')).code, 0);
  assert.equal(readRunRecord(onlyRun(path.join(dir, 'plain'))).status, 'finished', 'a script that returns without finish()');
  const crashed = node(dir, `${start('crashed')} throw new RangeError('NaN in the weights');`);
  assert.equal(crashed.code, 1);
  assert.match(crashed.err, /RangeError: NaN in the weights/, 'Node still reports the error as it would');
  const failed = readRunRecord(onlyRun(path.join(dir, 'crashed')));
  assert.deepEqual([failed.status, failed.error?.message], ['failed', 'RangeError: NaN in the weights']);

  for (const [signal, root, status, interrupted] of [['SIGINT', 'interrupted', 'stopped', false], ['SIGKILL', 'killed', 'running', true]] as const) {
    const child = spawn(process.execPath, ['-e', `${start(root)} let s = 1; setInterval(() => run.log(++s, { loss: 1 / s }), 10);`], { cwd: dir, stdio: 'ignore' });
    const metrics = () => (fs.existsSync(path.join(dir, root)) ? fs.readdirSync(path.join(dir, root)).map((id) => path.join(dir, root, id, 'metrics.jsonl')) : []);
    await until(() => metrics().some((f) => fs.existsSync(f) && fs.statSync(f).size > 200), 20000, `${signal}: lines written`);
    child.kill(signal);
    const [, gotSignal] = (await new Promise((resolve) => child.once('exit', (...a) => resolve(a)))) as [number | null, string | null];
    assert.equal(gotSignal, signal, 'the process ends by the signal, as without the logger');
    const read = readRunForViewing(onlyRun(path.join(dir, root)));
    assert.deepEqual([read?.record.status, read?.record.interrupted], [status, interrupted], signal);
  }
});

test('bad options and values are refused with what to change', () => {
  const dir = project('node-bad');
  const cases: [string, RegExp][] = [
    ["init({ dataset: 'cifar10', densityKind: 'implicit' })", /data: 'images' or 'points'/],
    ["init({ family: 'mine' })", /give densityKind: one of explicit-tractable/],
    ["init({ family: 'gan', dataset: 'mnist', densityKind: 'likely' })", /init\.external\.densityKind/],
    ["init({ family: 'gan', dataset: 'mnist' }).log(1, { loss: 'high' })", /log: loss: expected a number, got "high"/],
    ["init({ family: 'gan', dataset: 'mnist' }).log(1.5, { loss: 1 })", /a step of 0 or more \(a whole number\)/],
    ["init({ family: 'gan', dataset: 'mnist' }).samples(1, [[1, 2]])", /expected N x H x W/],
    ["init({ family: 'gan', dataset: 'mnist' }).samples(1, { shape: [2, 2, 2], data: [1] })", /holds 8 numbers, the data 1/],
    ["init({ family: 'gan', dataset: 'moons' }).density(1, { values: [1, 2], extent: [1, 0] })", /each minimum below its maximum/],
  ];
  for (const [call, message] of cases) {
    const r = node(dir, `const { init } = require('genlab/log');\n${call};`);
    assert.notEqual(r.code, 0, call);
    assert.match(r.err, message, call);
  }
});

test("a TypeScript script type-checks against genlab/log's declarations", () => {
  const dir = project('node-types');
  const file = path.join(dir, 'train.ts');
  fs.writeFileSync(
    file,
    "import { init, gridPoints, type InitOptions } from 'genlab/log';\nconst options: InitOptions = { family: 'vae', dataset: 'mnist' };\nconst run = init(options);\nrun.log(1, { loss: 0.5 });\nrun.eval(1, { nll: 1 }, { score: 'nll', scoreKind: 'bound' });\nconst p: number[][] = gridPoints([0, 1, 0, 1]);\n// @ts-expect-error: a score kind is exact, bound or samples\nrun.eval(2, { nll: 1 }, { scoreKind: 'likely' });\nexport { p };\n",
  );
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, target: ts.ScriptTarget.ES2022, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')], skipLibCheck: true });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(problems, []);
});
