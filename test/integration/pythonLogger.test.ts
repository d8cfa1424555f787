/**
 * The Python logger (python/genlab) run by a real Python 3: what it writes must be a run folder
 * GenLab's own decoders, `genlab runs check` and the views read, in every record kind, and a
 * script that fails, is interrupted or is killed must leave a run that says so.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunHistory } from '../../src/extension/runHistory';
import { FAMILY_SPECS } from '../../src/protocol/config';
import { decode } from '../../src/protocol/decode';
import { IMAGE_DATASETS, POINT_DATASETS } from '../../src/protocol/datasets';
import { densityFile, RUN_FORMAT_VERSION } from '../../src/protocol/runFormat';
import { checkRunFolder } from '../../src/shared/runCheck';
import { listSampleFiles, readDensityFile, readMetricsLines, readRunForViewing, readRunRecord, readTrainedRunRecord } from '../../src/shared/runFolder';
import { CLI, findPython, ROOT, tempDir, until } from './helpers';

const PYTHON = findPython() ?? 'python3';
const skip = findPython() ? false : 'no Python 3.8+ found (python3, /usr/bin/python3, or GENLAB_PYTHON): the Python logger is not tested';
if (skip) console.log(`# skipped: ${skip}`);

const env = (extra: Record<string, string> = {}) => {
  const { GENLAB_RUNS_DIR: _unset, ...rest } = process.env;
  return { ...rest, PYTHONPATH: path.join(ROOT, 'python'), PYTHONDONTWRITEBYTECODE: '1', ...extra };
};

function python(code: string, cwd: string, extra?: Record<string, string>) {
  const r = spawnSync(PYTHON, ['-c', code], { cwd, encoding: 'utf8', env: env(extra), timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function onlyRun(root: string): string {
  const runs = fs.readdirSync(root);
  assert.equal(runs.length, 1, `one run in ${root}: ${runs.join(', ')}`);
  return path.join(root, runs[0]);
}

/** Width and height from a PNG's header. */
function pngSize(file: string): [number, number, number] {
  const bytes = fs.readFileSync(file);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20), bytes[25]];
}

