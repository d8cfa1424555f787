/**
 * Closing the window mid-run, as far as a test inside the extension host can: VS Code calls the
 * extension's deactivate() and disposes its subscriptions at once, without waiting for the
 * promise, then ends the host 5 s later at most. The run must end stopped, with its final
 * checkpoint, and resume from it. It leaves the extension disposed, so it runs last.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { latestResumableCheckpoint } from '../../src/shared/runFolder';
import { TrainerClient } from '../../src/shared/trainerClient';
import { alive, until } from './helpers';

interface Record {
  status: string;
  pid: number;
  config: TrainConfig;
  progress: { step: number; totalSteps: number };
}

/** How long VS Code waits for deactivate() before it ends the extension host. */
const VS_CODE_DEACTIVATE_BUDGET_MS = 5000;

describe('Closing the window mid-run', () => {
  it('deactivate() then the subscriptions disposed at once: the run ends stopped with its final checkpoint in time, and resumes from it', async () => {
    const ext = vscode.extensions.getExtension('genlab.genlab');
    assert.ok(ext);
    await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    const root = path.join(folder.uri.fsPath, '.genlab', 'runs');
    const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record;
    const trainSteps = (dir: string) => {
      const file = path.join(dir, 'metrics.jsonl');
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"train"')).length : 0;
    };

    const runId = await vscode.commands.executeCommand<string | undefined>('genlab.trainVae', { steps: 100000, batchSize: 32, evalEvery: 25, backend: 'wasm' });
    assert.ok(runId, 'genlab.trainVae returned no run id');
    const dir = path.join(root, runId);
    // Past the first periodic checkpoint (step 25): the final one must be a later step.
    await until('30 steps are on disk', () => trainSteps(dir) >= 30);
    const { pid } = record(dir);

    // The extension's own module, as VS Code loaded it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(path.join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void>; subscriptions(): readonly vscode.Disposable[] };
    const closedAt = Date.now();
    const deactivated = main.deactivate();
    for (const subscription of main.subscriptions()) subscription.dispose();
    let budget: NodeJS.Timeout | undefined;
    await Promise.race([
      deactivated,
      new Promise((_, reject) => {
        budget = setTimeout(() => reject(new Error(`deactivate() still pending after ${VS_CODE_DEACTIVATE_BUDGET_MS} ms: VS Code would have ended the host`)), VS_CODE_DEACTIVATE_BUDGET_MS);
      }),
    ]);
    clearTimeout(budget);
    const tookMs = Date.now() - closedAt;
    assert.equal(alive(pid), false, 'no trainer outlives deactivation');

    const ended = record(dir);
    assert.equal(ended.status, 'stopped', `the trainer was stopped, not cut off (${tookMs} ms)`);
    const step = ended.progress.step;
    assert.ok(step >= 30 && step < 100000, `stopped at step ${step}`);
    const checkpoint = latestResumableCheckpoint(dir);
    assert.equal(checkpoint?.step, step, 'the final checkpoint is at the step the run stopped at');

    // Reopening the window: what Resume does, with the run's own config.
    const messages: TrainerMessage[] = [];
    const resumed = TrainerClient.start(
      completeConfig({ ...ended.config, epochs: undefined, steps: step + 5 }),
      { onMessage: (m) => messages.push(m), onLog: () => {}, onInvalid: (problem) => assert.fail(problem) },
      path.join(ext.extensionPath, 'dist', 'trainer.js'),
      dir,
    );
    const exit = await resumed.exited;
    assert.equal(exit.code, 0);
    const started = messages.find((m): m is Extract<TrainerMessage, { type: 'started' }> => m.type === 'started');
    assert.equal(started?.resumedFromStep, step);
    assert.equal(record(dir).status, 'finished');
    assert.equal(record(dir).progress.step, step + 5);
  });
});
