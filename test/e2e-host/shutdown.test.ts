/**
 * Closing the window mid-run, as far as a test inside the extension host can: VS Code calls the
 * extension's deactivate() and disposes its subscriptions at once, without waiting for the
 * promise, then ends the host 5 s later at most. The run must end stopped, with its final
 * checkpoint, and resume from it; a trainer that cannot finish in time is killed before VS Code
 * gives up. The last test leaves the extension disposed, so this suite runs last.
 * (e2e/ui/shutdown.test.mjs closes the window for real, with Developer: Reload Window.)
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
  let root = '';
  let main: { deactivate(): Promise<void>; subscriptions(): readonly vscode.Disposable[] };
  let trainer = '';
  const record = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record;
  const trainSteps = (dir: string) => {
    const file = path.join(dir, 'metrics.jsonl');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"train"')).length : 0;
  };
  /** A VAE run from the command, once it is past its first periodic checkpoint (step 25). */
  const start = async () => {
    const runId = await vscode.commands.executeCommand<string | undefined>('genlab.trainVae', { steps: 100000, batchSize: 32, evalEvery: 25, backend: 'wasm' });
    assert.ok(runId, 'genlab.trainVae returned no run id');
    const dir = path.join(root, runId);
    await until('30 steps are on disk', () => trainSteps(dir) >= 30);
    return { dir, pid: record(dir).pid };
  };
  /** deactivate(), failing when VS Code would have ended the host before it resolved; resolves with how long it took. */
  const deactivateInBudget = async (deactivated: Promise<void>, since: number) => {
    let budget: NodeJS.Timeout | undefined;
    await Promise.race([
      deactivated,
      new Promise((_, reject) => {
        budget = setTimeout(() => reject(new Error(`deactivate() still pending after ${VS_CODE_DEACTIVATE_BUDGET_MS} ms: VS Code would have ended the host`)), VS_CODE_DEACTIVATE_BUDGET_MS);
      }),
    ]);
    clearTimeout(budget);
    return Date.now() - since;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension('genlab.genlab');
    assert.ok(ext);
    await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workspace has a folder');
    root = path.join(folder.uri.fsPath, '.genlab', 'runs');
    // The extension's own module, as VS Code loaded it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    main = require(path.join(ext.extensionPath, 'dist', 'extension.js')) as typeof main;
    trainer = path.join(ext.extensionPath, 'dist', 'trainer.js');
  });

  it('a trainer that cannot finish its step in time is killed before VS Code gives up, and its run reads as interrupted', async () => {
    const { dir, pid } = await start();
    // Frozen mid-step: it can neither read the stop nor notice the closed channel.
    process.kill(pid, 'SIGSTOP');
    const tookMs = await deactivateInBudget(main.deactivate(), Date.now());
    assert.ok(tookMs >= 3900, `deactivate() waited for the trainer (${tookMs} ms)`);
    assert.equal(alive(pid), false, 'the frozen trainer was killed');
    const ended = record(dir);
    assert.equal(ended.status, 'running', 'no failure recorded: a running run whose trainer is gone reads as interrupted');
    assert.ok(latestResumableCheckpoint(dir), 'its periodic checkpoint is kept, to resume from');
  });

  it('deactivate() then the subscriptions disposed at once: the run ends stopped with its final checkpoint in time, and resumes from it', async () => {
    const { dir, pid } = await start();
    const closedAt = Date.now();
    const deactivated = main.deactivate();
    for (const subscription of main.subscriptions()) subscription.dispose();
    const tookMs = await deactivateInBudget(deactivated, closedAt);
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
      trainer,
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
