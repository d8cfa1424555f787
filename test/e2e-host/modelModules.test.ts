/**
 * Model modules in the real extension host: a module of the workspace trains through the
 * command its CodeLens runs, with its source recorded; its problems (a type error, a line that
 * threw) land in the Problems panel at their lines; a module outside the workspace is refused;
 * New Model from Family writes a module, an experiment file and the types; saving a module while
 * it trains restarts the run with the new code.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { alive, until } from './helpers';

interface RunJson {
  status: string;
  pid: number;
  parameters?: number;
  source?: { entry: string; sha256: string; files: string[] };
  config: { module?: { path: string }; model: Record<string, unknown>; experiment?: string };
}

const quick = { dataset: '8gaussians', steps: 60, evalEvery: 30, backend: 'wasm' };

describe('Model modules', () => {
  let workspace = '';
  let runsRoot = '';
  let example = '';
  const record = (runId: string) => JSON.parse(fs.readFileSync(path.join(runsRoot, runId, 'run.json'), 'utf8')) as RunJson;
  const finished = async (runId: string) => {
    await until(`run ${runId} ends`, () => fs.existsSync(path.join(runsRoot, runId, 'run.json')) && record(runId).status !== 'running');
    await until('its trainer exits', () => !alive(record(runId).pid), 10000);
    return record(runId);
  };
  const write = (relative: string, text: string) => {
    const file = path.join(workspace, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return vscode.Uri.file(file);
  };
  const lensTitles = async (uri: vscode.Uri) => ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? []).map((l) => l.command?.title ?? '');
  const genlabProblems = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'GenLab');

  before(async () => {
    const ext = vscode.extensions.getExtension('genlab.genlab')!;
    await ext.activate();
    workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    runsRoot = path.join(workspace, '.genlab', 'runs');
    example = fs.readFileSync(path.join(ext.extensionPath, 'examples', 'models', 'mixture-2d.ts'), 'utf8');
  });

  it('the CodeLens above defineModel trains the module; the run keeps its source, and the lens and hover then show it', async () => {
    const uri = write('models/mixture.ts', example);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    let titles = await lensTitles(uri);
    assert.ok(titles.some((t) => t.includes('Train')) && titles.some((t) => t.includes('Inspect')), `lenses: ${titles.join(' | ')}`);
    assert.ok(!titles.some((t) => t.startsWith('Open last run')), 'no run yet');
    const lens = ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? []).find((l) => l.command?.title.includes('Train'))!;
    assert.equal(lens.range.start.line, document.getText().split('\n').findIndex((l) => l.includes('defineModel({')), 'the lens sits on the defineModel line');

    // The types the editor checks the module against are in the workspace, and a tsconfig maps them.
    await until('the types are written', () => fs.existsSync(path.join(workspace, '.genlab', 'types', 'genlab', 'index.d.ts')) && fs.existsSync(path.join(workspace, 'models', 'tsconfig.json')));
    const tsconfig = JSON.parse(fs.readFileSync(path.join(workspace, 'models', 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
    assert.deepEqual(tsconfig.compilerOptions.paths.genlab, ['../.genlab/types/genlab/index.d.ts']);

    const runId = await vscode.commands.executeCommand<string>(lens.command!.command, ...(lens.command!.arguments ?? []), quick);
    assert.ok(runId, 'the lens command started a run');
    const run = await finished(runId);
    assert.equal(run.status, 'finished');
    assert.equal(run.config.module?.path, uri.fsPath);
    assert.ok(run.parameters && run.parameters > 0, `parameters: ${run.parameters}`);
    assert.deepEqual(run.source?.files, ['mixture.ts']);
    assert.equal(fs.readFileSync(path.join(runsRoot, runId, 'source', 'mixture.ts'), 'utf8'), example);

    for (let tries = 0; !titles.some((t) => t.startsWith('Open last run')) && tries < 50; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      titles = await lensTitles(uri);
    }
    assert.ok(titles.some((t) => t.startsWith('Open last run')), `lenses: ${titles.join(' | ')}`);
    const at = document.positionAt(document.getText().indexOf('defineModel({') + 2);
    const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, at)) ?? [];
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, new RegExp(`${run.parameters!.toLocaleString('en-US')} parameters|${run.parameters} parameters`), text);
    assert.match(text, /Test NLL|testNll/i, text);
  });

  it('a type error goes to the Problems panel at its line and nothing trains; the fixed file clears it and trains', async () => {
    const broken = example.replace('tf.train.adam(learningRate)', 'tf.train.adam(learningRat)');
    const line = broken.split('\n').findIndex((l) => l.includes('learningRat)'));
    const uri = write('models/typo.ts', broken);
    const before = fs.existsSync(runsRoot) ? fs.readdirSync(runsRoot).length : 0;
    const runId = await vscode.commands.executeCommand<string | undefined>('genlab.trainModelModule', uri, quick);
    assert.equal(runId, undefined);
    assert.equal(fs.readdirSync(runsRoot).length, before, 'no run folder');
    const [problem] = genlabProblems(uri);
    assert.ok(problem, 'a GenLab problem on the file');
    assert.equal(problem.range.start.line, line);
    assert.match(problem.message, /learningRat/);
    assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);

    write('models/typo.ts', example);
    const fixed = await vscode.commands.executeCommand<string>('genlab.trainModelModule', uri, quick);
    assert.ok(fixed);
    assert.deepEqual(genlabProblems(uri), [], 'the problem is gone once the module checks');
    assert.equal((await finished(fixed)).status, 'finished');
  });

  it('an exception thrown in trainStep fails the run and points the Problems panel at the line that threw', async () => {
    const throwing = example.replace('trainStep(batch) {', "trainStep(batch) {\n        if (batch.shape[0] > 0) throw new RangeError('step size out of range');");
    const line = throwing.split('\n').findIndex((l) => l.includes('step size out of range'));
    const uri = write('models/throws.ts', throwing);
    const runId = await vscode.commands.executeCommand<string>('genlab.trainModelModule', uri, quick);
    assert.ok(runId);
    assert.equal((await finished(runId)).status, 'failed');
    await until('the problem is shown', () => genlabProblems(uri).length > 0, 10000);
    const [problem] = genlabProblems(uri);
    assert.equal(problem.range.start.line, line);
    assert.match(problem.message, /step size out of range/);
  });

  it('a module outside the workspace is refused, and nothing runs', async () => {
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-outside-')), 'mixture.ts');
    fs.writeFileSync(outside, example);
    const before = fs.readdirSync(runsRoot).length;
    assert.equal(await vscode.commands.executeCommand('genlab.trainModelModule', vscode.Uri.file(outside), quick), undefined);
    assert.equal(fs.readdirSync(runsRoot).length, before);
    // A link inside the workspace to it is outside too.
    const link = path.join(workspace, 'models', 'linked.ts');
    fs.symlinkSync(outside, link);
    assert.equal(await vscode.commands.executeCommand('genlab.trainModelModule', vscode.Uri.file(link), quick), undefined);
    assert.equal(fs.readdirSync(runsRoot).length, before);
  });

  it('New Model from Family writes a commented module and an experiment file that trains it', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('genlab.newModelFromFamily', { family: 'realnvp', name: 'my-flow' });
    assert.equal(uri?.fsPath, path.join(workspace, 'models', 'my-flow.ts'));
    assert.match(fs.readFileSync(uri.fsPath, 'utf8'), /defineModel\(/);
    const experiment = path.join(workspace, 'models', 'my-flow.genlab.json');
    assert.deepEqual(JSON.parse(fs.readFileSync(experiment, 'utf8')).model, { module: './my-flow.ts' });
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, uri.fsPath, 'the module is open');

    const runId = await vscode.commands.executeCommand<string>('genlab.trainExperiment', vscode.Uri.file(experiment));
    assert.ok(runId, 'the experiment file trains');
    await until('the run has started', () => fs.existsSync(path.join(runsRoot, runId, 'run.json')));
    assert.equal(record(runId).config.experiment, experiment);
    assert.equal(record(runId).config.module?.path, uri.fsPath);
    await vscode.commands.executeCommand('genlab.stopTraining');
    assert.equal((await finished(runId)).status, 'stopped');
  });

  it('saving the module while it trains restarts the run with the new code (genlab.modelModules.restartOnSave: always)', async () => {
    const settings = vscode.workspace.getConfiguration('genlab');
    await settings.update('modelModules.restartOnSave', 'always', vscode.ConfigurationTarget.Workspace);
    try {
      const uri = write('models/restart.ts', example);
      const first = await vscode.commands.executeCommand<string>('genlab.trainModelModule', uri, { ...quick, steps: 1_000_000 });
      assert.ok(first);
      await until('the first run trains', () => fs.existsSync(path.join(runsRoot, first, 'run.json')));
      const known = new Set(fs.readdirSync(runsRoot));

      const document = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(document);
      const offset = document.getText().indexOf('default: 8');
      await editor.edit((e) => e.replace(new vscode.Range(document.positionAt(offset), document.positionAt(offset + 'default: 8'.length)), 'default: 4'));
      await document.save();

      await until('a new run starts', () => fs.readdirSync(runsRoot).some((id) => !known.has(id) && fs.existsSync(path.join(runsRoot, id, 'run.json'))), 60000);
      const second = fs.readdirSync(runsRoot).find((id) => !known.has(id))!;
      assert.equal((await finished(first)).status, 'stopped', 'the old run stopped with its checkpoint');
      assert.equal(record(second).config.model.components, 4, 'the new default');
      assert.ok(record(second).source?.sha256 && record(first).source?.sha256);
      assert.notEqual(record(second).source?.sha256, record(first).source?.sha256, 'the new run trained the saved code');
      await vscode.commands.executeCommand('genlab.stopTraining');
      await finished(second);
    } finally {
      await settings.update('modelModules.restartOnSave', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
