/** The "Sample Gallery" webview view in the GenLab sidebar: the sample grids of every run. */
import * as vscode from 'vscode';
import { decode, excerpt } from '../protocol/decode';
import { fromGallery, type ToGallery } from '../protocol/webview';
import { type FileProblem, problemText } from '../shared/decodedFiles';
import { listGenerated, MAIN_SAMPLES } from '../shared/runFolder';
import type { RunCatalog } from './runCatalog';
import { localResourceRoots, webviewHtml } from './webviewHtml';

export const GALLERY_VIEW_ID = 'genlab.gallery';

export class GalleryView implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;
  private ready = false;
  private pending?: NodeJS.Timeout;
  /** Damaged index lines already logged: the gallery is sent again on every change of any run. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly catalog: RunCatalog,
    private readonly openRun: (runId: string) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = { enableScripts: true, localResourceRoots: localResourceRoots(this.extensionUri, [vscode.Uri.file(this.catalog.root())]) };
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'gallery', 'Sample Gallery');
    view.webview.onDidReceiveMessage((raw) => {
      const result = decode(fromGallery, raw, 'message');
      if (!result.ok) {
        this.log.warn(`Gallery sent an invalid message, dropped: ${result.error}`);
        return;
      }
      if (result.value.type === 'ready') {
        this.ready = true;
        this.send();
      } else if (this.catalog.find(result.value.runId)) {
        // Only a run the gallery was sent: the page's word alone opens nothing.
        this.openRun(result.value.runId);
      } else {
        this.log.warn(`Gallery asked to open an unknown run, ignored: ${excerpt(result.value.runId)}`);
      }
    });
    view.onDidChangeVisibility(() => {
      if (!view.visible) this.ready = false;
    });
    view.onDidDispose(() => (this.view = undefined));
  }

  /** Sends the runs again soon; bursts of changes (a new grid per eval) are coalesced. */
  refresh(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.send();
    }, 250);
  }

  private send(): void {
    const view = this.view;
    if (!view || !this.ready) return;
    const asUri = (file: string) => view.webview.asWebviewUri(vscode.Uri.file(file)).toString();
    const problems: FileProblem[] = [];
    const message: ToGallery = {
      type: 'runs',
      runs: this.catalog.list().map((run) => ({
        runId: run.runId,
        title: run.title,
        state: run.state,
        createdAt: run.createdAt,
        grids: [
          ...this.catalog.grids(run).map((g) => ({ step: g.step, kind: MAIN_SAMPLES, uri: asUri(g.path) })),
          ...listGenerated(run.dir, problems)
            .filter((g) => g.path.endsWith('.png'))
            .map((g) => ({ step: g.step, kind: 'generated', caption: g.caption, uri: asUri(g.path) })),
        ],
      })),
    };
    for (const text of problems.map((p) => problemText(p))) {
      if (!this.logged.has(text)) this.log.warn(`Gallery: ${text}`);
      this.logged.add(text);
    }
    void view.webview.postMessage(message);
  }

  dispose(): void {
    clearTimeout(this.pending);
  }
}
