/**
 * Commands on runs that already exist: pick one, resume it. (Training new runs lives in
 * extension.ts; the views' own commands beside their views.)
 */
import * as vscode from 'vscode';
import { completeConfig } from '../protocol/config';
import { latestResumableCheckpoint, readRunRecord } from '../trainer/runs/runFolder';
import type { Dashboards } from './dashboards';
import type { RunCatalog, RunEntry } from './runCatalog';
import type { RunManager } from './runManager';

/** Training runs a process and writes files, so it needs a trusted workspace; says so and offers the fix. */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    'GenLab trains only in a trusted workspace: training starts a process and writes run folders here.',
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** A quick pick of runs (those `accept` allows); offers to train when there are none. */
export async function pickRun(catalog: RunCatalog, title: string, placeHolder: string, accept: (run: RunEntry) => boolean = () => true): Promise<string | undefined> {
  const all = catalog.list().filter(accept);
  if (!all.length) {
    const choice = await vscode.window.showInformationMessage(catalog.list().length ? 'No run fits here.' : 'GenLab has no runs yet.', 'Train VAE');
    if (choice) await vscode.commands.executeCommand('genlab.trainVae');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    all.map((r) => ({ label: r.title, description: `${r.state} · step ${r.step}/${r.totalSteps}`, detail: r.runId, runId: r.runId })),
    { title, placeHolder },
  );
  return pick?.runId;
}

export interface RunCommandDeps {
  catalog: RunCatalog;
  runs: RunManager;
  dashboards: Dashboards;
}

/**
 * `genlab.resumeRun`: continues a stopped, interrupted, failed or finished run from its last
 * checkpoint, in the same folder, to a step count the person confirms (or `steps` when given).
 * Resolves with the run id once it trains again.
 */
async function resumeRun({ catalog, runs, dashboards }: RunCommandDeps, target?: RunEntry | string, steps?: number): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const runId = typeof target === 'string' ? target : (target?.runId ?? (await pickRun(catalog, 'GenLab: Resume Run', 'Continue which run?', (r) => r.state !== 'training')));
  const entry = runId === undefined ? undefined : catalog.find(runId);
  if (!entry) return undefined;
  if (runs.liveRun(entry.runId)) {
    void vscode.window.showInformationMessage(`${entry.title} is still training.`);
    return undefined;
  }
  const checkpoint = latestResumableCheckpoint(entry.dir);
  if (!checkpoint) {
    void vscode.window.showErrorMessage(`${entry.title} has no checkpoint with a training state to resume from.`, {
      detail: 'Checkpoints are written every genlab.evalEvery steps and at the end; runs made before GenLab 0.2 have none. Train a new run with the same settings instead.',
      modal: true,
    });
    return undefined;
  }
  const record = readRunRecord(entry.dir);
  // A run cut short continues to its planned length; a finished one runs as long again.
  const planned = record.progress.totalSteps;
  const suggested = checkpoint.step < planned ? planned : checkpoint.step + planned;
  const total =
    steps ??
    Number(
      await vscode.window.showInputBox({
        title: `GenLab: Resume ${entry.title}`,
        prompt: `Continue from step ${checkpoint.step} (its last checkpoint) up to which step?`,
        value: String(suggested),
        validateInput: (text) => (Number.isInteger(Number(text)) && Number(text) > checkpoint.step ? undefined : `Enter a whole number above ${checkpoint.step}.`),
      }),
    );
  if (!Number.isInteger(total) || total <= checkpoint.step) return undefined;
  const config = completeConfig({ ...record.config, epochs: undefined, steps: total });
  const run = await runs.start(config, entry.dir);
  if (run) dashboards.show(run.runId);
  return run?.runId;
}

export function registerRunCommands(deps: RunCommandDeps): vscode.Disposable[] {
  return [vscode.commands.registerCommand('genlab.resumeRun', (target?: RunEntry | string, steps?: number) => resumeRun(deps, target, steps))];
}
