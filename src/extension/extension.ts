/**
 * Extension host entry: wires the run manager (trainer processes), the run catalog (run folders),
 * the dashboards, the sidebar views and the commands. No TensorFlow.js is loaded here: training
 * happens in the trainer child process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type BackendChoice, type ConfigInput, completeConfig, FAMILIES, type Family, type ModelKind, type ModelRef, type TrainConfig } from '../protocol/config';
import { DASHBOARD_VIEW_TYPE, Dashboards } from './dashboards';
import { GALLERY_VIEW_ID, GalleryView } from './galleryView';
import { RunCatalog, type RunEntry } from './runCatalog';
import { RunManager } from './runManager';
import { RunsTree } from './runsTree';
import { TrainingStatusBar } from './statusBar';
import { pickTrainConfig } from './trainQuickPick';
import { pickRun, registerRunCommands, requireTrust } from './runCommands';
import { COMPARE_VIEW_TYPE, CompareView } from './compareView';
import { fitDensityToCsv, fitHeightsExample, type ImageFolderChoices, trainOnImageFolder } from './ownData';
import { registerExperiments, saveExperiment } from './experiments';
import { FAMILY_SPECS } from '../protocol/families';
import { datasetTitle } from '../protocol/external';
import { nativeBackendInstalled } from '../shared/native/location';
import { DENSITY_KIND_LABELS, DENSITY_KINDS } from '../protocol/families/spec';
import { openSettings, showError } from './errorActions';
import { registerModelModules } from './modelModules';
import { registerNativeBackend } from './nativeBackend';
import { isPlainObject, uriArgument } from './commandArguments';

export interface GenLabApi {
  /** How long activate() took, for the benchmark report. */
  activationMs: number;
  /** The run ids the Runs tree lists, and when the runs it would list changed: for the extension-host tests. */
  shownRuns(): Promise<string[]>;
  onDidChangeRuns: vscode.Event<void>;
}

/**
 * A script started in one of VS Code's terminals logs (python/genlab, genlab/log) into the runs
 * folder the views show: GENLAB_RUNS_DIR says where it is, and follows it when it moves.
 */
function tellTerminals(context: vscode.ExtensionContext, catalog: RunCatalog): vscode.Disposable {
  const env = context.environmentVariableCollection;
  env.description = vscode.l10n.t("GENLAB_RUNS_DIR: where GenLab's loggers write runs, so that the Runs view shows them");
  const tell = (root: string) => env.replace('GENLAB_RUNS_DIR', root);
  tell(catalog.root());
  return catalog.onDidChangeRoot(tell);
}

let manager: RunManager | undefined;
let activeSubscriptions: readonly vscode.Disposable[] = [];