test('every record kind a script logs reads back through the run format, the CLI check and the dashboard', { skip }, () => {
  const dir = tempDir('py-log');
  const script = `
import genlab, math
run = genlab.init(name="VAE à la main", family="vae", dataset="mnist", config={"lr": 1e-3, "hidden": [400], "seed": 7}, runs_dir="runs", steps=20)
for step in range(1, 21):
    run.log(step, epoch=step / 10, loss=100 / step, kl=float("nan") if step == 3 else 0.5)
    if step % 10 == 0:
        run.eval(step, test_nelbo=120 - step, score="test_nelbo", score_kind="bound")
        run.samples(step, [[[(i + j) / 54 for j in range(28)] for i in range(28)] for _ in range(6)])
        run.samples(step, [[[[1.0 if c == k else 0.0 for _ in range(5)] for _ in range(4)] for c in range(3)] for k in range(3)], kind="reconstruction")
run.checkpoint_note("model.pt", step=20)
run.finish()
print(run.dir)
`;
  const r = python(script, dir);
  assert.equal(r.code, 0, r.err);
  const runDir = r.out.trim();
  assert.equal(path.dirname(runDir), path.join(dir, 'runs'));
  assert.match(path.basename(runDir), /^vae-a-la-main-mnist-\d{8}-\d{6}-[a-z0-9]{4}$/, 'an ASCII folder name from a unicode run name');

  const record = readRunRecord(runDir);
  assert.equal(record.formatVersion, RUN_FORMAT_VERSION);
  assert.equal(record.status, 'finished');
  assert.equal(record.name, 'VAE à la main');
  assert.equal(record.seed, 7, "the config's seed");
  assert.deepEqual(record.finalMetrics, { test_nelbo: 100 });
  assert.deepEqual(record.best, { step: 20, metric: 'test_nelbo', value: 100 });
  assert.deepEqual(record.progress, { step: 20, epoch: 2, totalSteps: 20 });
  assert.equal(record.config.family, 'external');
  if (record.config.family !== 'external') return;
  const { external, settings } = record.config;
  assert.deepEqual(settings, { lr: 1e-3, hidden: [400], seed: 7 });
  assert.equal(external.densityKind, 'explicit-approximate', "the VAE's kind, from its family key");
  assert.equal(external.data, 'images', "MNIST's kind of data");
  assert.equal(external.loss, 'loss', 'the first value logged');
  assert.equal(external.metric, 'test_nelbo');
  assert.equal(external.metricKind, 'bound');
  assert.equal(external.writer.language, 'python');
  assert.deepEqual(external.checkpoints?.map((c) => [path.basename(c.path), c.step]), [['model.pt', 20]]);

  const metrics = readMetricsLines(path.join(runDir, 'metrics.jsonl'));
  assert.equal(metrics.length, 22);
  assert.deepEqual(metrics[2].values, { loss: 100 / 3 }, 'a NaN is written as null and reads as absent');
  assert.match(fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n')[2], /"kl":null/);
  assert.deepEqual(metrics.filter((m) => m.kind === 'eval').map((m) => [m.step, m.values.test_nelbo]), [[10, 110], [20, 100]]);

  const grids = listSampleFiles(runDir);
  assert.deepEqual(grids.map((g) => [g.step, g.kind]), [[10, 'samples'], [10, 'reconstruction'], [20, 'samples'], [20, 'reconstruction']]);
  assert.deepEqual(pngSize(grids[0].path), [3 * 30 + 2, 2 * 30 + 2, 0], '6 grayscale images, 3 across, with 2-pixel gaps');
  assert.deepEqual(pngSize(grids[1].path), [2 * 7 + 2, 2 * 6 + 2, 2], '3 RGB images given channels first (PyTorch)');

  const check = checkRunFolder(runDir);
  assert.deepEqual(check.problems, []);
  const cli = spawnSync(process.execPath, [CLI, 'runs', 'check', runDir], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /: external "vae" \(python\) on mnist, finished at step 20 of 20; 22 metrics records, 4 sample grids, 0 checkpoints/);

  const view = RunHistory.fromDisk(runDir).toView((f) => f);
  assert.equal(view.title, 'VAE à la main · MNIST');
  assert.equal(view.dataKind, 'images');
  assert.equal(view.lossKey, 'loss');
  assert.deepEqual(view.density, { kind: 'explicit-approximate', summary: view.density.summary, metric: 'test_nelbo', scoreKind: 'bound' });
  assert.equal(view.external?.title, FAMILY_SPECS.vae.title);
  assert.deepEqual(view.history.series.kl.slice(0, 4), [0.5, 0.5, null, 0.5]);
  assert.throws(() => readTrainedRunRecord(runDir), /written by a python script through GenLab's logger, not trained by GenLab/);
});

test("a 2-D and a 1-D model's density views are the dashboard's own", { skip }, () => {
  const dir = tempDir('py-density');
  const script = `
import genlab
with genlab.init(family="My flow", density_kind="explicit-tractable", dataset="two moons", data="points", runs_dir="runs") as run:
    pts = genlab.grid_points((-2, 2, -1, 1))
    values = [[-(x * x + y * y) for (x, y) in pts[r * 64:(r + 1) * 64]] for r in range(64)]
    run.density(5, values=values, extent=(-2, 2, -1, 1), samples=[[0, 0], [1, 0.5]], test=[[0.5, -0.5]])
    xs = genlab.grid_points((-3, 3))
    run.density(6, values=[-x * x for x in xs], extent=(-3, 3), samples=[0.1, 0.2], test=[[0.0], [2.9], [5.0]], field="elbo")
    run.log(6, nll=float("inf"))
`;
  const r = python(script, dir);
  assert.equal(r.code, 0, r.err);
  const runDir = onlyRun(path.join(dir, 'runs'));
  const two = readDensityFile(path.join(runDir, 'density', 'step-000005.json'));
  assert.ok(two.ok);
  assert.equal(two.value.dim, 2);
  assert.deepEqual([two.value.width, two.value.height, two.value.values.length], [64, 64, 4096]);
  // The first row is at the top: the first value is at (x_min + half a cell, y_max - half a cell).
  assert.equal(two.value.values[0], Number((-((-2 + 2 / 64) ** 2 + (1 - 1 / 64) ** 2)).toFixed(4)));
  assert.deepEqual(two.value.samples, [0, 0, 1, 0.5]);
  const one = readDensityFile(path.join(runDir, 'density', 'step-000006.json'));
  assert.ok(one.ok);
  assert.deepEqual([one.value.dim, one.value.field, one.value.width, one.value.height], [1, 'elbo', 200, 1]);
  assert.deepEqual(one.value.extent, [-3, 3, 0, 0]);
  assert.equal(one.value.histogram?.counts.reduce((a, b) => a + b), 2, 'a test point outside the extent is not binned');
  const view = RunHistory.fromDisk(runDir).toView((f) => f);
  assert.equal(view.dataKind, 'points');
  assert.equal(view.title, 'My flow · two moons', 'a dataset GenLab does not know keeps its name');
  assert.equal(view.densityGrid?.step, 6);
  assert.deepEqual([view.history.steps, view.history.series.nll], [[6], undefined], 'an infinite loss is recorded as null: the step, without a value');
  assert.deepEqual(checkRunFolder(runDir).problems, []);
  assert.ok(decode(densityFile, JSON.parse(fs.readFileSync(path.join(runDir, 'density', 'step-000005.json'), 'utf8'))).ok);
});

test('bad input is refused with an error that names the fix, and nothing half-written is left', { skip }, () => {
  const dir = tempDir('py-bad');
  const cases: [string, RegExp][] = [
    ['genlab.init(dataset="cifar10", density_kind="implicit", runs_dir="runs")', /data='images' or data='points'/],
    ['genlab.init(family="mine", runs_dir="runs")', /density_kind must be one of explicit-tractable/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").log(1, loss="high")', /log: loss: expected a number, got 'high'/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").log(1)', /give at least one value/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").log(-1, loss=1)', /step of 0 or more/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").samples(1, [[1, 2]])', /expected N x H x W/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").samples(1, [[[0.5]]], kind="Best Ones")', /lowercase letters and dashes/],
    ['genlab.init(family="gan", dataset="mnist", runs_dir="runs").samples(10**6, [[[0.5]]])', /above 999999/],
    ['genlab.init(family="gan", dataset="moons", runs_dir="runs").density(1, values=[1, 2], extent=(1, 0))', /each minimum below its maximum/],
    ['genlab.init(family="gan", dataset="moons", runs_dir="runs").eval(1, js=0.1, score_kind="likely")', /score_kind must be one of exact, bound, samples/],
  ];
  for (const [call, message] of cases) {
    const r = python(`import genlab\n${call}`, dir);
    assert.notEqual(r.code, 0, call);
    assert.match(r.err, message, call);
  }
  // Every run a refused call had started was closed as failed, with the error in run.json.
  const root = path.join(dir, 'runs');
  for (const id of fs.readdirSync(root)) {
    const record = readRunRecord(path.join(root, id));
    assert.equal(record.status, 'failed', id);
    assert.match(record.error?.message ?? '', /^(TypeError|ValueError): /, id);
    assert.deepEqual(checkRunFolder(path.join(root, id)).problems, [], id);
  }
});

test('a script that raises marks its run failed, Ctrl+C marks it stopped, and a killed one reads as interrupted', { skip }, async () => {
  const dir = tempDir('py-end');
  const failing = python('import genlab\nwith genlab.init(family="vae", dataset="mnist", runs_dir="failed") as run:\n    run.log(1, loss=1.0)\n    raise RuntimeError("out of memory")', dir);
  assert.equal(failing.code, 1);
  const failed = readRunRecord(onlyRun(path.join(dir, 'failed')));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error?.message, 'RuntimeError: out of memory');

  // Stop in GenLab sends SIGINT, as Ctrl+C in a terminal does.
  const loop = 'import genlab, time\nrun = genlab.init(family="vae", dataset="mnist", runs_dir="ROOT")\nstep = 0\nwhile True:\n    step += 1\n    run.log(step, loss=1.0 / step)\n    time.sleep(0.02)';
  for (const [signal, root, status, interrupted] of [['SIGINT', 'stopped', 'stopped', false], ['SIGKILL', 'killed', 'running', true]] as const) {
    const child = spawn(PYTHON, ['-c', loop.replace('ROOT', root)], { cwd: dir, env: env(), stdio: 'ignore' });
    const metrics = () => fs.readdirSync(path.join(dir, root), { withFileTypes: true }).map((d) => path.join(dir, root, d.name, 'metrics.jsonl'));
    await until(() => fs.existsSync(path.join(dir, root)) && metrics().some((f) => fs.existsSync(f) && fs.statSync(f).size > 0), 20000, `${root}: the first line`);
    child.kill(signal);
    await new Promise((resolve) => child.once('exit', resolve));
    const runDir = onlyRun(path.join(dir, root));
    const read = readRunForViewing(runDir);
    assert.equal(read?.record.status, status, signal);
    assert.equal(read?.record.interrupted, interrupted, signal);
    const history = RunHistory.fromDisk(runDir);
    assert.equal(history.state, interrupted ? 'interrupted' : 'stopped', signal);
    assert.ok(history.steps.length > 0, `${signal}: the lines written before it`);
    assert.deepEqual(checkRunFolder(runDir).problems, [], signal);
  }
});

