/**
 * Files and menus the VS Code way, in the real extension host: a run trained with genlab.evalEvery
 * left at its default (null) takes its family's interval; Export Model writes through
 * workspace.fs to the folder Uri a dialog returns, into a new folder beside what is there; the
 * argument a gallery card's context menu passes opens that run's dashboard.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig } from '../../src/protocol/config';
import { alive, until } from './helpers';

interface RunJson {
  status: string;
  pid: number;
  name?: string;
  config: { evalEvery: number };
}

describe('Files and menus', () => {
  let runId = '';
  let dir = '';
  const record = () => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunJson;

  before(async () => {
    await vscode.extensions.getExtension('genlab.genlab')!.activate();
    runId = (await vscode.commands.executeCommand<string>('genlab.trainFlow', { dataset: 'moons', steps: 60, backend: 'wasm' }))!;
    assert.ok(runId, 'genlab.trainFlow returned a run id');
    dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.genlab', 'runs', runId);
    await until('the run finishes', () => fs.existsSync(path.join(dir, 'run.json')) && record().status === 'finished');
    await until('its trainer exits', () => !alive(record().pid));
  });

  it('genlab.evalEvery is null unless set, and a run then evaluates at its family\'s interval', () => {
    assert.equal(vscode.workspace.getConfiguration('genlab').get('evalEvery'), null);
    const familyDefault = completeConfig({ family: 'realnvp', dataset: 'moons', steps: 60, runsDir: path.dirname(dir) }).evalEvery;
    assert.equal(record().config.evalEvery, familyDefault);
  });

  it('Export Model writes through workspace.fs to the picked folder\'s Uri, into a new folder beside one already there', async () => {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-export-uri-'));
    fs.mkdirSync(path.join(target, `${runId}-model`));
    fs.writeFileSync(path.join(target, `${runId}-model`, 'mine.txt'), 'mine');
    const out = await vscode.commands.executeCommand<string>('genlab.exportModel', runId, vscode.Uri.file(target));
    assert.equal(out, path.join(target, `${runId}-model-2`));
    const files = fs.readdirSync(out, { recursive: true }).map(String);
    assert.ok(files.includes('README.md') && files.includes('flow.json'), files.join(', '));
    assert.ok(!files.some((f) => path.basename(f).startsWith('training-state')), 'the training state stays with the run');
    assert.deepEqual(fs.readdirSync(path.join(target, `${runId}-model`)), ['mine.txt']);
    // The copy is byte for byte: a weights file as the checkpoint holds it.
    const checkpoint = fs.readdirSync(path.join(dir, 'checkpoints')).filter((n) => /^step-\d{6}$/.test(n)).sort().at(-1)!;
    const weights = files.find((f) => f.endsWith('weights.bin'))!;
    assert.ok(fs.readFileSync(path.join(out, weights)).equals(fs.readFileSync(path.join(dir, 'checkpoints', checkpoint, weights))), weights);
  });

  it('the argument a gallery card\'s context menu passes (its data-vscode-context) opens that run\'s dashboard', async () => {
    const dashboardTabs = () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('genlab.dashboard'));
    await vscode.window.tabGroups.close(dashboardTabs());
    await vscode.commands.executeCommand('genlab.openDashboard', { webview: 'genlab.gallery', webviewSection: 'run', runId, genlabRunLive: false, preventDefaultContextMenuItems: true });
    await until('a dashboard tab opens', () => dashboardTabs().length === 1, 10000);
    assert.match(dashboardTabs()[0].label, /^GenLab: /);
    await vscode.window.tabGroups.close(dashboardTabs());
  });
});
