/**
 * Runs a person's own training loop is writing through GenLab's logger (python/genlab, or
 * genlab/log in Node): GenLab did not start them, so there is no trainer to listen to. While one
 * is being written, its folder is followed instead (watched, and looked at every second in case a
 * change is not reported) and what it gains is passed on as a live trainer's messages are, until
 * the run ends or its process dies. Stopping one is asking its process, with the person's consent.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { EXTERNAL } from '../protocol/external';
import { readRunForViewing } from '../shared/runFolder';
import type { RunHistory, RunUpdate } from './runHistory';

/** How soon a reported change is read: lines written together are read together. */
const SETTLE_MS = 100;
/** How often a followed folder is looked at regardless, and its process checked. */
const POLL_MS = 1000;

export interface ExternalRunEvent {
  run: RunHistory;
  message: RunUpdate;
}

class FollowedRun implements vscode.Disposable {
  private readonly watcher: vscode.FileSystemWatcher;
  private readonly timer: NodeJS.Timeout;
  private settle?: NodeJS.Timeout;

  constructor(
    readonly run: RunHistory,
    private readonly emit: (updates: RunUpdate[]) => void,
  ) {
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(run.runDir), '{run.json,metrics.jsonl,samples/*.png,density/*.json}'));
    const soon = () => {
      this.settle ??= setTimeout(() => {
        this.settle = undefined;
        this.catchUp();
      }, SETTLE_MS);
    };
    this.watcher.onDidCreate(soon);
    this.watcher.onDidChange(soon);
    this.timer = setInterval(() => this.catchUp(), POLL_MS);
  }

  private catchUp(): void {
    const updates = this.run.catchUp();
    if (updates.length) this.emit(updates);
  }

  dispose(): void {
    this.watcher.dispose();
    clearInterval(this.timer);
    clearTimeout(this.settle);
  }
}

export class ExternalRuns implements vscode.Disposable {
  private readonly followed = new Map<string, FollowedRun>();
  private readonly updated = new vscode.EventEmitter<ExternalRunEvent>();
  private readonly progressed = new vscode.EventEmitter<void>();
  /** Each change of a followed run, for its dashboard. */
  readonly onDidUpdate = this.updated.event;
  /** A followed run gained steps or changed state: the views that list runs refresh. */
  readonly onDidProgress = this.progressed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Histories of the runs being followed: fresher than their run.json. */
  get runs(): RunHistory[] {
    return [...this.followed.values()].map((f) => f.run);
  }

  /**
   * The history of a run read from its folder, followed from now on if a script is writing it;
   * a run already followed keeps its history (and its dashboard its place).
   */
  follow(run: RunHistory): RunHistory {
    const known = this.followed.get(run.runId);
    if (known) return known.run;
    if (run.config.family !== EXTERNAL || run.state !== 'training') return run;
    this.log.info(`Following ${run.runId}, written by ${run.config.external.writer.script ?? `a ${run.config.external.writer.language} script`}`);
    const followed = new FollowedRun(run, (updates) => {
      for (const message of updates) this.updated.fire({ run, message });
      this.progressed.fire();
      if (run.state !== 'training') this.unfollow(run.runId, run.state);
    });
    this.followed.set(run.runId, followed);
    return run;
  }

  private unfollow(runId: string, state: string): void {
    this.log.info(`${runId} is ${state}; no longer followed`);
    this.followed.get(runId)?.dispose();
    this.followed.delete(runId);
  }

  /**
   * Asks the process writing a run to stop, as Ctrl+C would (SIGINT: Python raises
   * KeyboardInterrupt, which the logger records as stopped), once the person agrees. Only a
   * process on this machine can be asked; resolves with whether the signal was sent.
   */
  async stop(runDir: string): Promise<boolean> {
    const record = readRunForViewing(runDir)?.record;
    const config = record?.config;
    if (!record || config?.family !== EXTERNAL || record.status !== 'running' || record.interrupted) return false;
    const { writer } = config.external;
    const script = writer.script ?? vscode.l10n.t('a {0} script', writer.language);
    if (writer.host !== os.hostname()) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is written by {1} on {2}, not on this machine: stop it there.', record.id, script, writer.host));
      return false;
    }
    const send = vscode.l10n.t('Send Interrupt');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Stop {0}?', record.name ?? record.id),
      { modal: true, detail: vscode.l10n.t('GenLab did not start this run: {0} (process {1}) writes it. GenLab will send that process an interrupt (SIGINT), as Ctrl+C in its terminal would; what the script does then is up to it.', script, record.pid) },
      send,
    );
    if (choice !== send) return false;
    try {
      process.kill(record.pid, 'SIGINT');
      this.log.info(`Sent SIGINT to process ${record.pid}, which writes ${record.id}`);
      return true;
    } catch (err) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not signal process {0}: {1}', record.pid, String(err)));
      return false;
    }
  }

  dispose(): void {
    for (const f of this.followed.values()) f.dispose();
    this.followed.clear();
    this.updated.dispose();
    this.progressed.dispose();
  }
}
