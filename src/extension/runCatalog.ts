/**
 * All runs the views show: the run folders on disk, with the live state of those that are
 * training now laid over them (a live run's state is fresher than its run.json).
 */
import * as vscode from 'vscode';
import type { RunState } from '../protocol/webview';
import { listRuns, listSampleFiles, MAIN_SAMPLES } from '../shared/runFolder';
import { RunHistory, runTitle } from './runHistory';
import type { RunManager } from './runManager';
import { runsRoot } from './runsFolder';

export interface RunEntry {
  runId: string;
  dir: string;
  title: string;
  family: string;
  dataset: string;
  state: RunState;
  createdAt: string;
  step: number;
  totalSteps: number;
  finalMetrics: Record<string, number>;
  error?: { message: string; hint: string };
  /** The experiment file the run was trained from, if any. */
  experiment?: string;
  /** What is wrong with the run folder (a damaged or missing run.json); it is still shown. */
  warnings?: string[];
}

export class RunCatalog {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly manager: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  root(): string {
    return runsRoot(this.context);
  }

  list(): RunEntry[] {
    const live = new Map(this.manager.liveRuns.map((r) => [r.runId, r]));
    return listRuns(this.root()).map((r) => {
      const running = live.get(r.id);
      return {
        runId: r.id,
        dir: r.dir,
        title: runTitle(r.config),
        family: r.config.family,
        dataset: r.config.dataset,
        ...(r.config.experiment ? { experiment: r.config.experiment } : {}),
        state: running?.state ?? (r.interrupted ? 'interrupted' : r.status === 'running' ? 'training' : r.status),
        createdAt: r.createdAt,
        step: running?.step ?? r.progress.step,
        totalSteps: r.progress.totalSteps,
        finalMetrics: running?.finalEval ?? r.finalMetrics,
        ...(r.error ? { error: r.error } : {}),
        ...(r.warnings.length ? { warnings: r.warnings } : {}),
      };
    });
  }

  find(runId: string): RunEntry | undefined {
    return this.list().find((r) => r.runId === runId);
  }

  /** The run's full history: the live one while it trains, else read from its folder. */
  history(runId: string): RunHistory | undefined {
    const live = this.manager.liveRun(runId);
    if (live) return live;
    const entry = this.find(runId);
    if (!entry) return undefined;
    try {
      return RunHistory.fromDisk(entry.dir);
    } catch (err) {
      this.log.error(`Could not read run ${runId}: ${String(err)}`);
      return undefined;
    }
  }

  /** The main sample grids of a run, oldest first. */
  grids(entry: RunEntry): { step: number; path: string }[] {
    return listSampleFiles(entry.dir).filter((s) => s.kind === MAIN_SAMPLES);
  }
}
