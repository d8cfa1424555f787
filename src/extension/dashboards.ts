/**
 * One dashboard panel per run, opened beside the editor. A panel's page is discarded whenever it
 * is hidden, so it announces itself with `ready` each time it loads and gets the run's whole
 * history in `init`; live updates are forwarded only while it is visible. Panels come back after
 * a window reload through the serializer (the webview keeps its run id in its state).
 */
import * as vscode from 'vscode';
import { decode } from '../protocol/decode';
import { type DashboardTab, fromDashboard, type ToDashboard } from '../protocol/webview';
import { LatencyStats } from './latencyStats';
import { Throttle } from './throttle';
import type { RunHistory, RunUpdate } from './runHistory';
import { localResourceRoots, panelIcon, webviewHtml } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'genlab.dashboard';

/** Sample grids on demand, at most one per this many ms: a grid takes the trainer a while to draw. */
export const SAMPLE_NOW_INTERVAL_MS = 2000;

export interface DashboardHost {
  /** The live history of a run, or its history read from disk; undefined if the run is gone. */
  history(runId: string): RunHistory | undefined;
  stop(runId: string): void;
  sampleNow(runId: string): void;
  runsRoot(): string;
  log: vscode.LogOutputChannel;
}

class Dashboard {
  private ready = false;
  /** The tab to bring to the front once the page has its run (Inspect asks for the Model tab). */
  private pendingTab?: DashboardTab;
  readonly latency = new LatencyStats();
  private readonly sampleNow = new Throttle(SAMPLE_NOW_INTERVAL_MS);

  constructor(
    readonly runId: string,
    readonly panel: vscode.WebviewPanel,
    private readonly host: DashboardHost,
    extensionUri: vscode.Uri,
  ) {
    const run = host.history(runId);
    panel.title = run ? vscode.l10n.t('GenLab: {0}', run.title) : 'GenLab';
    panel.iconPath = panelIcon(extensionUri);
    // The run's own folder, wherever genlab.runsDirectory points later: a run keeps its images.
    panel.webview.options = { enableScripts: true, localResourceRoots: localResourceRoots(extensionUri, [vscode.Uri.file(run?.runDir ?? host.runsRoot())]) };
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'dashboard', panel.title);
    panel.webview.onDidReceiveMessage((raw) => this.receive(raw));
    panel.onDidChangeViewState(() => {
      // A hidden page is gone; it sends `ready` again when shown, and is re-initialised then.
      if (!panel.visible) this.ready = false;
    });
  }

  private receive(raw: unknown): void {
    const result = decode(fromDashboard, raw, 'message');
    if (!result.ok) {
      this.host.log.warn(`Dashboard sent an invalid message, dropped: ${result.error}`);
      return;
    }
    const message = result.value;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        this.showPendingTab();
        return;
      case 'stop':
        this.host.stop(this.runId);
        return;
      case 'sampleNow':
        if (this.sampleNow.allow()) this.host.sampleNow(this.runId);
        else this.host.log.debug(`Dashboard of ${this.runId} asked for samples again within ${SAMPLE_NOW_INTERVAL_MS} ms; ignored`);
        return;
      case 'drawn':
        this.latency.add(message.latencyMs);
        return;
    }
  }

  private sendInit(): void {
    const run = this.host.history(this.runId);
    if (!run) {
      this.host.log.warn(`Run ${this.runId} no longer exists; closing its dashboard`);
      this.panel.dispose();
      return;
    }
    for (const w of run.warnings) this.host.log.warn(`${run.runId}: ${w}`);
    this.post({ type: 'init', run: run.toView((file) => this.asUri(file)) });
  }

  showTab(tab: DashboardTab): void {
    this.pendingTab = tab;
    this.showPendingTab();
  }

  private showPendingTab(): void {
    // post() drops what a hidden or loading page would miss; the tab waits for the next `ready`.
    if (!this.pendingTab || !this.ready || !this.panel.visible) return;
    this.post({ type: 'showTab', tab: this.pendingTab });
    this.pendingTab = undefined;
  }

  private asUri(file: string): string {
    return this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  private post(message: ToDashboard): void {
    if (this.ready && this.panel.visible) void this.panel.webview.postMessage(message);
  }

  /** Forwards one trainer message of this run, in the dashboard's terms. */
  forward(run: RunHistory, message: RunUpdate): void {
    switch (message.type) {
      case 'metrics':
        this.post({
          type: 'metrics',
          points: [{ step: message.step, epoch: message.epoch, values: message.values, sentAt: message.sentAt }],
          stepsPerSecond: run.stepsPerSecond,
        });
        return;
      case 'eval':
        this.post({ type: 'eval', step: message.step, values: message.values });
        return;
      case 'samples':
        this.post({ type: 'samples', image: { step: message.step, kind: message.kind, uri: this.asUri(message.path) } });
        return;
      case 'density':
        this.post({ type: 'density', step: message.step, grid: message.grid });
        return;
      case 'architecture':
        this.post({ type: 'architecture', architecture: message.architecture });
        return;
      case 'norms':
        this.post({ type: 'norms', record: message.record });
        return;
      case 'activations':
        this.post({ type: 'activations', record: message.record });
        return;
      case 'declared':
        this.sendInit();
        return;
      case 'status':
      case 'done':
        this.post({ type: 'status', state: run.state, ...(run.error ? { error: run.error } : {}) });
        return;
    }
  }
}

export class Dashboards implements vscode.Disposable, vscode.WebviewPanelSerializer {
  private readonly open = new Map<string, Dashboard>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: DashboardHost,
  ) {}

  /** Opens (or reveals) the run's dashboard beside the active editor, leaving focus in the editor; `tab` brings that tab to the front. */
  show(runId: string, tab?: DashboardTab): void {
    let dashboard = this.open.get(runId);
    if (dashboard) dashboard.panel.reveal(undefined, true);
    else dashboard = this.adopt(runId, vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'GenLab', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {}));
    if (tab) dashboard.showTab(tab);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const runId = (state as { runId?: unknown } | undefined)?.runId;
    if (typeof runId !== 'string' || !this.host.history(runId)) {
      panel.dispose();
      return;
    }
    this.adopt(runId, panel);
  }

  private adopt(runId: string, panel: vscode.WebviewPanel): Dashboard {
    const dashboard = new Dashboard(runId, panel, this.host, this.extensionUri);
    this.open.set(runId, dashboard);
    panel.onDidDispose(() => {
      if (dashboard.latency.count) this.host.log.info(`Dashboard latency for ${runId}: ${dashboard.latency.describe()}`);
      this.open.delete(runId);
    });
    return dashboard;
  }

  onRunEvent({ run, message }: { run: RunHistory; message: RunUpdate }): void {
    this.open.get(run.runId)?.forward(run, message);
  }

  /** Whether the run's dashboard is open and in view (its tab the active one of its group). */
  isShown(runId: string): boolean {
    return this.open.get(runId)?.panel.visible ?? false;
  }

  /** Closes the dashboard of a deleted run. */
  close(runId: string): void {
    this.open.get(runId)?.panel.dispose();
  }

  dispose(): void {
    for (const d of this.open.values()) d.panel.dispose();
  }
}
