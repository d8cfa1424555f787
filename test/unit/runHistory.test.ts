import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { completeConfig } from '../../src/protocol/config';
import { decode } from '../../src/protocol/decode';
import { toDashboard } from '../../src/protocol/webview';
import { RunHistory } from '../../src/extension/runHistory';
import { init } from '../../src/log';
import { listRuns, RunFolder } from '../../src/shared/runFolder';

function makeRun() {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-history-'));
  const config = completeConfig({ family: 'vae', steps: 4, runsDir });
  const folder = RunFolder.create(config, 'wasm (SIMD, 1 thread)', { 'tfjs-core': '4.22.0' }, 4);
  for (let step = 1; step <= 3; step++) {
    folder.appendMetrics({ kind: 'train', step, epoch: step / 469, elapsedMs: step * 50, values: { negElbo: 500 - step, recon: 480 - step, kl: 20 } });
  }
  folder.appendMetrics({ kind: 'eval', step: 3, epoch: 3 / 469, elapsedMs: 160, values: { testNegElbo: 490 } });
  folder.writeSample(3, 'samples', Buffer.from('png'));
  folder.writeSample(3, 'reconstruction', Buffer.from('png'));
  return { folder, config };
}

test('a run read from disk has its whole history, and its view passes the dashboard protocol', () => {
  const { folder } = makeRun();
  folder.update({ status: 'finished', progress: { step: 3, epoch: 3 / 469, totalSteps: 4 }, notes: ['Skipped 2 rows: line 3 (empty), line 9 (not a number).'] });
  folder.close();
  const run = RunHistory.fromDisk(folder.dir);
  assert.equal(run.state, 'finished');
  assert.deepEqual(run.notes, ['Skipped 2 rows: line 3 (empty), line 9 (not a number).'], "what training left out, as run.json keeps it");
  assert.deepEqual(run.steps, [1, 2, 3]);
  assert.deepEqual(run.series.negElbo, [499, 498, 497]);
  assert.deepEqual(run.finalEval, { testNegElbo: 490 });
  assert.deepEqual(
    run.latestSamples().map((s) => s.kind),
    ['samples', 'reconstruction'],
  );
  const view = run.toView((f) => `uri:${path.basename(f)}`);
  const checked = decode(toDashboard, { type: 'init', run: view });
  assert.ok(checked.ok, checked.ok ? '' : checked.error);
  assert.equal(view.density.kind, 'explicit-approximate');
  assert.deepEqual(view.notes, run.notes);
  assert.deepEqual(
    view.samples.map((s) => s.uri),
    ['uri:step-000003.png', 'uri:step-000003-reconstruction.png'],
  );
});

test('a torn last line of metrics.jsonl (a kill mid-write) is skipped without a word', () => {
  const { folder } = makeRun();
  folder.close();
  fs.appendFileSync(path.join(folder.dir, 'metrics.jsonl'), '{"kind":"train","step":4,"ep');
  const run = RunHistory.fromDisk(folder.dir);
  assert.deepEqual(run.steps, [1, 2, 3]);
  assert.deepEqual(run.warnings, []);
});

test('damaged lines of metrics.jsonl and a damaged density file are reported with path and line, and the rest loads', () => {
  const { folder } = makeRun();
  folder.writeDensity(3, { field: 'none', dim: 2, extent: [0, 1, 0, 1], width: 0, height: 0, values: [], samples: [], test: [] });
  folder.close();
  const file = path.join(folder.dir, 'metrics.jsonl');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines[1] = '{"kind":"train","step":2,"ep';
  lines.splice(3, 0, JSON.stringify({ kind: 'train', step: 3, epoch: 0, elapsedMs: 1, values: { negElbo: 'high' } }));
  fs.writeFileSync(file, lines.join('\n'));
  fs.writeFileSync(path.join(folder.dir, 'density', 'step-000004.json'), JSON.stringify({ field: 'density', dim: 2 }));
  const run = RunHistory.fromDisk(folder.dir);
  assert.deepEqual(run.steps, [1, 3]);
  assert.deepEqual(run.finalEval, { testNegElbo: 490 });
  assert.equal(run.warnings.length, 3, run.warnings.join('\n'));
  assert.match(run.warnings[0], /^metrics\.jsonl:2: not valid JSON \(.*\); skipped$/);
  assert.match(run.warnings[1], /^metrics\.jsonl:4: values\.negElbo: expected a finite number, got "high"; skipped$/);
  assert.match(run.warnings[2], /^density\/step-000004\.json: field: expected one of "log-density", .*, got "density"; skipped$/);
  assert.equal(run.densityGrid, undefined, 'the newest density view is the damaged one, and it is not drawn');
});

test('a diverged metric (NaN, written as null) reads as a gap, not as damage', () => {
  const { folder } = makeRun();
  folder.appendMetrics({ kind: 'train', step: 4, epoch: 4 / 469, elapsedMs: 200, values: { negElbo: NaN, recon: 470, kl: 20 } });
  folder.close();
  const run = RunHistory.fromDisk(folder.dir);
  assert.deepEqual(run.series.negElbo, [499, 498, 497, null]);
  assert.deepEqual(run.warnings, []);
});

