/**
 * Training through the real extension in a real VS Code: the command starts a trainer process,
 * metrics reach the run folder, Stop ends it, and no trainer outlives a stop, a crash or the
 * extension's deactivation.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { alive, until } from './helpers';

interface Record {
  status: string;
  pid: number;
  progress: { step: number };
  error?: { message: string; hint: string };
}

const small = { steps: 100000, batchSize: 32, evalEvery: 25, backend: 'wasm' };

describe('Training from the extension host', () => {
  let root = '';
  const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record;
  const trainLines = (dir: string) => {
    const file = path.join(dir, 'metrics.jsonl');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"train"')).length : 0;
  };
  const start = async () => {
    const runId = await vscode.commands.executeCommand<string | undefined>('genlab.trainVae', small);
    assert.ok(runId, 'genlab.trainVae returned no run id');
    const dir = path.join(root, runId);
    await until('30 steps are on disk', () => trainLines(dir) >= 30);
    return { runId, dir, pid: record(dir).pid };
  };

  before(async () => {
    const ext = vscode.extensions.getExtension('genlab.genlab');
    assert.ok(ext);
    await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    root = path.join(folder.uri.fsPath, '.genlab', 'runs');
  });

  it('Train VAE starts a run whose metrics arrive; Stop ends it and leaves the run folder and record', async () => {
    const { dir, pid } = await start();
    assert.ok(alive(pid), 'the trainer process runs');
    assert.equal(record(dir).status, 'running');
    await vscode.commands.executeCommand('genlab.stopTraining');
    await until('run.json says stopped', () => record(dir).status === 'stopped');
    await until('the trainer process is gone', () => !alive(pid), 10000);
    const files = fs.readdirSync(path.join(dir, 'samples'));
    assert.ok(files.some((f) => /^step-\d{6}\.png$/.test(f)), `sample grids: ${files.join(', ')}`);
    assert.ok(fs.readdirSync(path.join(dir, 'checkpoints')).length > 0, 'a checkpoint');
    assert.ok(record(dir).progress.step >= 30);
  });

  it('a trainer killed from outside marks its run failed, with the reason', async () => {
    const { dir, pid } = await start();
    process.kill(pid, 'SIGKILL');
    await until('run.json says failed', () => record(dir).status === 'failed', 15000);
    assert.match(record(dir).error?.message ?? '', /ended unexpectedly \(signal SIGKILL\)/);
    assert.match(record(dir).error?.hint ?? '', /GenLab log/);
  });

  it('deactivating the extension ends every trainer, cleanly', async () => {
    const { dir, pid } = await start();
    const ext = vscode.extensions.getExtension('genlab.genlab')!;
    // The extension's own module, as VS Code loaded it: its deactivate() is what VS Code calls.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(path.join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
    await main.deactivate();
    assert.equal(alive(pid), false, 'no trainer outlives deactivation');
    assert.equal(record(dir).status, 'stopped', 'the trainer was stopped, not cut off');
  });
});
