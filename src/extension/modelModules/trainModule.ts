/**
 * "GenLab: Train Model Module": trains the model a person wrote in a .ts or .js file of the
 * workspace. The trainer checks and loads the module in a process of its own (the extension host
 * never runs the person's code); what it declares becomes the quick pick's settings, and its type
 * errors, or the line its code threw at, go to the Problems panel. Saving a module while a run of
 * it trains offers to restart the run with the new code (genlab.modelModules.restartOnSave).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig, type ConfigInput, MODULE, type ModelKind, type ModelRef, type TrainConfig } from '../../protocol/config';
import { DecodeError } from '../../protocol/decode';
import type { ModuleRef } from '../../protocol/modelModule';
import { describeModule } from '../../shared/modelModules';
import { insideRoot } from '../../shared/safePaths';
import type { Dashboards } from '../dashboards';
import { runCommand, showError } from '../errorActions';
import { requireTrust } from '../runCommands';
import type { RunManager } from '../runManager';
import { ModuleProblems } from './moduleProblems';
import type { WorkspaceTypes } from './workspaceTypes';

/** Starts a run of the model (asking for settings unless `overrides` are given) and opens its dashboard; resolves with the run id. */
export type TrainModel = (ref: ModelRef, overrides?: Partial<ConfigInput<ModelKind>>) => Promise<string | undefined>;

export interface ModuleTrainerDeps {
  runs: RunManager;
  dashboards: Dashboards;
  log: vscode.LogOutputChannel;
  trainerPath: string;
  types: WorkspaceTypes;
  trainModel: TrainModel;
}

export const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const RESTART_SETTING = 'modelModules.restartOnSave';

const isModuleFile = (file: string) => MODULE_EXTENSIONS.includes(path.extname(file).toLowerCase()) && !file.endsWith('.d.ts');

export class ModuleTrainer implements vscode.Disposable {
  private readonly problems = new ModuleProblems();
  /** Every file each module imports (itself first), as its last check found them: a save of any of them is a change of the module. */
  private readonly filesOf = new Map<string, string[]>();
  private readonly subscriptions: vscode.Disposable[];
  /** Runs being restarted, so that a second save does not restart them twice. */
  private readonly restarting = new Set<string>();

  constructor(private readonly deps: ModuleTrainerDeps) {
    this.subscriptions = [
      this.problems,
      vscode.workspace.onDidSaveTextDocument((d) => void this.saved(d.uri.fsPath)),
      // The line a run's code threw at, in the Problems panel as well as on its dashboard.
      deps.runs.onMessage(({ run, message }) => {
        if (message.type === 'error' && message.fatal && run.config.module) this.problems.set(run.config.module.path, message.problems ?? []);
      }),
    ];
  }

  /**
   * Checks the module at `target` (or the active editor's file) and trains it; resolves with the
   * run id, or undefined if it was refused (its problems are then in the Problems panel).
   */
  async train(target?: vscode.Uri, overrides?: Partial<ConfigInput<ModelKind>>): Promise<string | undefined> {
    if (!(await requireTrust())) return undefined;
    const file = (target ?? vscode.window.activeTextEditor?.document.uri)?.fsPath;
    if (!file || !isModuleFile(file)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a model module (a .ts or .js file whose default export is defineModel(…)) to train it.'));
      return undefined;
    }
    const module = await this.describe(file);
    return module && this.deps.trainModel({ family: MODULE, module }, overrides);
  }

