/** Where runs live: the setting, the workspace folder, or the global storage. */
import * as path from 'node:path';
import * as vscode from 'vscode';

/** `genlab.runsDirectory` resolved against the first workspace folder; global storage without one. */
export function runsRoot(context: vscode.ExtensionContext): string {
  const setting = vscode.workspace.getConfiguration('genlab').get<string>('runsDirectory', '.genlab/runs');
  if (path.isAbsolute(setting)) return setting;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, setting) : path.join(context.globalStorageUri.fsPath, 'runs');
}
