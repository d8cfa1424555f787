/**
 * All runs the views show: the run folders of the runs root, with the live state of those that are
 * training now laid over them (a live run's state is fresher than its run.json). The catalog
 * follows the runs root (`genlab.runsDirectory`, workspace trust, the workspace folders) and
 * watches it, and says when what it lists changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ExternalRuns } from './externalRuns';
import { type RunEntry, runEntry, RunFolderCache, type RunImages, signature } from './runFolderCache';
import { RunHistory } from './runHistory';
import type { RunManager } from './runManager';
import { RUN_FILE } from '../protocol/runFormat';
import { insideRoot } from '../shared/safePaths';
import { runsRoot } from './runsFolder';

export type { RunEntry };

/** How long a new folder of the runs root is looked at for the run.json the watcher may miss. */
const MISSED_RUN_WINDOW_MS = 30_000;

export class RunCatalog implements vscode.Disposable {
  private readonly folders = new RunFolderCache();
  /** catchMissedEvents: the root's folders at its last look, and the new ones without a run.json yet (since when). */
  private known?: Set<string>;
  private readonly newFolders = new Map<string, number>();
  /** Runs the last listing showed training in another process (the CLI), and their run.json's signature at the last look. */
  private running: string[] = [];
  private runningRecords = new Map<string, string>();
  /** Whether the watcher is on the root itself (it existed), rather than on the workspace folder that will hold it. */
  private watchingRoot = false;
  private readonly missedRuns: NodeJS.Timeout;
  /** Runs a person's own loop is writing, followed while they are. */
  readonly external: ExternalRuns;
  private currentRoot: string;
  private watcher: vscode.Disposable;
  /** Each listed run's folder by run id, from the last listing: dashboards ask for one run synchronously. */
  private readonly dirs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly rootChanged = new vscode.EventEmitter<string>();
  private readonly subscriptions: vscode.Disposable[];
  /** A run folder was created, changed or deleted (by anyone: the CLI too), or the runs root moved. */
  readonly onDidChange = this.changed.event;
  /** The runs root moved; webviews that load images from it follow. */
  readonly onDidChangeRoot = this.rootChanged.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.currentRoot = runsRoot(context);
    this.watcher = this.watch(this.currentRoot);
    this.external = new ExternalRuns(log);
    // One look at a time: a slow disk never stacks them up.
    let looking = false;
    this.missedRuns = setInterval(() => {
      if (looking) return;
      looking = true;
      void this.catchMissedEvents().finally(() => (looking = false));
    }, 1000);
    const follow = () => this.followRoot();
    this.subscriptions = [
      this.external,
      this.external.onDidProgress(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('genlab.runsDirectory') && follow()),
      // An untrusted workspace ignores a runs folder outside it (runsFolder.ts): trust moves the root.
      vscode.workspace.onDidGrantWorkspaceTrust(follow),
      vscode.workspace.onDidChangeWorkspaceFolders(follow),
    ];
  }

  root(): string {
    return this.currentRoot;
  }

  private followRoot(): void {
    const next = runsRoot(this.context);
    if (next === this.currentRoot) return;
    this.log.info(`Runs folder is now ${next} (was ${this.currentRoot})`);
    this.currentRoot = next;
    this.dirs.clear();
    this.known = undefined;
    this.newFolders.clear();
    this.watcher.dispose();
    this.watcher = this.watch(next);
    this.rootChanged.fire(next);
    this.changed.fire();
  }

  /**
   * Run folders appearing or going, their run.json and new sample grids. A root that does not
   * exist yet is watched through the workspace folder that will hold it (catchMissedEvents moves
   * the watcher onto it once it exists).
   */
  private watch(root: string): vscode.Disposable {
    const runs = '{*,*/run.json,*/samples/*.png}';
    this.watchingRoot = fs.existsSync(root);
    const folder = this.watchingRoot ? undefined : vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file' && insideRoot(f.uri.fsPath, root));
    const under = folder && path.relative(folder.uri.fsPath, root).split(path.sep).join('/');
    const pattern = folder ? new vscode.RelativePattern(folder, under ? `${under}/${runs}` : runs) : new vscode.RelativePattern(vscode.Uri.file(root), runs);
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const fire = () => this.changed.fire();
    return vscode.Disposable.from(watcher, watcher.onDidCreate(fire), watcher.onDidChange(fire), watcher.onDidDelete(fire));
  }

  /**
   * Once a second, what the file watcher can miss: a script that creates the root, its run folder
   * and run.json within a moment outruns it, as it watches a new folder only once it has seen it
   * (inotify), and what happens in that folder afterwards may go unreported too. So each new
   * folder of the root is looked at for its run.json for MISSED_RUN_WINDOW_MS, the run.json of
   * each run training in another process is looked at, and a root that did not exist is watched
   * itself once it does.
   */
  private async catchMissedEvents(): Promise<void> {
    const root = this.currentRoot;
    if (!this.watchingRoot && fs.existsSync(root)) {
      this.watcher.dispose();
      this.watcher = this.watch(root);
      this.changed.fire();
    }
    let names: string[];
    try {
      names = (await fs.promises.readdir(root)).filter((n) => !n.startsWith('.'));
    } catch {
      return;
    }
    if (root !== this.currentRoot) return;
    const now = Date.now();
    if (this.known) for (const n of names) if (!this.known.has(n)) this.newFolders.set(n, now);
    this.known = new Set(names);
    const records = await Promise.all([...this.newFolders.keys()].map((name) => signature([path.join(root, name, RUN_FILE)])));
    let appeared = false;
    [...this.newFolders].forEach(([name, since], i) => {
      const found = records[i] !== '-';
      if (found || now - since > MISSED_RUN_WINDOW_MS || !this.known!.has(name)) this.newFolders.delete(name);
      appeared ||= found;
    });
    if ((await this.runningChanged()) || appeared) this.changed.fire();
  }

  /**
   * Whether the run.json of a run another process trains (the CLI) changed since the last look:
   * events in a new folder can be missed too. A run seen training for the first time counts as
   * changed once, since it may have changed (or finished) between the listing and this look.
   */
  private async runningChanged(): Promise<boolean> {
    const signatures = await Promise.all(this.running.map((dir) => signature([path.join(dir, RUN_FILE)])));
    const seen = new Map(this.running.map((dir, i) => [dir, signatures[i]]));
    const changed = [...seen].some(([dir, now]) => this.runningRecords.get(dir) !== now);
    this.runningRecords = seen;
    return changed;
  }

  async list(): Promise<RunEntry[]> {
    const root = this.currentRoot;
    const listed = await this.folders.list(root);
    if (root === this.currentRoot) {
      this.dirs.clear();
      for (const r of listed) this.dirs.set(r.id, r.dir);
    }
    const live = new Map<string, RunHistory>([...this.manager.liveRuns, ...this.external.runs].map((r) => [r.runId, r]));
    if (root === this.currentRoot) this.running = listed.filter((r) => r.status === 'running' && !r.interrupted && !live.has(r.id)).map((r) => r.dir);
    return listed.map((r) => runEntry(r, live.get(r.id)));
  }

  async find(runId: string): Promise<RunEntry | undefined> {
    return (await this.list()).find((r) => r.runId === runId);
  }

  /** The run's full history: the live one while it trains (or while a script writes it), else read from its folder. */
  history(runId: string): RunHistory | undefined {
    const live = this.manager.liveRun(runId) ?? this.external.runs.find((r) => r.runId === runId);
    if (live) return live;
    const dir = this.dirOf(runId);
    if (!dir || !fs.existsSync(dir)) return undefined;
    try {
      const run = RunHistory.fromDisk(dir);
      return run.runId === runId ? this.external.follow(run) : undefined;
    } catch (err) {
      this.log.error(`Could not read run ${runId}: ${String(err)}`);
      return undefined;
    }
  }

  /**
   * The folder of a listed run; before the first listing (a dashboard restored at startup), the
   * folder of the root named after the run, as the trainer names them. Never a path out of the root.
   */
  private dirOf(runId: string): string | undefined {
    const known = this.dirs.get(runId);
    if (known) return known;
    const named = path.join(this.currentRoot, runId);
    return path.dirname(named) === path.resolve(this.currentRoot) && path.basename(named) === runId ? named : undefined;
  }

  /** Each run's sample grids and generated images, for the gallery. */
  images(entries: RunEntry[]): Promise<RunImages[]> {
    return this.folders.images(entries.map((e) => e.dir));
  }

  dispose(): void {
    clearInterval(this.missedRuns);
    this.watcher.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
    this.rootChanged.dispose();
  }
}