  /** The module's declaration from the trainer, or undefined once its problems are shown. */
  async describe(file: string): Promise<ModuleRef | undefined> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    // A link inside the workspace may lead anywhere: insideRoot compares real paths.
    if (!roots.some((root) => insideRoot(root, file))) {
      void showError(vscode.l10n.t('GenLab trains model modules inside the workspace only, and {0} is outside it. Copy it into a workspace folder, or add its folder to the workspace.', file), []);
      return undefined;
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (open?.isDirty) await open.save();
    void this.deps.types.ensureFor(file);
    const name = path.basename(file);
    const described = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('GenLab: checking {0}', name) }, () =>
      describeModule(file, this.deps.trainerPath, (line) => this.deps.log.info(`Trainer (describe): ${line}`)),
    );
    if (!described.ok) {
      this.problems.set(file, described.problems);
      this.deps.log.warn(`${file}: ${described.message}`);
      const first = described.message.split('\n')[0];
      const actions = described.problems.length ? [runCommand(vscode.l10n.t('Show Problems'), 'workbench.actions.view.problems')] : [];
      void showError(vscode.l10n.t('GenLab: {0} cannot train: {1} {2}', name, first, described.hint), actions);
      return undefined;
    }
    this.problems.set(file, []);
    this.filesOf.set(file, described.files);
    return described.module;
  }

  /** A saved file that a training run's module is made of: restart that run with the new code, as the setting says. */
  private async saved(file: string): Promise<void> {
    const affected = this.deps.runs.liveRuns.filter((r) => {
      const entry = r.config.module?.path;
      return entry !== undefined && !this.restarting.has(r.runId) && (entry === file || this.filesOf.get(entry)?.includes(file));
    });
    if (!affected.length || !vscode.workspace.isTrusted) return;
    const settings = vscode.workspace.getConfiguration('genlab');
    let mode = settings.get<'ask' | 'always' | 'never'>(RESTART_SETTING, 'ask');
    if (mode === 'ask') {
      const restart = vscode.l10n.t('Restart');
      const always = vscode.l10n.t('Always Restart');
      const choice = await vscode.window.showInformationMessage(
        affected.length === 1 ? vscode.l10n.t('{0} changed while {1} trains. Restart it with the new code?', path.basename(file), affected[0].title) : vscode.l10n.t('{0} changed while {1} runs of it train. Restart them with the new code?', path.basename(file), affected.length),
        restart,
        always,
      );
      if (choice === always) await settings.update(RESTART_SETTING, 'always', vscode.ConfigurationTarget.Global);
      mode = choice ? 'always' : 'never';
    }
    if (mode !== 'always') return;
    for (const run of affected) await this.restart(run.runId, run.config);
  }

  /**
   * Stops the run (it writes its final checkpoint) and starts one with the same settings and the
   * module as it is now. If the new code does not check, the old run is left training.
   */
  private async restart(runId: string, config: TrainConfig): Promise<void> {
    if (!config.module) return;
    this.restarting.add(runId);
    try {
      const module = await this.describe(config.module.path);
      if (!module) return;
      // Options the run left at the module's defaults take the new defaults: a changed default is a change of the code.
      const before = config.module.declaration.options;
      const chosen = Object.entries(config.model).filter(([key, value]) => key in module.declaration.options && JSON.stringify(value) !== JSON.stringify(before[key]?.default));
      let next: TrainConfig;
      try {
        next = completeConfig({ ...(config as ConfigInput<ModelKind>), module, model: Object.fromEntries(chosen) } as ConfigInput<ModelKind>);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        void showError(vscode.l10n.t('GenLab: the changed module no longer takes this run\'s settings ({0}: {1}); {2} keeps training with the old code.', err.path, err.problem, config.runName ?? module.declaration.title), []);
        return;
      }
      this.deps.log.info(`Restarting run ${runId} with the module as saved`);
      await this.ended(runId);
      const run = await this.deps.runs.start(next);
      if (run) this.deps.dashboards.show(run.runId);
    } finally {
      this.restarting.delete(runId);
    }
  }

  /** Asks the run to stop and resolves once its trainer has exited. */
  private ended(runId: string): Promise<void> {
    return new Promise((resolve) => {
      const sub = this.deps.runs.onLiveChange(() => {
        if (this.deps.runs.liveRun(runId)) return;
        sub.dispose();
        resolve();
      });
      this.deps.runs.stop(runId);
      if (!this.deps.runs.liveRun(runId)) {
        sub.dispose();
        resolve();
      }
    });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
