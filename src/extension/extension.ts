/**
 * Extension host entry. The editor side (commands, dashboard, sidebar) builds on the trainer
 * client in src/trainer/client.ts; this first version only opens the GenLab log.
 */
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('GenLab', { log: true });
  context.subscriptions.push(log);
  log.info(`GenLab ${context.extension.packageJSON.version} activated`);
}

export function deactivate(): void {}
