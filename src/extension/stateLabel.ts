/** A run's state as the person reads it: the protocol's state ids are English words, shown translated. */
import * as vscode from 'vscode';
import type { RunState } from '../protocol/webview';

export function stateLabel(state: RunState): string {
  switch (state) {
    case 'loading-data':
      return vscode.l10n.t('loading data');
    case 'training':
      return vscode.l10n.t('training');
    case 'evaluating':
      return vscode.l10n.t('evaluating');
    case 'stopping':
      return vscode.l10n.t('stopping');
    case 'finished':
      return vscode.l10n.t('finished');
    case 'stopped':
      return vscode.l10n.t('stopped');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'interrupted':
      return vscode.l10n.t('interrupted');
  }
}
