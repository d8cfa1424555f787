/**
 * Starts, tracks and ends trainer processes for the extension. Each live run has one trainer
 * child process, one RunHistory (the whole history, for webviews that reload) and one progress
 * notification with a working Cancel. At most `genlab.maxConcurrentRuns` train at once.
 */
import * as vscode from 'vscode';
import type { TrainConfig } from '../protocol/config';
import { specOf } from '../protocol/families';
import type { GenerateRequest, TrainerMessage } from '../protocol/messages';
import { TrainerClient, type TrainerHandlers } from '../shared/trainerClient';
import { patchRunRecord } from '../shared/runFolder';
import { RunHistory } from './runHistory';
import { stateLabel } from './stateLabel';

interface LiveRun {
  client: TrainerClient;
  config: TrainConfig;
  /** Set once the trainer has created the run folder. */
  history?: RunHistory<TrainConfig>;
  lastError?: { message: string; hint: string };
  /** Messages that arrived before `started` (e.g. `ready`), applied once the history exists. */
  early: TrainerMessage[];
  /** Set when the window closes: the trainer was let go and is finishing its run on its own. */
  closing?: Promise<void>;
}

/**
 * How long a trainer may take, once the window closes, to finish its step and write its final
 * evaluation, samples and checkpoint before it is killed. VS Code waits at most 5 s for every
 * extension's deactivate() before it ends the extension host, so the kill must come before that;
 * a trainer that cannot finish in time (a large model, a slow backend, a hung step) would
 * otherwise go on computing with no window to show or stop it. A killed run keeps its last
 * periodic checkpoint and reads as interrupted, which Resume continues.
 */
export const SHUTDOWN_GRACE_MS = 4000;

export interface RunEvent {
  run: RunHistory<TrainConfig>;
  message: TrainerMessage;
}

export class RunManager implements vscode.Disposable {
  private readonly live = new Set<LiveRun>();
  /** Starts queued until a run finishes; each is told whether it may go ahead. */
  private readonly waiting: ((go: boolean) => void)[] = [];
  private readonly onMessageEmitter = new vscode.EventEmitter<RunEvent>();
  /** Every validated trainer message of a run whose folder exists, after it was applied to the history. */
  readonly onMessage = this.onMessageEmitter.event;
  private readonly onLiveChangeEmitter = new vscode.EventEmitter<void>();
  /** A run started or ended. */
  readonly onLiveChange = this.onLiveChangeEmitter.event;

