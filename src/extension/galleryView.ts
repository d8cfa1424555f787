/** The "Sample Gallery" webview view in the GenLab sidebar: the sample grids of every run. */
import * as vscode from 'vscode';
import { decode, excerpt } from '../protocol/decode';
import { fromGallery, type ToGallery } from '../protocol/webview';
import { problemText } from '../shared/decodedFiles';
import { MAIN_SAMPLES } from '../shared/runFolder';
import type { RunCatalog } from './runCatalog';
import { localResourceRoots, webviewHtml } from './webviewHtml';

export const GALLERY_VIEW_ID = 'genlab.gallery';

export class GalleryView implements vscode.WebviewViewProvider {
  private view?: vscode.WebviewView;
  private ready = false;
  private pending?: NodeJS.Timeout;
  /** Sends started, so that one overtaken by a later one is dropped. */
  private sends = 0;
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
    const options = (): vscode.WebviewOptions => ({ enableScripts: true, localResourceRoots: localResourceRoots(this.extensionUri, [vscode.Uri.file(this.catalog.root())]) });
    view.webview.options = options();
    // The grids of a new runs root must load; the runs themselves follow through refresh().
    const following = this.catalog.onDidChangeRoot(() => (view.webview.options = options()));
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'gallery', vscode.l10n.t('Sample Gallery'));
    view.webview.onDidReceiveMessage((raw) => {
      const result = decode(fromGallery, raw, 'message');
      if (!result.ok) {
        this.log.warn(`Gallery sent an invalid message, dropped: ${result.error}`);
        return;
      }
      if (result.value.type === 'ready') {
        this.ready = true;
        void this.send();
      } else {
        void this.open(result.value.runId);
      }
    });
    view.onDidChangeVisibility(() => {
      if (!view.visible) this.ready = false;
    });
    view.onDidDispose(() => {
      following.dispose();
      this.view = undefined;
    });
  }

  /** Only a run the gallery was sent: the page's word alone opens nothing. */
  private async open(runId: string): Promise<void> {
    if (await this.catalog.find(runId)) this.openRun(runId);
    else this.log.warn(`Gallery asked to open an unknown run, ignored: ${excerpt(runId)}`);
  }

  /** Sends the runs again soon; bursts of changes (a new grid per eval) are coalesced. */
  refresh(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      void this.send();
    }, 250);
  }

  private async send(): Promise<void> {
    const view = this.view;
    if (!view || !this.ready) return;
    const sending = ++this.sends;
    const listed = await this.catalog.list();
    const images = await this.catalog.images(listed);
    const runs = listed.map((run, i) => ({ run, images: images[i] }));
    // A later send started meanwhile: it has fresher runs.
    if (sending !== this.sends || view !== this.view) return;
    const asUri = (file: string) => view.webview.asWebviewUri(vscode.Uri.file(file)).toString();
    const message: ToGallery = {
      type: 'runs',
      runs: runs.map(({ run, images }) => ({
        runId: run.runId,
        title: run.title,
        state: run.state,
        createdAt: run.createdAt,
        grids: [
          ...images.grids.map((g) => ({ step: g.step, kind: MAIN_SAMPLES, uri: asUri(g.path) })),
          ...images.generated.map((g) => ({ step: g.step, kind: 'generated', caption: g.caption, uri: asUri(g.path) })),
        ],
      })),
    };
    for (const text of runs.flatMap(({ images }) => images.problems).map((p) => problemText(p))) {
      if (!this.logged.has(text)) this.log.warn(`Gallery: ${text}`);
      this.logged.add(text);
    }
    void view.webview.postMessage(message);
  }

  dispose(): void {
    clearTimeout(this.pending);
  }
}
