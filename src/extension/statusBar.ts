/** A status bar item for the newest live run: family, step, loss and speed; a click opens its dashboard. */
import * as vscode from 'vscode';
import { specOf } from '../protocol/families';
import { metricLabel } from '../protocol/metricLabels';
import type { RunManager } from './runManager';
import { stateLabel } from './stateLabel';

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('genlab.training', vscode.StatusBarAlignment.Left, 50);
  private lastDraw = 0;

  constructor(private readonly manager: RunManager) {
    this.item.name = vscode.l10n.t('GenLab Training');
  }

  update(force = false): void {
    const run = this.manager.liveRuns.at(-1);
    if (!run) {
      this.item.hide();
      return;
    }
    // Metrics arrive ~25 times a second; the status bar needs a few updates a second at most.
    const now = Date.now();
    if (!force && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const info = specOf(run.config);
    const loss = run.series[info.lossKey]?.at(-1);
    const lossText = typeof loss === 'number' ? ` · ${metricLabel(info.lossKey)} ${loss.toFixed(1)}` : '';
    this.item.text = vscode.l10n.t('$(sync~spin) {0} {1}/{2}{3} · {4} steps/s', info.shortTitle, run.step, run.totalSteps, lossText, run.stepsPerSecond.toFixed(1));
    this.item.tooltip = vscode.l10n.t('GenLab: {0} ({1}, {2}). Click to open its dashboard.', run.title, stateLabel(run.state), run.backend);
    // Read out in words: a screen reader would otherwise spell the icon name and the slashes.
    const lossWords = typeof loss === 'number' ? `, ${metricLabel(info.lossKey)} ${loss.toFixed(1)}` : '';
    this.item.accessibilityInformation = {
      label: vscode.l10n.t('GenLab training {0}: step {1} of {2}{3}, {4} steps per second. Open its dashboard.', info.shortTitle, run.step, run.totalSteps, lossWords, run.stepsPerSecond.toFixed(1)),
      role: 'button',
    };
    this.item.command = { command: 'genlab.openDashboard', title: vscode.l10n.t('Open Dashboard'), arguments: [run.runId] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