test("runs go where the extension looks: GENLAB_RUNS_DIR, the workspace's setting, else .genlab/runs in the workspace folder", { skip }, () => {
  const workspace = tempDir('py-root');
  fs.mkdirSync(path.join(workspace, '.git'));
  const deep = path.join(workspace, 'src', 'models');
  fs.mkdirSync(deep, { recursive: true });
  const where = (extra?: Record<string, string>) => python('import genlab._paths as p; print(p.runs_root())', deep, extra).out.trim();
  assert.equal(where(), path.join(workspace, '.genlab', 'runs'));
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), '{\n  // where runs go\n  "genlab.runsDirectory": "experiments/runs", /* relative */\n  "editor.tabSize": 2,\n}\n');
  assert.equal(where(), path.join(workspace, 'experiments', 'runs'));
  assert.equal(where({ GENLAB_RUNS_DIR: path.join(workspace, 'elsewhere') }), path.join(workspace, 'elsewhere'));
});

test("the logger's constants are the project's: the run format's version, the families' kinds of density, the datasets' kinds", { skip }, () => {
  const r = python('import json, genlab._run as r; print(json.dumps([r.FORMAT_VERSION, r.FAMILY_KINDS, r.IMAGE_DATASETS, r.POINT_DATASETS]))', ROOT);
  assert.equal(r.code, 0, r.err);
  const [version, kinds, images, points] = JSON.parse(r.out) as [number, Record<string, string>, string[], string[]];
  assert.equal(version, RUN_FORMAT_VERSION);
  assert.deepEqual(kinds, Object.fromEntries(Object.entries(FAMILY_SPECS).map(([f, s]) => [f, s.density.kind])));
  assert.deepEqual(images, [...IMAGE_DATASETS]);
  assert.deepEqual(points, [...POINT_DATASETS]);
});
