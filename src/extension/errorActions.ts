/**
 * Error messages with the button that helps: every error GenLab shows offers the next step (the
 * file to fix, the setting, the log), so the person need not go looking for it.
 */
import * as vscode from 'vscode';

/** A button on a message, and what it does. */
export interface ErrorAction {
  label: string;
  run: () => unknown;
}

/** Shows an error (`options.modal` for one that must be read) and runs the button chosen. */
export async function showError(message: string, actions: ErrorAction[], options: vscode.MessageOptions = {}): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, options, ...actions.map((a) => a.label));
  await actions.find((a) => a.label === choice)?.run();
}

/** The Settings editor, filtered to `query` (a setting id, or `genlab` for all of GenLab's). */
export const openSettings = (query: string): ErrorAction => ({ label: vscode.l10n.t('Open Settings'), run: () => vscode.commands.executeCommand('workbench.action.openSettings', query) });

export const openFile = (uri: vscode.Uri, label = vscode.l10n.t('Open File')): ErrorAction => ({ label, run: () => vscode.commands.executeCommand('vscode.open', uri) });

export const openLog = (log: vscode.LogOutputChannel): ErrorAction => ({ label: vscode.l10n.t('Open Log'), run: () => log.show() });

export const runCommand = (label: string, command: string, ...args: unknown[]): ErrorAction => ({ label, run: () => vscode.commands.executeCommand(command, ...args) });
