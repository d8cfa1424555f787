/** The "Runs" tree in the GenLab sidebar: every run, newest first, with its state and result. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExternalWriter } from '../protocol/external';
import { metricLabel } from '../protocol/metricLabels';
import type { RunState } from '../protocol/webview';
import type { RunCatalog, RunEntry } from './runCatalog';
import { stateLabel } from './stateLabel';

const STATE_ICONS: Record<RunState, vscode.ThemeIcon> = {
  'loading-data': new vscode.ThemeIcon('loading~spin'),
  training: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  evaluating: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  stopping: new vscode.ThemeIcon('loading~spin'),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('charts.yellow')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  interrupted: new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.orange')),
};

/** The longest a change to the run folders waits to show in the tree. */
const REDRAW_MS = 500;

const LIVE_STATES: RunState[] = ['loading-data', 'training', 'evaluating', 'stopping'];

const WRITER_LABELS: Record<ExternalWriter['language'], string> = { python: 'Python', node: 'Node' };

/** "Training · step 120/1,000"; a script's run may not say how long it will be. */
function progressText(run: RunEntry): string {
  return run.totalSteps ? vscode.l10n.t('{0} · step {1}/{2}', stateLabel(run.state), run.step, run.totalSteps) : vscode.l10n.t('{0} · step {1}', stateLabel(run.state), run.step);
}

function mainMetric(run: RunEntry): string | undefined {
  const key = run.scoreMetric;
  const value = key === undefined ? undefined : run.finalMetrics[key];
  return value === undefined ? undefined : `${metricLabel(key!)} ${value.toFixed(2)}`;
}

export class RunsTree implements vscode.TreeDataProvider<RunEntry> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly catalog: RunCatalog) {}

  private pending?: NodeJS.Timeout;
  private redrawnAt = -Infinity;
  private listed?: { runs: RunEntry[]; at: number };
  /** What the rows showed at the last redraw: a refresh that would draw the same is not sent. */
  private shown = '';

  /**
   * Redraws the tree once the run folders changed, at most every REDRAW_MS and only if a row would
   * look different: a busy runs folder (grids every second) would otherwise redraw it so often
   * that a click on a row can land between two redraws and be lost.
   */
  refresh(): void {
    // The first change in a while shows at once; those that follow it wait for the interval.
    this.pending ??= setTimeout(async () => {
      const runs = await this.catalog.list();
      this.pending = undefined;
      if (this.rowsKey(runs) === this.shown) return;
      this.redrawnAt = performance.now();
      // The redraw asks for the runs next: these, just read (unless the view is hidden and asks much later).
      this.listed = { runs, at: performance.now() };
      this.changed.fire();
    }, Math.max(0, this.redrawnAt + REDRAW_MS - performance.now()));
  }

  async getChildren(element?: RunEntry): Promise<RunEntry[]> {
    if (element) return [];
    const fresh = this.listed && performance.now() - this.listed.at < REDRAW_MS ? this.listed.runs : undefined;
    this.listed = undefined;
    const runs = fresh ?? (await this.catalog.list());
    this.shown = this.rowsKey(runs);
    return runs;
  }

  private rowsKey(runs: RunEntry[]): string {
    return JSON.stringify(runs.map((r) => this.getTreeItem(r)).map(({ id, label, description, contextValue, iconPath }) => [id, label, description, contextValue, (iconPath as vscode.ThemeIcon | undefined)?.id]));
  }

  getTreeItem(run: RunEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(run.title, vscode.TreeItemCollapsibleState.None);
    const live = LIVE_STATES.includes(run.state);
    const metric = mainMetric(run);
    item.id = run.runId;
    // A damaged folder still lists, marked, so it can be opened, inspected or deleted.
    item.iconPath = run.warnings ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : STATE_ICONS[run.state];
    item.description = [...(live ? [progressText(run)] : [metric, stateLabel(run.state)]), run.writer && WRITER_LABELS[run.writer.language]].filter(Boolean).join(' · ');
    // A run a script writes offers what GenLab can do without its model: view, compare, export its samples and metrics.
    item.contextValue = `${live ? 'run.live' : 'run.done'}${run.writer ? '.external' : ''}`;
    item.resourceUri = vscode.Uri.file(run.dir);
    item.command = { command: 'genlab.openDashboard', title: vscode.l10n.t('Open Dashboard'), arguments: [run.runId] };
    return item;
  }

  /** The tooltip, written when it is about to show rather than for each of a thousand runs. */
  resolveTreeItem(item: vscode.TreeItem, run: RunEntry): vscode.TreeItem {
    const metric = mainMetric(run);
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${run.title}**  \n$(${STATE_ICONS[run.state].id.split('~')[0]}) ${progressText(run)}  \n`);
    if (run.writer) tooltip.appendMarkdown(`$(terminal) ${vscode.l10n.t('Logged by {0} ({1}), not trained by GenLab', run.writer.script ? `\`${path.basename(run.writer.script)}\`` : vscode.l10n.t('a script'), WRITER_LABELS[run.writer.language])}  \n`);
    if (metric) tooltip.appendMarkdown(`${vscode.l10n.t('{0} nats', metric)}  \n`);
    if (run.error) tooltip.appendMarkdown(`\n${run.error.message}  \n_${run.error.hint}_  \n`);
    for (const w of run.warnings ?? []) tooltip.appendMarkdown(`\n$(warning) ${w}  \n`);
    tooltip.appendMarkdown(`\n${vscode.l10n.t('Started {0}', new Date(run.createdAt).toLocaleString())}  \n\`${run.runId}\``);
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.changed.dispose();
  }
}