test('a run folder without run.json still lists and opens, rebuilt from its name and metrics, with a warning', () => {
  const { folder } = makeRun();
  folder.close();
  fs.rmSync(path.join(folder.dir, 'run.json'));
  const run = RunHistory.fromDisk(folder.dir);
  assert.equal(run.config.family, 'vae');
  assert.equal(run.config.dataset, 'mnist');
  assert.deepEqual(run.steps, [1, 2, 3]);
  assert.deepEqual(run.finalEval, { testNegElbo: 490 });
  assert.match(run.warnings.join('\n'), /run\.json: is missing; rebuilt from the folder name and metrics\.jsonl/);
  const view = run.toView(String);
  assert.ok(decode(toDashboard, { type: 'init', run: view }).ok);
  assert.equal(view.warnings?.length, 1);
  const [listed] = listRuns(path.dirname(folder.dir));
  assert.equal(listed.id, path.basename(folder.dir));
  assert.equal(listed.warnings.length, 1);
});

test('run.json with settings from another version, or cut off, still lists with a warning; a folder with no run is skipped', () => {
  const { folder } = makeRun();
  folder.close();
  const file = path.join(folder.dir, 'run.json');
  const record = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.writeFileSync(file, JSON.stringify({ ...record, config: { ...record.config, schedule: 'cosine' } }));
  assert.match(RunHistory.fromDisk(folder.dir).warnings.join('\n'), /^run\.json: config\.schedule: is not a known field \(known: .*\); shown as recorded$/);
  fs.writeFileSync(file, JSON.stringify({ ...record, formatVersion: 7, bestCheckpoint: 'step-000003' }));
  const newer = RunHistory.fromDisk(folder.dir);
  assert.equal(newer.config.family, 'vae');
  assert.match(newer.warnings.join('\n'), /^run\.json is from a newer GenLab \(run format 7; this version reads formats up to 4\); update GenLab to open it fully; rebuilt from the folder name/);
  fs.writeFileSync(file, JSON.stringify({ ...record, formatVersion: 7 }));
  assert.match(RunHistory.fromDisk(folder.dir).warnings.join('\n'), /newer GenLab .*; shown as recorded$/);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 40));
  assert.match(RunHistory.fromDisk(folder.dir).warnings.join('\n'), /^run\.json:1: not valid JSON \(.*\); rebuilt from the folder name/);
  fs.mkdirSync(path.join(path.dirname(folder.dir), 'notes'));
  assert.deepEqual(
    listRuns(path.dirname(folder.dir)).map((r) => r.id),
    [path.basename(folder.dir)],
  );
});

test('a run whose trainer died is shown as interrupted', () => {
  const { folder } = makeRun();
  folder.close();
  const file = path.join(folder.dir, 'run.json');
  // A pid that cannot exist stands for the trainer killed mid-run.
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), pid: 2 ** 22 + 1 }));
  assert.equal(RunHistory.fromDisk(folder.dir).state, 'interrupted');
});

test('live messages keep the history current, and a late metric key stays aligned as a gap', () => {
  const { folder, config } = makeRun();
  folder.close();
  const run = new RunHistory('r', folder.dir, config, new Date().toISOString());
  run.apply({ type: 'status', state: 'training' });
  run.apply({ type: 'metrics', step: 1, epoch: 0, values: { negElbo: 10 }, elapsedMs: 100, sentAt: 0 });
  run.apply({ type: 'metrics', step: 2, epoch: 0, values: { negElbo: 9, extra: 1 }, elapsedMs: 200, sentAt: 0 });
  assert.deepEqual(run.series, { negElbo: [10, 9], extra: [null, 1] });
  assert.equal(run.stepsPerSecond, 10);
  assert.ok(run.live);
  run.apply({ type: 'error', message: 'boom', hint: 'fix it', fatal: true });
  run.apply({ type: 'status', state: 'failed' });
  assert.equal(run.live, false);
  assert.deepEqual(run.error, { message: 'boom', hint: 'fix it' });
  assert.ok(decode(toDashboard, { type: 'init', run: run.toView(String) }).ok);
});

test('a run keeps its newest checkpoints, as many as keepCheckpoints says', async () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-keep-'));
  const folder = RunFolder.create(completeConfig({ family: 'gaussian', runsDir, keepCheckpoints: 3 }), 'cpu', {}, 10);
  for (const step of [2, 4, 6, 8, 10]) {
    await folder.writeCheckpoint(step, async (dir) => {
      fs.mkdirSync(dir, { recursive: true });
    });
  }
  folder.close();
  assert.deepEqual(fs.readdirSync(path.join(folder.dir, 'checkpoints')).sort(), ['step-000006', 'step-000008', 'step-000010']);
});