  /** `dashboardShown` says whether a run's dashboard is in view: a run that ends out of sight is announced. */
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly trainerPath: string,
    private readonly dashboardShown: (runId: string) => boolean = () => false,
  ) {}

  get liveRuns(): RunHistory<TrainConfig>[] {
    return [...this.live].flatMap((r) => (r.history ? [r.history] : []));
  }

  liveRun(runId: string): RunHistory<TrainConfig> | undefined {
    return this.liveRuns.find((r) => r.runId === runId);
  }

  get training(): boolean {
    return this.live.size > 0;
  }

  /**
   * Starts a run, first making room if the concurrency limit is reached (the person chooses to
   * stop a run or to wait). Resolves with the run's history once its folder exists, or undefined
   * if the person cancelled or the trainer failed before creating it.
   */
  async start(config: TrainConfig, resumeFrom?: string): Promise<RunHistory<TrainConfig> | undefined> {
    if (!(await this.makeRoom())) return undefined;
    return new Promise((resolve) => this.launch(config, resolve, resumeFrom));
  }

  private async makeRoom(): Promise<boolean> {
    const limit = vscode.workspace.getConfiguration('genlab').get<number>('maxConcurrentRuns', 1);
    if (this.live.size < limit) return true;
    const running = this.liveRuns.map((r) => vscode.l10n.t('{0} (step {1}/{2})', r.title, r.step, r.totalSteps)).join(', ') || vscode.l10n.t('a run');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('GenLab is already training {0}; genlab.maxConcurrentRuns is {1}.', running, limit),
      { modal: true, detail: vscode.l10n.t('Stop the current run and start the new one, or start the new one when a run finishes.') },
      vscode.l10n.t('Stop and Start'),
      vscode.l10n.t('Wait'),
    );
    if (choice === vscode.l10n.t('Stop and Start')) {
      const oldest = [...this.live][0];
      oldest.client.stop();
      await oldest.client.exited;
      return true;
    }
    if (choice === vscode.l10n.t('Wait')) {
      this.log.info('New run queued until a running one finishes');
      return new Promise<boolean>((resolve) => this.waiting.push(resolve));
    }
    return false;
  }

  /** With `resumeFrom` (a run folder), the trainer continues that run from its last checkpoint. */
  private launch(config: TrainConfig, resolve: (run: RunHistory<TrainConfig> | undefined) => void, resumeFrom?: string): void {
    // The handlers run only after this statement, once `run` exists.
    const run: LiveRun = {
      config,
      early: [],
      client: TrainerClient.start(
        config,
        {
          onMessage: (m) => this.receive(run, m, resolve),
          ...this.logHandlers(() => run.client.pid),
        },
        this.trainerPath,
        resumeFrom,
      ),
    };
    this.live.add(run);
    this.log.info(`Trainer ${run.client.pid} started: ${config.family} on ${config.dataset}, ${config.steps ?? `${config.epochs} epochs`}`);
    this.onLiveChangeEmitter.fire();
    void vscode.commands.executeCommand('setContext', 'genlab.training', true);
    void this.showProgress(run);
    void run.client.exited.then((exit) => {
      this.finish(run, exit.code, exit.signal);
      resolve(run.history);
    });
  }

  /** Where a trainer's printed lines and dropped messages go: the log, tagged with its pid. */
  private logHandlers(pid: () => number | undefined): Pick<TrainerHandlers, 'onLog' | 'onInvalid'> {
    return {
      onLog: (line, stream) => {
        if (stream === 'stderr') this.log.warn(`[trainer ${pid()}] ${line}`);
        else this.log.info(`[trainer ${pid()}] ${line}`);
      },
      onInvalid: (problem) => this.log.error(`[trainer ${pid()}] dropped an invalid message: ${problem}`),
    };
  }

  /**
   * Draws from a trained run in a short-lived trainer process (samples, an interpolation, a latent
   * traversal). Resolves with the file written; rejects with the trainer's error, which names the fix.
   */
  generate(runDir: string, request: GenerateRequest, token?: vscode.CancellationToken): Promise<{ path: string; caption: string }> {
    return new Promise((resolve, reject) => {
      let result: { path: string; caption: string } | undefined;
      let error: { message: string; hint: string } | undefined;
      const client = TrainerClient.generate(
        runDir,
        request,
        {
          onMessage: (m) => {
            if (m.type === 'generated') result = { path: m.path, caption: m.caption };
            if (m.type === 'error' && m.fatal) error = m;
          },
          ...this.logHandlers(() => client.pid),
        },
        this.trainerPath,
      );
      token?.onCancellationRequested(() => client.kill());
      void client.exited.then((exit) => {
        if (result) resolve(result);
        else reject(new Error(error ? `${error.message} ${error.hint}` : vscode.l10n.t('The trainer ended without an answer ({0}); see the GenLab log.', exit.signal ?? vscode.l10n.t('code {0}', String(exit.code)))));
      });
    });
  }

  private receive(run: LiveRun, message: TrainerMessage, resolve: (run: RunHistory<TrainConfig>) => void): void {
    if (message.type === 'error') {
      if (message.fatal) {
        this.log.error(`Trainer: ${message.message} ${message.hint}`);
        run.lastError = { message: message.message, hint: message.hint };
      } else {
        // Data left out (rows of a CSV, unreadable images) or a setting adjusted to the data: training
        // goes on, but the person should know without opening the log.
        this.log.warn(`Trainer: ${message.message} ${message.hint}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('GenLab: {0} {1}', message.message, message.hint), vscode.l10n.t('Open Log')).then((choice) => choice && this.log.show());
      }
    }
    if (message.type === 'ready') this.log.info(`Backend: ${message.backend}${message.notes.length ? ` (${message.notes.join('; ')})` : ''}`);
    if (message.type === 'started') {
      // A resumed run's history up to its checkpoint is on disk (the trainer trimmed it before
      // `started`); it is a run GenLab trained, as the trainer resumes no other (readTrainedRunRecord).
      run.history =
        message.resumedFromStep === undefined ? new RunHistory(message.runId, message.runDir, message.config, new Date().toISOString()) : (RunHistory.fromDisk(message.runDir) as RunHistory<TrainConfig>);
      for (const m of run.early) run.history.apply(m);
      this.log.info(`Run ${message.runId} in ${message.runDir}`);
      resolve(run.history);
    }
    if (!run.history) {
      run.early.push(message);
      return;
    }
    run.history.apply(message);
    this.onMessageEmitter.fire({ run: run.history, message });
  }

  private finish(run: LiveRun, code: number | null, signal: NodeJS.Signals | null): void {
    this.live.delete(run);
    const history = run.history;
    // A trainer let go at shutdown recorded how its run ended (stopped, or failed with the reason);
    // one killed at the grace bound stays `running` with a dead pid, which reads as interrupted.
    // Nothing to tell the person either: the window is going away.
    const report = !run.closing;
    if (report && history && history.live) {
      // The trainer ended without `done`: it crashed or was killed. Say so on disk and to the person.
      const error = run.lastError ?? {
        message: vscode.l10n.t('The trainer process ended unexpectedly ({0}).', signal ? vscode.l10n.t('signal {0}', signal) : vscode.l10n.t('exit code {0}', String(code))),
        hint: vscode.l10n.t('Its last output is in the GenLab log. Everything written before the end is kept in the run folder.'),
      };
      history.error = error;
      history.apply({ type: 'status', state: 'failed' });
      this.recordFailure(history, error);
      this.onMessageEmitter.fire({ run: history, message: { type: 'status', state: 'failed' } });
    }
    if (report && (history?.state === 'failed' || (!history && code !== 0))) {
      const error = history?.error ?? run.lastError;
      this.log.error(`Run failed: ${error?.message ?? `trainer exit code ${code}`}`);
      const open = history && !this.dashboardShown(history.runId) ? [vscode.l10n.t('Open Dashboard')] : [];
      void vscode.window.showErrorMessage(vscode.l10n.t('GenLab: training failed. {0} {1}', error?.message ?? '', error?.hint ?? '').trim(), ...open, vscode.l10n.t('Open Log')).then((choice) => {
        if (choice === vscode.l10n.t('Open Log')) this.log.show();
        else if (choice && history) void vscode.commands.executeCommand('genlab.openDashboard', history.runId);
      });
    } else if (report && history?.state === 'finished' && !this.dashboardShown(history.runId)) {
      // Its dashboard would have said so; out of sight, the end of a long run is easy to miss.
      void vscode.window.showInformationMessage(vscode.l10n.t('GenLab: {0} finished (step {1}).', history.title, history.step), vscode.l10n.t('Open Dashboard')).then((choice) => {
        if (choice) void vscode.commands.executeCommand('genlab.openDashboard', history.runId);
      });
    }
    if (report) this.log.info(`Trainer ${run.client.pid} exited (${signal ?? `code ${code}`})`);
    void vscode.commands.executeCommand('setContext', 'genlab.training', this.live.size > 0);
    this.onLiveChangeEmitter.fire();
    this.waiting.shift()?.(true);
  }

  private recordFailure(history: RunHistory<TrainConfig>, error: { message: string; hint: string }): void {
    try {
      patchRunRecord(history.runDir, (record) => ({ ...record, status: 'failed', error, finishedAt: new Date().toISOString() }));
    } catch (err) {
      this.log.error(`Could not record the failure in ${history.runDir}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private showProgress(run: LiveRun): Thenable<void> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('GenLab: training {0} on {1}', specOf(run.config).shortTitle, run.config.dataset), cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => {
          this.log.info('Stop requested from the progress notification');
          run.client.stop();
        });
        let reported = 0;
        const sub = this.onMessage(({ run: history, message }) => {
          if (history !== run.history) return;
          if (message.type === 'metrics' && history.totalSteps > 0) {
            const percent = (100 * message.step) / history.totalSteps;
            // Whole percents only: the notification need not redraw 25 times a second.
            if (Math.floor(percent) > Math.floor(reported)) {
              progress.report({ increment: percent - reported, message: vscode.l10n.t('step {0}/{1}', message.step, history.totalSteps) });
              reported = percent;
            }
          } else if (message.type === 'status') {
            progress.report({ message: message.state === 'stopping' ? vscode.l10n.t('stopping after this step…') : stateLabel(message.state) });
          }
        });
        return run.client.exited.then(() => sub.dispose());
      },
    );
  }

  /** Asks a run (or every run) to stop after its current step. */
  stop(runId?: string): void {
    for (const run of this.live) if (!runId || run.history?.runId === runId) run.client.stop();
  }

  sampleNow(runId: string): void {
    for (const run of this.live) if (run.history?.runId === runId) run.client.send({ type: 'sampleNow' });
  }

  /**
   * The window is closing: every trainer is asked to stop after its current step and let go (its
   * IPC channel closed, which the trainer also takes as a stop), so that it writes its final
   * checkpoint and marks its run stopped by itself, with no host left to listen. Resolves once
   * every trainer has exited; one still running after `graceMs` is killed. Queued starts are
   * dropped. Calling it again waits for the same trainers.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    for (const start of this.waiting.splice(0)) start(false);
    await Promise.all([...this.live].map((run) => (run.closing ??= this.letGo(run, graceMs))));
  }

  private async letGo(run: LiveRun, graceMs: number): Promise<void> {
    // Logged now: once VS Code has disposed the subscriptions, the log is closed.
    this.log.info(`Trainer ${run.client.pid} asked to stop as the window closes; ended if still running in ${graceMs} ms`);
    run.client.stop();
    run.client.disconnect();
    const timer = setTimeout(() => run.client.kill(), graceMs);
    await run.client.exited;
    clearTimeout(timer);
  }

  /**
   * VS Code disposes the subscriptions right after calling deactivate(), without waiting for its
   * promise: the trainers are let go here too (the same shutdown), never killed outright.
   */
  dispose(): void {
    void this.shutdown();
    this.onMessageEmitter.dispose();
    this.onLiveChangeEmitter.dispose();
  }
}
