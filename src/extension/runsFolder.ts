/** Where runs live: the setting, the workspace folder, or the global storage. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { insideRoot } from '../shared/safePaths';

const DEFAULT_RUNS_DIRECTORY = '.genlab/runs';

/**
 * `genlab.runsDirectory` resolved against the first workspace folder; global storage without one.
 * In an untrusted workspace a runs folder outside the workspace is not used (the default is): the
 * setting is restricted (package.json), and a user setting pointing elsewhere must not let a
 * workspace someone else wrote show, and act on, folders it does not hold.
 */
export function runsRoot(context: vscode.ExtensionContext): string {
  const setting = vscode.workspace.getConfiguration('genlab').get<string>('runsDirectory', DEFAULT_RUNS_DIRECTORY);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return path.isAbsolute(setting) ? setting : path.join(context.globalStorageUri.fsPath, 'runs');
  const chosen = path.resolve(folder, setting);
  return vscode.workspace.isTrusted || insideRoot(folder, chosen) ? chosen : path.join(folder, DEFAULT_RUNS_DIRECTORY);
}
