/**
 * Where runs live, and a light listing of them (run.json only) for the tree and the gallery.
 * Full histories are read only when a dashboard opens (see RunHistory.fromDisk).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRunRecord, type RunRecord } from '../trainer/runs/runFolder';

/** `genlab.runsDirectory` resolved against the first workspace folder; global storage without one. */
export function runsRoot(context: vscode.ExtensionContext): string {
  const setting = vscode.workspace.getConfiguration('genlab').get<string>('runsDirectory', '.genlab/runs');
  if (path.isAbsolute(setting)) return setting;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, setting) : path.join(context.globalStorageUri.fsPath, 'runs');
}

export type ListedRun = RunRecord & { dir: string; interrupted: boolean };

/** Every readable run under `root`, newest first; unreadable folders are reported, not fatal. */
export function listRuns(root: string, onProblem: (dir: string, problem: string) => void): ListedRun[] {
  if (!fs.existsSync(root)) return [];
  const runs: ListedRun[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(root, entry.name);
    try {
      runs.push({ ...readRunRecord(dir), dir });
    } catch (err) {
      onProblem(dir, err instanceof Error ? err.message : String(err));
    }
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
