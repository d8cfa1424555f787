/**
 * Runs as objects in the real extension host: a finished run resumes in its own folder with one
 * continuous history, takes a new name, and exports its model with a README.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeDiscFolder } from '../support/discFolder';
import { alive, until } from './helpers';

interface RunJson {
  status: string;
  pid: number;
  name?: string;
  config: { runName?: string };
  progress: { step: number; totalSteps: number };
  resumedAt?: { step: number }[];
}

describe('Runs after training', () => {
  let dir = '';
  let runId = '';
  const record = () => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunJson;
  const trainSteps = () =>
    fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"train"'))
      .map((l) => (JSON.parse(l) as { step: number }).step);

  before(async () => {
    await vscode.extensions.getExtension('genlab.genlab')!.activate();
    const root = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.genlab', 'runs');
    runId = (await vscode.commands.executeCommand<string>('genlab.trainFlow', { steps: 120, evalEvery: 60, backend: 'wasm' }))!;
    assert.ok(runId, 'genlab.trainFlow returned a run id');
    dir = path.join(root, runId);
    await until('the first run finishes', () => fs.existsSync(path.join(dir, 'run.json')) && record().status === 'finished');
    // Its trainer exits just after; until then it still counts against genlab.maxConcurrentRuns.
    await until('its trainer exits', () => !alive(record().pid));
  });

  it('Resume Run continues a finished run in the same folder, appending to one history', async () => {
    const resumed = await vscode.commands.executeCommand<string>('genlab.resumeRun', runId, 200);
    assert.equal(resumed, runId, 'the same run continues');
    await until('the resumed run finishes', () => record().status === 'finished' && record().progress.step === 200);
    // Until its trainer exits the run is live: it cannot be renamed, and it blocks the next run.
    await until('its trainer exits', () => !alive(record().pid));
    assert.deepEqual(trainSteps(), Array.from({ length: 200 }, (_, i) => i + 1));
    assert.deepEqual(record().resumedAt?.map((r) => r.step), [120]);
  });

  it('Rename Run sets the name the views show', async () => {
    await vscode.commands.executeCommand('genlab.renameRun', runId, 'Flow, longer');
    assert.equal(record().name, 'Flow, longer');
    assert.equal(record().config.runName, 'Flow, longer');
  });

  it('Export Model copies the model without the training state, with a README that says how to load it', async () => {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-export-'));
    const out = await vscode.commands.executeCommand<string>('genlab.exportModel', runId, target);
    assert.equal(out, path.join(target, `${runId}-model`));
    const files = fs.readdirSync(out);
    assert.ok(files.includes('flow.json') && files.includes('coupling-00') && files.includes('README.md'), files.join(', '));
    assert.ok(!files.some((f) => f.startsWith('training-state')), 'the training state stays with the run');
    const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
    assert.match(readme, /exported at step 200/);
    assert.match(readme, /tf\.loadLayersModel/);
    assert.ok(fs.existsSync(path.join(out, 'coupling-00', 'model.json')));
  });

  it('a copied run folder whose run.json gives its id as ../../../escape exports only inside the picked folder, under the folder\'s own name, deleting nothing', async () => {
    const copy = path.join(path.dirname(dir), 'flow-copied');
    fs.cpSync(dir, copy, { recursive: true });
    const hostile = { ...JSON.parse(fs.readFileSync(path.join(copy, 'run.json'), 'utf8')), id: '../../../escape' };
    fs.writeFileSync(path.join(copy, 'run.json'), JSON.stringify(hostile));
    try {
      const target = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-export-'));
      // What is already there is the person's: an export goes beside it, never over it.
      fs.mkdirSync(path.join(target, 'flow-copied-model'));
      fs.writeFileSync(path.join(target, 'flow-copied-model', 'theirs.txt'), 'theirs');
      const out = await vscode.commands.executeCommand<string>('genlab.exportModel', '../../../escape', target);
      assert.equal(out, path.join(target, 'flow-copied-model-2'));
      assert.deepEqual(fs.readdirSync(target).sort(), ['flow-copied-model', 'flow-copied-model-2']);
      assert.deepEqual(fs.readdirSync(path.join(target, 'flow-copied-model')), ['theirs.txt']);
      assert.ok(!fs.existsSync(path.join(target, '../../../escape-model')), 'nothing written where the id points');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('Delete Run refuses a folder outside the runs folder, also through a link inside it, whatever the entry says', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-precious-'));
    fs.writeFileSync(path.join(outside, 'keep.txt'), 'mine');
    const link = path.join(path.dirname(dir), 'linked-out');
    fs.symlinkSync(outside, link);
    try {
      // Refused before the confirmation: were it asked, the command would wait for an answer.
      for (const target of [outside, link]) await vscode.commands.executeCommand('genlab.deleteRun', { runId: 'hostile', dir: target, title: 'Hostile' });
      assert.equal(fs.readFileSync(path.join(outside, 'keep.txt'), 'utf8'), 'mine');
      assert.ok(fs.lstatSync(link).isSymbolicLink());
    } finally {
      fs.rmSync(link);
    }
  });
});

describe('Your own data', () => {
  it('Fit Density to CSV trains on the chosen column, skipping bad rows, and records the file', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'heights.csv');
    const rows = Array.from({ length: 400 }, (_, i) => `${(160 + (i % 40) * 0.7).toFixed(1)},${i % 2 ? 'f' : 'm'}`);
    rows.splice(10, 0, 'tall,f');
    fs.writeFileSync(file, `height,sex\n${rows.join('\n')}\n`);
    const runId = await vscode.commands.executeCommand<string>('genlab.fitDensityToCsv', vscode.Uri.file(file), ['height'], 'gaussian');
    assert.ok(runId, 'a run started');
    const dir = path.join(folder, '.genlab', 'runs', runId);
    const read = () => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { status: string; pid: number; config: { dataset: string; data: { path: string; columns: string[] } }; finalMetrics: Record<string, number> };
    await until('the CSV run finishes', () => fs.existsSync(path.join(dir, 'run.json')) && read().status === 'finished');
    await until('its trainer exits', () => !alive(read().pid));
    const record = read();
    assert.equal(record.config.dataset, 'csv');
    assert.deepEqual(record.config.data, { type: 'csv', path: file, columns: ['height'] });
    assert.ok(Number.isFinite(record.finalMetrics.testNll), 'an exact test NLL on the held-out rows');
  });

  it('Train on Image Folder trains a VAE on the RGB images as long as on MNIST, with the batch fitted to the few there are, and draws colour samples', async () => {
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const folder = writeDiscFolder(path.join(workspace, 'my-images'), 24, 16);
    const runId = await vscode.commands.executeCommand<string>('genlab.trainOnImageFolder', vscode.Uri.file(folder), { family: 'vae', size: 16, color: 'rgb' });
    assert.ok(runId, 'a run started');
    const dir = path.join(workspace, '.genlab', 'runs', runId);
    const read = () =>
      JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { status: string; pid: number; config: { dataset: string; batchSize: number; steps?: number; data: unknown }; finalMetrics: Record<string, number> };
    const samples = () => (fs.existsSync(path.join(dir, 'samples')) ? fs.readdirSync(path.join(dir, 'samples')).filter((f) => /^step-\d+\.png$/.test(f)) : []);
    // The first evaluation comes at step 500; then the run is stopped (its final evaluation is still written).
    await until('the first sample grid', () => samples().some((f) => f !== 'step-000000.png'), 120000);
    await vscode.commands.executeCommand('genlab.stopTraining');
    await until('the image-folder run stops', () => read().status === 'stopped');
    await until('its trainer exits', () => !alive(read().pid));
    const record = read();
    assert.deepEqual(record.config.data, { type: 'image-folder', path: folder, size: 16, color: 'rgb' });
    assert.equal(record.config.steps, 4690, "the VAE's 10 epochs of MNIST at batch 128, not 10 passes over 22 images");
    assert.equal(record.config.batchSize, 22, 'all 22 training images: 24 less the 2 held out');
    assert.ok(Number.isFinite(record.finalMetrics.testNegElbo), 'a bound on the held-out images');
    assert.equal(fs.readFileSync(path.join(dir, 'samples', samples()[0]))[25], 2, 'RGB sample grids');
  });
});

describe('Experiment files', () => {
  it('a data path through a link inside the workspace to a file outside it is refused, and nothing trains', async () => {
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.csv'), `x\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`);
    const link = path.join(workspace, 'looks-local.csv');
    fs.symlinkSync(path.join(outside, 'secret.csv'), link);
    const file = path.join(workspace, 'through-link.genlab.json');
    fs.writeFileSync(file, JSON.stringify({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: 'looks-local.csv', columns: ['x'] } }));
    const runsBefore = fs.readdirSync(path.join(workspace, '.genlab', 'runs')).length;
    try {
      const runId = await vscode.commands.executeCommand<string | undefined>('genlab.trainExperiment', vscode.Uri.file(file));
      assert.equal(runId, undefined, 'no run started');
      assert.equal(fs.readdirSync(path.join(workspace, '.genlab', 'runs')).length, runsBefore);
      const problems = vscode.languages.getDiagnostics(vscode.Uri.file(file)).map((d) => d.message);
      assert.ok(problems.some((m) => /data\.path: .*outside the workspace/.test(m)), problems.join('\n'));
    } finally {
      fs.rmSync(link);
      fs.rmSync(file);
    }
  });
});