export function activate(context: vscode.ExtensionContext): GenLabApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('GenLab', { log: true });
  manager = new RunManager(log, context.asAbsolutePath(path.join('dist', 'trainer.js')), (id: string): boolean => dashboards.isShown(id));
  activeSubscriptions = context.subscriptions;
  const runs = manager;
  const catalog = new RunCatalog(context, runs, log);
  const dashboards = new Dashboards(context.extensionUri, {
    history: (id) => catalog.history(id),
    stop: (id) => {
      const followed = catalog.external.runs.find((r) => r.runId === id);
      if (followed) void catalog.external.stop(followed.runDir);
      else runs.stop(id);
    },
    sampleNow: (id) => runs.sampleNow(id),
    runsRoot: () => catalog.root(),
    log,
  });
  const tree = new RunsTree(catalog);
  const gallery = new GalleryView(context.extensionUri, catalog, (id) => dashboards.show(id), log);
  const statusBar = new TrainingStatusBar(runs);
  const compare = new CompareView(context.extensionUri, catalog, (id) => dashboards.show(id), log);
  // Several runs can be selected, to compare them.
  const runsView = vscode.window.createTreeView('genlab.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: false });
  /** Asks for settings (unless given), starts a run of the family or module and opens its dashboard; resolves with the run id. */
  const trainModel = async (ref: ModelRef, overrides?: Partial<ConfigInput<ModelKind>>): Promise<string | undefined> => {
    if (!(await requireTrust())) return undefined;
    const settings = vscode.workspace.getConfiguration('genlab');
    // A setting the person left alone yields to the family's own default (a GAN evaluates more often than a PixelCNN).
    const chosen = <T>(key: string): T | undefined => {
      const i = settings.inspect<T>(key);
      return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    };
    const evalEvery = chosen<number>('evalEvery');
    // Recorded in the run only when the person raised (or lowered) the size limit.
    const maxParameters = chosen<number>('maxParameters');
    const patience = settings.get<number | null>('earlyStopping.patience', null);
    const base = {
      backend: settings.get<BackendChoice>('backend', 'auto'),
      runsDir: catalog.root(),
      keepCheckpoints: settings.get('keepCheckpoints', 2),
      ...(evalEvery ? { evalEvery } : {}),
      ...(maxParameters ? { maxParameters } : {}),
      ...(patience ? { patience } : {}),
    };
    let config: TrainConfig | undefined;
    try {
      config = overrides ? completeConfig({ ...base, ...overrides, ...ref } as ConfigInput<ModelKind>, { nativeInstalled: nativeBackendInstalled() }) : await pickTrainConfig(ref, base, saveExperiment);
    } catch (err) {
      void showError(vscode.l10n.t('GenLab: invalid training settings: {0}', err instanceof Error ? err.message : String(err)), [openSettings('genlab')]);
      return undefined;
    }
    if (!config) return undefined;
    fs.mkdirSync(config.runsDir, { recursive: true });
    const run = await runs.start(config);
    if (run) dashboards.show(run.runId);
    return run?.runId;
  };
  const train = (family: Family, overrides?: Partial<ConfigInput>) => trainModel({ family }, overrides);
  const refreshViews = () => {
    tree.refresh();
    gallery.refresh();
  };

  context.subscriptions.push(
    runs,
    dashboards,
    tree,
    gallery,
    statusBar,
    runsView,
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, compare),
    compare,
    vscode.window.registerWebviewViewProvider(GALLERY_VIEW_ID, gallery),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, dashboards),
    runs.onMessage((event) => {
      dashboards.onRunEvent(event);
      statusBar.update();
      if (event.message.type !== 'metrics') {
        refreshViews();
        compare.runChanged(event.run.runId);
      }
    }),
    catalog.external.onDidUpdate((event) => {
      dashboards.onRunEvent(event);
      if (event.message.type !== 'metrics') compare.runChanged(event.run.runId);
    }),
    runs.onLiveChange(() => {
      statusBar.update(true);
      refreshViews();
    }),
    catalog,
    tellTerminals(context, catalog),
    // Run folders written by anyone (the CLI too), and a runs root that moved.
    catalog.onDidChange(refreshViews),

    vscode.commands.registerCommand('genlab.train', async () => {
      const items = DENSITY_KINDS.flatMap((kind) => {
        const families = FAMILIES.filter((f) => FAMILY_SPECS[f].density.kind === kind);
        return families.length
          ? [
              { label: DENSITY_KIND_LABELS[kind], kind: vscode.QuickPickItemKind.Separator },
              ...families.map((family) => ({ label: FAMILY_SPECS[family].title, detail: FAMILY_SPECS[family].density.summary, family })),
            ]
          : [];
      });
      const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('GenLab: Train a Model'), placeHolder: vscode.l10n.t('Which kind of generative model?'), matchOnDetail: true });
      return pick && 'family' in pick ? train(pick.family) : undefined;
    }),
    ...FAMILIES.map((family) =>
      // With `overrides` (from tests, and later from experiment files) the quick pick is skipped.
      vscode.commands.registerCommand(FAMILY_SPECS[family].command, (overrides?: Partial<ConfigInput>) => train(family, overrides)),
    ),
    vscode.commands.registerCommand('genlab.stopTraining', async () => {
      const live = runs.liveRuns;
      if (live.length <= 1) return runs.stop();
      const pick = await vscode.window.showQuickPick(
        [{ label: vscode.l10n.t('All runs'), runId: undefined }, ...live.map((r) => ({ label: r.title, description: vscode.l10n.t('step {0}/{1}', r.step, r.totalSteps), runId: r.runId }))],
        { title: vscode.l10n.t('GenLab: Stop Training'), placeHolder: vscode.l10n.t('Which run should stop after its current step?') },
      );
      if (pick) runs.stop(pick.runId);
    }),
    vscode.commands.registerCommand('genlab.openDashboard', async (target?: string | RunEntry) => {
      const runId = typeof target === 'string' ? target : (target?.runId ?? (await pickRun(catalog, vscode.l10n.t('GenLab: Open Dashboard'), vscode.l10n.t('Open the dashboard of which run?'))));
      if (runId) dashboards.show(runId);
    }),
    vscode.commands.registerCommand('genlab.showGallery', async () => {
      await vscode.commands.executeCommand(`${GALLERY_VIEW_ID}.focus`);
    }),
    vscode.commands.registerCommand('genlab.refreshRuns', refreshViews),
    vscode.commands.registerCommand('genlab.showLog', () => log.show()),
    ...registerRunCommands({ catalog, runs, dashboards, refresh: () => refreshViews(), log }),
    ...registerExperiments(catalog, (f, o) => train(f, o)),
    // The Explorer calls these with (the file, every selected file); tests and the walkthrough pass their choices instead.
    vscode.commands.registerCommand('genlab.fitDensityToCsv', (target?: vscode.Uri, columns?: unknown, family?: unknown) =>
      fitDensityToCsv((f, o) => train(f, o), uriArgument(target), isStringArray(columns) ? columns : undefined, isFamily(family) ? family : undefined),
    ),
    vscode.commands.registerCommand('genlab.trainOnImageFolder', (target?: vscode.Uri, choices?: unknown) =>
      trainOnImageFolder((f, o) => train(f, o), uriArgument(target), isPlainObject(choices) ? (choices as ImageFolderChoices) : {}),
    ),
    ...registerNativeBackend(log),
    ...registerModelModules({ catalog, runs, dashboards, log, trainerPath: context.asAbsolutePath(path.join('dist', 'trainer.js')), trainModel, extensionUri: context.extensionUri, inspect: (id) => dashboards.show(id, 'model') }),
    vscode.commands.registerCommand('genlab.fitHeightsExample', () => fitHeightsExample(context.extensionUri, (f, o) => train(f, o))),
    vscode.commands.registerCommand('genlab.compareRuns', (first?: RunEntry | string[], selected?: RunEntry[]) =>
      compareRuns(catalog, compare, first, selected, runsView.selection.map((r) => r.runId)),
    ),
  );
  // Last, as VS Code disposes in order: the others may log while they are disposed (the run manager's shutdown does).
  context.subscriptions.push(log);

  void vscode.commands.executeCommand('setContext', 'genlab.training', false);
  const activationMs = performance.now() - started;
  log.info(`GenLab ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms; runs in ${catalog.root()}`);
  return { activationMs, shownRuns: async () => (await tree.getChildren()).map((r) => r.runId), onDidChangeRuns: catalog.onDidChange };
}

