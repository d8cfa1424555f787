/**
 * "GenLab: Compare Runs": one panel with several runs side by side: their density or sample views
 * with each family's score in the terms of its kind of density, their loss curves on one chart, and
 * a table of their settings and final metrics with the differences marked. Runs still training are
 * redrawn as they evaluate. The panel keeps its run ids in its webview state, so it comes back after
 * a window reload.
 */
import * as vscode from 'vscode';
import { decode } from '../protocol/decode';
import { fromCompare, type ToCompare } from '../protocol/webview';
import type { RunCatalog } from './runCatalog';
import { localResourceRoots, panelIcon, webviewHtml } from './webviewHtml';

export const COMPARE_VIEW_TYPE = 'genlab.compare';

export class CompareView implements vscode.WebviewPanelSerializer {
  private panel?: vscode.WebviewPanel;
  private runIds: string[] = [];
  private redraw?: ReturnType<typeof setTimeout>;
  /** Sends started, so that one overtaken by a later one is dropped. */
  private sends = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: RunCatalog,
    private readonly openRun: (runId: string) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Shows these runs, in the panel already open if there is one. */
  show(runIds: string[]): void {
    this.runIds = runIds;
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Active);
      void this.sendInit();
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, vscode.l10n.t('GenLab: Compare Runs'), vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: false }));
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const ids = (state as { runIds?: unknown } | undefined)?.runIds;
    const known = new Set((await this.catalog.list()).map((r) => r.runId));
    // Runs deleted since are left out.
    this.runIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && known.has(id)) : [];
    if (!this.runIds.length) {
      panel.dispose();
      return;
    }
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = panelIcon(this.extensionUri);
    const options = (): vscode.WebviewOptions => ({ enableScripts: true, localResourceRoots: localResourceRoots(this.extensionUri, [vscode.Uri.file(this.catalog.root())]) });
    panel.webview.options = options();
    // Runs are looked up in the runs root: when it moves, their images load from the new one.
    const following = this.catalog.onDidChangeRoot(() => (panel.webview.options = options()));
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'compare', vscode.l10n.t('GenLab: Compare Runs'));
    panel.webview.onDidReceiveMessage((raw) => {
      const result = decode(fromCompare, raw, 'message');
      if (!result.ok) return this.log.warn(`Compare view sent an invalid message, dropped: ${result.error}`);
      if (result.value.type === 'ready') void this.sendInit();
      else if (this.runIds.includes(result.value.runId)) this.openRun(result.value.runId);
    });
    panel.onDidDispose(() => {
      following.dispose();
      this.panel = undefined;
    });
  }

  private async sendInit(): Promise<void> {
    const panel = this.panel;
    if (!panel) return;
    const sending = ++this.sends;
    const asUri = (file: string) => panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
    const runs: ToCompare['runs'] = [];
    for (const id of this.runIds) {
      // One run's history at a time, the host free in between: twenty long runs read in one go block it for a third of a second.
      await new Promise((resolve) => setImmediate(resolve));
      const history = this.catalog.history(id);
      if (history) runs.push({ view: history.toView(asUri), config: history.comparedSettings() });
    }
    // A later send started meanwhile (other runs, a reload): it has the fresher picture.
    if (sending !== this.sends || panel !== this.panel) return;
    const message: ToCompare = { type: 'init', runs };
    void panel.webview.postMessage(message);
  }

  /**
   * A compared run that is still training moved on (an evaluation, a state change): the panel is
   * redrawn, at most once a second, so its cards and curves keep up without a metrics-rate redraw.
   */
  runChanged(runId: string): void {
    if (!this.panel || !this.runIds.includes(runId) || this.redraw) return;
    this.redraw = setTimeout(() => {
      this.redraw = undefined;
      void this.sendInit();
    }, 1000);
  }

  dispose(): void {
    clearTimeout(this.redraw);
    this.panel?.dispose();
  }
}