test("the Model tab's records: read from inspector/, kept live, in columns with gaps where a layer was not measured; a damaged line is reported", () => {
  const { folder, config } = makeRun();
  const architecture = { networks: [{ name: 'encoder', parameters: 9, layers: [{ name: 'd0', className: 'Dense', outputShape: '[null,3]', parameters: 9 }] }], parameters: 9 };
  folder.writeArchitecture(architecture);
  folder.appendNorms({ step: 1, layers: [{ network: 'encoder', layer: 'd0', weightNorm: 2, gradientNorm: 0.5, updateRatio: 0.01 }] });
  folder.appendNorms({ step: 3, layers: [{ network: 'encoder', layer: 'd0', weightNorm: 2.1 }] });
  folder.appendActivations({ step: 3, layers: [{ network: 'encoder', layer: 'd0', min: 0, max: 1, mean: 0.5, std: 0.1, zeros: 0.25, counts: [1, 2, 3] }] });
  fs.appendFileSync(path.join(folder.dir, 'inspector', 'activations.jsonl'), '{"step":4,"layers":[{"zeros":2}]}\n');
  folder.close();
  const run = RunHistory.fromDisk(folder.dir);
  assert.deepEqual(run.architecture, architecture);
  assert.deepEqual(run.norms, { steps: [1, 3], layers: [{ network: 'encoder', layer: 'd0', weightNorm: [2, 2.1], gradientNorm: [0.5, null], updateRatio: [0.01, null] }] });
  assert.deepEqual(run.activations.map((a) => a.step), [3]);
  assert.equal(run.warnings.length, 1);
  assert.match(run.warnings[0], /activations\.jsonl:2: layers\[0\]\.network: is required; skipped/);
  const view = run.toView(String);
  assert.ok(decode(toDashboard, { type: 'init', run: view }).ok);
  assert.deepEqual(view.inspector?.architecture, architecture);

  // Live: a layer that appears later is padded, so every column stays aligned with the steps.
  const live = new RunHistory('r', folder.dir, config, new Date().toISOString());
  live.apply({ type: 'architecture', architecture });
  live.apply({ type: 'norms', record: { step: 5, layers: [{ network: 'encoder', layer: 'd0', weightNorm: 1 }] } });
  live.apply({ type: 'norms', record: { step: 10, layers: [{ network: 'encoder', layer: 'd0', weightNorm: 1 }, { network: 'encoder', layer: 'd1', weightNorm: 3 }] } });
  live.apply({ type: 'norms', record: { step: 10, layers: [] } });
  assert.deepEqual(live.norms.steps, [5, 10], 'a repeated step is dropped');
  assert.deepEqual(live.norms.layers.map((l) => l.weightNorm), [[1, 1], [null, 3]]);
  assert.ok(decode(toDashboard, { type: 'init', run: live.toView(String) }).ok);
});

test("a run a script is writing is followed: each catch-up returns, in order, what its folder gained, until run.json says it ended", () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-follow-'));
  const run = init({ family: 'mixture', dataset: 'moons', runsDir });
  run.log(1, { nll: 3 });
  const history = RunHistory.fromDisk(run.dir);
  assert.equal(history.state, 'training');
  assert.deepEqual(history.steps, [1]);
  assert.deepEqual(history.catchUp(), [], 'nothing new');

  run.log(2, { nll: 2.5 });
  run.eval(2, { testNll: 2.6 }, { score: 'testNll', scoreKind: 'exact' });
  run.density(2, { values: [[0, 1], [2, 3]], extent: [-1, 1, -1, 1] });
  const metricsFile = path.join(run.dir, 'metrics.jsonl');
  // A line still being written waits for its newline.
  fs.appendFileSync(metricsFile, '{"kind":"train","step":3,"epoch":0,"elapsedMs":9,"val');
  const updates = history.catchUp();
  assert.deepEqual(updates.map((u) => u.type), ['metrics', 'eval', 'density', 'declared'], 'in order; then the score the script named');
  assert.deepEqual(history.steps, [1, 2]);
  assert.deepEqual(history.evals, [{ step: 2, values: { testNll: 2.6 } }]);
  fs.appendFileSync(metricsFile, 'ues":{"nll":2.25}}\n');
  assert.deepEqual(history.catchUp().map((u) => (u.type === 'metrics' ? u.values : u.type)), [{ nll: 2.25 }]);
  assert.deepEqual(history.warnings, [], 'a line read in two parts is one line');

  run.finish();
  const end = history.catchUp();
  assert.deepEqual(end, [{ type: 'status', state: 'finished' }]);
  assert.equal(history.toView((f) => f).density.metric, 'testNll', "the score the script named later is the view's");
});

test('a followed metrics file that shrank was rewritten: the history is read again from its start', () => {
  const { folder } = makeRun();
  const history = RunHistory.fromDisk(folder.dir);
  assert.deepEqual(history.steps, [1, 2, 3]);
  folder.close();
  fs.writeFileSync(path.join(folder.dir, 'metrics.jsonl'), `${JSON.stringify({ kind: 'train', step: 1, epoch: 0, elapsedMs: 5, values: { negElbo: 9 } })}\n`);
  history.catchUp();
  assert.deepEqual(history.steps, [1]);
  assert.deepEqual(history.series.negElbo, [9]);
  assert.deepEqual(history.evals, []);
});
