/**
 * `genlab.runsDirectory` changed while GenLab runs: the Runs tree moves to the new folder's runs,
 * and the watcher with it (a run folder written there is noticed, one written in the old folder
 * no longer is); setting it back brings the old runs back.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig } from '../../src/protocol/config';
import { RunFolder } from '../../src/shared/runFolder';
import type { GenLabApi } from '../../src/extension/extension';

/** A finished run written with the trainer's own writer, as the CLI would leave it. */
function writeRun(runsDir: string, runName: string): string {
  const folder = RunFolder.create(completeConfig({ family: 'gaussian', dataset: '8gaussians', steps: 1, runsDir, runName }), 'cpu', {}, 1);
  folder.update({ status: 'finished', progress: { step: 1, epoch: 0, totalSteps: 1 } });
  folder.close();
  return folder.id;
}

async function until(what: string, check: () => Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether `onDidChangeRuns` fires within `ms` of `act`. */
async function fires(api: GenLabApi, act: () => void, ms: number): Promise<boolean> {
  let fired = false;
  const listening = api.onDidChangeRuns(() => (fired = true));
  try {
    act();
    await until('the catalog reports a change', async () => fired, ms).catch(() => undefined);
    return fired;
  } finally {
    listening.dispose();
  }
}

describe('The runs folder setting', () => {
  it('moving genlab.runsDirectory moves the Runs tree and its watcher to the new folder, and back', async () => {
    const api = (await vscode.extensions.getExtension('genlab.genlab')!.activate()) as GenLabApi;
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const oldRoot = path.join(workspace, '.genlab', 'runs');
    const newRoot = path.join(workspace, `moved-runs-${process.pid}`);
    const oldRun = writeRun(oldRoot, 'in the default folder');
    const moved = writeRun(newRoot, 'in the moved folder');
    const settings = () => vscode.workspace.getConfiguration('genlab');
    await until('the tree lists the default folder', async () => (await api.shownRuns()).includes(oldRun));
    assert.ok(!(await api.shownRuns()).includes(moved));

    await settings().update('runsDirectory', path.basename(newRoot), vscode.ConfigurationTarget.Workspace);
    try {
      await until('the tree lists the new folder only', async () => JSON.stringify(await api.shownRuns()) === JSON.stringify([moved]));
      let added = '';
      assert.ok(await fires(api, () => (added = writeRun(newRoot, 'added later')), 10000), 'a run written in the new folder is noticed');
      assert.deepEqual(await api.shownRuns(), [added, moved], 'newest first');
      // The events of that run's later writes come in over a while: once they are over, the old folder is tried.
      while (await fires(api, () => undefined, 1000));
      assert.ok(!(await fires(api, () => writeRun(oldRoot, 'left behind'), 2000)), 'the old folder is no longer watched');
    } finally {
      await settings().update('runsDirectory', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(newRoot, { recursive: true, force: true });
    }
    await until('the tree lists the default folder again', async () => {
      const shown = await api.shownRuns();
      return shown.includes(oldRun) && !shown.includes(moved);
    });
  });
});