/**
 * Compares the runs selected in the Runs tree (its context menu), the run ids given (tests,
 * CodeLens), or those picked from a list (grouped by dataset, since only runs on the same data
 * compare), where the runs selected in the tree start out ticked (the view's title button).
 */
async function compareRuns(catalog: RunCatalog, view: CompareView, first?: RunEntry | string[], selected?: RunEntry[], inTree: string[] = []): Promise<string[] | undefined> {
  let ids = Array.isArray(first) ? first : (selected?.length ? selected : first ? [first] : []).map((r) => r.runId);
  if (ids.length < 2) {
    // Runs still training compare too: the view is a snapshot of where each one is.
    const done = await catalog.list();
    const datasets = [...new Set(done.map((r) => r.dataset))];
    const picks = await vscode.window.showQuickPick(
      datasets.flatMap((dataset) => [
        { label: datasetTitle(dataset), kind: vscode.QuickPickItemKind.Separator },
        ...done.filter((r) => r.dataset === dataset).map((r) => ({ label: r.title, description: r.state, detail: r.runId, runId: r.runId, picked: ids.includes(r.runId) || inTree.includes(r.runId) })),
      ]),
      { title: vscode.l10n.t('GenLab: Compare Runs'), placeHolder: vscode.l10n.t('Pick two or more runs, ideally on the same dataset'), canPickMany: true },
    );
    ids = (picks ?? []).flatMap((p) => ('runId' in p && p.runId ? [p.runId] : []));
    if (ids.length < 2) {
      if (picks) void vscode.window.showInformationMessage(vscode.l10n.t('Pick at least two runs to compare.'));
      return undefined;
    }
  }
  view.show(ids);
  return ids;
}

/**
 * Closing the window or disabling the extension: every trainer stops after its current step and
 * writes its final checkpoint, or is killed after a bound (RunManager.shutdown); none is left
 * running. VS Code disposes the subscriptions right after calling this, without waiting: the run
 * manager's dispose is the same graceful shutdown.
 */
export async function deactivate(): Promise<void> {
  await manager?.shutdown();
}

/** What VS Code disposes when it deactivates the extension; the shutdown test does the same. */
export const subscriptions = (): readonly vscode.Disposable[] => activeSubscriptions;

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
const isFamily = (value: unknown): value is Family => FAMILIES.includes(value as Family);
