/**
 * Commands on runs that already exist: resume, rename, export a sample grid, the metrics or the
 * model. (Training new runs lives in extension.ts; the views' own commands beside their views.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig, FAMILY_SPECS, specOf, type TrainConfig } from '../protocol/config';
import { dataKindOf } from '../protocol/datasets';
import { DecodeError } from '../protocol/decode';
import type { GenerateRequest } from '../protocol/messages';
import { latestResumableCheckpoint, listSampleFiles, patchRunRecord, readMetricsLines, readRunForViewing, readTrainedRunRecord } from '../shared/runFolder';
import { exportName as runExportName, exportReadme, modelFiles, newestCheckpoint } from '../shared/modelExport';
import { createFreshFolder, insideRoot, runFolderIn, safeComponent } from '../shared/safePaths';
import { UserError } from '../shared/userError';
import { metricsToCsv } from './metricsCsv';
import type { Dashboards } from './dashboards';
import { type ErrorAction, openFile, openLog, openSettings, runCommand, showError } from './errorActions';
import type { RunCatalog, RunEntry } from './runCatalog';
import type { RunManager } from './runManager';
import { stateLabel } from './stateLabel';

/** Training runs a process and writes files, so it needs a trusted workspace; says so and offers the fix. */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('GenLab trains only in a trusted workspace: training starts a process and writes run folders here.'),
    vscode.l10n.t('Manage Workspace Trust'),
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** A quick pick of runs (those `accept` allows); offers to train when there are none. */
export async function pickRun(catalog: RunCatalog, title: string, placeHolder: string, accept: (run: RunEntry) => boolean = () => true): Promise<string | undefined> {
  const listed = await catalog.list();
  const all = listed.filter(accept);
  if (!all.length) {
    const choice = await vscode.window.showInformationMessage(listed.length ? vscode.l10n.t('No run fits here.') : vscode.l10n.t('GenLab has no runs yet.'), vscode.l10n.t('Train a Model…'));
    if (choice) await vscode.commands.executeCommand('genlab.train');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    all.map((r) => ({ label: r.title, description: vscode.l10n.t('{0} · step {1}/{2}', stateLabel(r.state), r.step, r.totalSteps), detail: r.runId, runId: r.runId })),
    { title, placeHolder },
  );
  return pick?.runId;
}

export interface RunCommandDeps {
  catalog: RunCatalog;
  runs: RunManager;
  dashboards: Dashboards;
  refresh: () => void;
  log: vscode.LogOutputChannel;
}

/**
 * The run a command acts on: the tree item it was invoked on, a run id (tests, CodeLens), or a
 * pick; only a folder directly inside the runs root (its real path), else an error is shown.
 */
async function targetRun({ catalog }: RunCommandDeps, target: RunEntry | string | undefined, title: string, accept?: (run: RunEntry) => boolean): Promise<RunEntry | undefined> {
  const runId = typeof target === 'string' ? target : (target?.runId ?? (await pickRun(catalog, title, vscode.l10n.t('Which run?'), accept)));
  const entry = runId === undefined ? undefined : await catalog.find(runId);
  if (!entry) return undefined;
  const dir = checkedRunFolder(catalog.root(), entry);
  return dir === undefined ? undefined : { ...entry, dir };
}

/**
 * The real path of the entry's folder if it lies directly inside the runs root and its name can
 * name exported files; else shows why not.
 */
function checkedRunFolder(root: string, entry: RunEntry): string | undefined {
  try {
    const dir = runFolderIn(root, entry.dir);
    safeComponent(path.basename(dir), 'The run folder name');
    return dir;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    void showError(vscode.l10n.t('GenLab: {0} {1}', err.message, err.hint), [openSettings('genlab.runsDirectory'), runCommand(vscode.l10n.t('Refresh Runs'), 'genlab.refreshRuns')]);
    return undefined;
  }
}

function exportName(entry: RunEntry): string {
  return runExportName(entry.dir);
}

/**
 * `genlab.resumeRun`: continues a stopped, interrupted, failed or finished run from its last
 * checkpoint, in the same folder, to a step count the person confirms (or `steps` when given).
 * Resolves with the run id once it trains again.
 */
async function resumeRun(deps: RunCommandDeps, target?: RunEntry | string, steps?: number): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const { runs, dashboards } = deps;
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Resume Run'), (r) => r.state !== 'training');
  if (!entry) return undefined;
  if (runs.liveRun(entry.runId)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is still training.', entry.title));
    return undefined;
  }
  const checkpoint = latestResumableCheckpoint(entry.dir);
  if (!checkpoint) {
    void showError(vscode.l10n.t('{0} has no checkpoint with a training state to resume from.', entry.title), [runCommand(vscode.l10n.t('Train a Model…'), 'genlab.train')], {
      detail: vscode.l10n.t('Checkpoints are written every genlab.evalEvery steps and at the end; runs made before GenLab 0.2 have none. Train a new run with the same settings instead.'),
      modal: true,
    });
    return undefined;
  }
  const record = readTrainedRunRecord(entry.dir);
  // A run cut short continues to its planned length; a finished one runs as long again.
  const planned = record.progress.totalSteps;
  const suggested = checkpoint.step < planned ? planned : checkpoint.step + planned;
  const total =
    steps ??
    Number(
      await vscode.window.showInputBox({
        title: vscode.l10n.t('GenLab: Resume {0}', entry.title),
        prompt: vscode.l10n.t('Continue from step {0} (its last checkpoint) up to which step?', checkpoint.step),
        value: String(suggested),
        validateInput: (text) => (Number.isInteger(Number(text)) && Number(text) > checkpoint.step ? undefined : vscode.l10n.t('Enter a whole number above {0}.', checkpoint.step)),
      }),
    );
  if (!Number.isInteger(total) || total <= checkpoint.step) return undefined;
  // Where runs go is this workspace's business, not what the copied run.json says; so is the size limit, when set.
  const limit = vscode.workspace.getConfiguration('genlab').inspect<number>('maxParameters');
  const maxParameters = limit?.workspaceFolderValue ?? limit?.workspaceValue ?? limit?.globalValue;
  let config;
  try {
    config = completeConfig({ ...record.config, runsDir: deps.catalog.root(), epochs: undefined, steps: total, ...(maxParameters ? { maxParameters } : {}) });
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    void showError(vscode.l10n.t('GenLab: {0} cannot resume: {1}.', entry.title, err.message), [openFile(vscode.Uri.file(path.join(entry.dir, 'run.json')), vscode.l10n.t('Open run.json'))]);
    return undefined;
  }
  // A copied run.json may point its data anywhere; the person's own data is read only from this workspace.
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  if (config.data && !folders.some((root) => insideRoot(root, config.data!.path))) {
    // Opening run.json lets the person point it at a copy inside the workspace.
    void showError(vscode.l10n.t('GenLab: {0} cannot resume: its data, {1}, is outside this workspace.', entry.title, config.data.path), [openFile(vscode.Uri.file(path.join(entry.dir, 'run.json')), vscode.l10n.t('Open run.json'))], {
      detail: vscode.l10n.t('Copy the data into the workspace and train a new run on it.'),
      modal: true,
    });
    return undefined;
  }
  const run = await runs.start(config, entry.dir);
  if (run) dashboards.show(run.runId);
  return run?.runId;
}

/** Sets the run's name (its title everywhere); not while a trainer owns run.json. */
async function renameRun(deps: RunCommandDeps, target?: RunEntry | string, newName?: string): Promise<void> {
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Rename Run'));
  if (!entry) return;
  if (deps.runs.liveRun(entry.runId)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is training; rename it when it has stopped.', entry.title));
    return;
  }
  const recorded = readRunForViewing(entry.dir)?.record.name;
  const name = (newName ?? (await vscode.window.showInputBox({ title: vscode.l10n.t('GenLab: Rename Run'), prompt: vscode.l10n.t('A name for the run (empty: its family and dataset)'), value: recorded ?? '' })))?.trim();
  if (name === undefined) return;
  patchRunRecord(entry.dir, ({ name: _name, ...record }) => {
    const { runName: _old, ...config } = record.config;
    return name ? { ...record, name, config: { ...config, runName: name } as TrainConfig } : { ...record, config: config as TrainConfig };
  });
  deps.log.info(`Renamed run ${entry.runId} to "${name}"`);
  deps.refresh();
}

async function exportSamples(deps: RunCommandDeps, target?: RunEntry | string): Promise<void> {
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Export Sample Grid'));
  if (!entry) return;
  const grids = listSampleFiles(entry.dir).reverse();
  if (!grids.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no sample grids yet (models on 1-D or 2-D data draw density views instead).', entry.title));
    return;
  }
  const pick =
    grids.length === 1
      ? { grid: grids[0] }
      : await vscode.window.showQuickPick(
          grids.map((grid) => ({ label: vscode.l10n.t('Step {0}', grid.step), description: grid.kind, grid })),
          { title: vscode.l10n.t('GenLab: Export Sample Grid'), placeHolder: vscode.l10n.t('Which grid? (newest first)') },
        );
  if (!pick) return;
  const to = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(defaultFolder(), `${exportName(entry)}-${path.basename(pick.grid.path)}`), filters: { [vscode.l10n.t('PNG image')]: ['png'] } });
  if (!to) return;
  // The dialog asked before replacing a file, so an existing one is overwritten.
  if (await exported(() => vscode.workspace.fs.copy(vscode.Uri.file(pick.grid.path), to, { overwrite: true }), to, 'genlab.exportSamples', entry)) savedMessage(to);
}

async function exportMetrics(deps: RunCommandDeps, target?: RunEntry | string): Promise<void> {
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Export Metrics as CSV'));
  if (!entry) return;
  const to = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(defaultFolder(), `${exportName(entry)}-metrics.csv`), filters: { CSV: ['csv'] } });
  if (!to) return;
  const csv = Buffer.from(metricsToCsv(readMetricsLines(path.join(entry.dir, 'metrics.jsonl'))));
  if (await exported(() => vscode.workspace.fs.writeFile(to, csv), to, 'genlab.exportMetrics', entry)) savedMessage(to);
}

/**
 * Runs one export's writes; on failure (a read-only or vanished folder, a lost remote connection)
 * says why and offers to pick another place. Resolves with whether the export was written.
 */
async function exported(write: () => Thenable<void>, to: vscode.Uri, command: string, entry: RunEntry): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    void showError(vscode.l10n.t('GenLab: could not write {0}: {1}', shownPath(to), err instanceof Error ? err.message : String(err)), [runCommand(vscode.l10n.t('Choose Another Place'), command, entry.runId)]);
    return false;
  }
}

function savedMessage(to: vscode.Uri): void {
  const reveal = revealFor(to);
  void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}.', path.posix.basename(to.path)), reveal.label).then((c) => c && reveal.run());
}

/**
 * How a file or folder can be shown here: the OS file manager only where the extension runs on the
 * person's own desktop (in a remote or web window it would open on the server, or nowhere); else
 * the Explorer view, for what lies in the workspace; else its path, copied.
 */
export function revealFor(uri: vscode.Uri): ErrorAction {
  if (uri.scheme === 'file' && vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop) {
    return { label: vscode.l10n.t('Reveal in OS'), run: () => vscode.commands.executeCommand('revealFileInOS', uri) };
  }
  if (vscode.workspace.getWorkspaceFolder(uri)) return { label: vscode.l10n.t('Show in Explorer'), run: () => vscode.commands.executeCommand('revealInExplorer', uri) };
  return {
    label: vscode.l10n.t('Copy Path'),
    run: async () => {
      await vscode.env.clipboard.writeText(shownPath(uri));
      void vscode.window.showInformationMessage(vscode.l10n.t('Copied the path {0}: it lies outside the workspace, so the Explorer view cannot show it.', shownPath(uri)));
    },
  };
}

/** A Uri as the person knows it: a path on this machine, else the whole Uri. */
function shownPath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString(true);
}

/**
 * Copies the newest checkpoint's model (TensorFlow.js layers format; not the training state) into
 * a new folder `<folder>/<run folder name>-model/` (`-model-2`… when taken) with a README that says
 * what each file is and how to load it. Links in the checkpoint, and what lies outside the run
 * folder, are not copied: a copied run folder could point them anywhere on this machine.
 * The copy is written through `workspace.fs`, so the folder may be any the dialog offers (the
 * local machine's, from a remote window). Resolves with the new folder (a path, or a Uri elsewhere).
 */
async function exportModel(deps: RunCommandDeps, target?: RunEntry | string, folder?: string | vscode.Uri): Promise<string | undefined> {
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Export Model'));
  if (!entry) return undefined;
  const checkpoint = newestCheckpoint(entry.dir);
  if (!checkpoint) {
    // A run still training writes its first one soon; for the others, the interval is the setting.
    const next = deps.runs.liveRun(entry.runId) ? runCommand(vscode.l10n.t('Open Dashboard'), 'genlab.openDashboard', entry.runId) : openSettings('genlab.evalEvery');
    void showError(vscode.l10n.t('{0} has no checkpoint yet: checkpoints are written every genlab.evalEvery steps and at the end.', entry.title), [next]);
    return undefined;
  }
  const picked = typeof folder === 'string' ? vscode.Uri.file(folder) : (folder ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: vscode.l10n.t('Export Here'), defaultUri: defaultFolder() }))?.[0]);
  if (!picked) return undefined;
  const { step } = checkpoint;
  let out: vscode.Uri | undefined;
  const written = await exported(
    async () => {
      out = await createFreshFolderAt(picked, `${exportName(entry)}-model`);
      for (const file of modelFiles(entry.dir, checkpoint.dir)) {
        await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(out, ...file.split(path.sep)), fs.readFileSync(path.join(checkpoint.dir, file)));
      }
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(out, 'README.md'), Buffer.from(exportReadme(entry.dir, readTrainedRunRecord(entry.dir), step)));
    },
    picked,
    'genlab.exportModel',
    entry,
  );
  if (!written || !out) return undefined;
  deps.log.info(`Exported the model of ${entry.runId} (step ${step}) to ${shownPath(out)}`);
  const reveal = revealFor(out);
  void vscode.window.showInformationMessage(vscode.l10n.t('Exported the model to {0}.', shownPath(out)), reveal.label).then((c) => c && reveal.run());
  return shownPath(out);
}

/**
 * A new folder `name` (or `name-2`, `name-3`…) in `parent`: an export never lands in, or clears, a
 * folder it did not create. On this machine that is an exclusive mkdir on the real path; on any
 * other file system (the local disk seen from a remote window) realpaths mean nothing, so safety is
 * in the names: `name` is one checked component and every file below it is a relative path of a
 * plain file of the run folder, so nothing can be written outside the new folder; a name taken is
 * skipped, though another writer could take it between the check and the creation.
 */
async function createFreshFolderAt(parent: vscode.Uri, name: string): Promise<vscode.Uri> {
  if (parent.scheme === 'file') return vscode.Uri.file(createFreshFolder(parent.fsPath, name));
  safeComponent(name);
  for (let n = 1; ; n++) {
    const dir = vscode.Uri.joinPath(parent, n === 1 ? name : `${name}-${n}`);
    if (await exists(dir)) continue;
    await vscode.workspace.fs.createDirectory(dir);
    return dir;
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (err) {
    if (err instanceof vscode.FileSystemError && err.code === 'FileNotFound') return false;
    throw err;
  }
}

/**
 * `genlab.deleteRun`: after a confirmation, moves the run folder to the trash; where there is none
 * (remote and web windows, desktops without one) asks again before deleting it for good.
 */
async function deleteRun(deps: RunCommandDeps, target?: RunEntry | string): Promise<void> {
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Delete Run'));
  if (!entry) return;
  if (deps.runs.liveRun(entry.runId)) {
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('{0} is still training: stop it before deleting it.', entry.title), vscode.l10n.t('Stop Training'));
    if (choice) deps.runs.stop(entry.runId);
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Delete the run "{0}"?', entry.title),
    { modal: true, detail: vscode.l10n.t('Its folder {0} (metrics, samples, checkpoints) goes to the trash.', entry.dir) },
    vscode.l10n.t('Move to Trash'),
  );
  if (!choice) return;
  deps.dashboards.close(entry.runId);
  const uri = vscode.Uri.file(entry.dir);
  try {
    if (await trashFolder(uri, entry.title, deps.log)) deps.log.info(`Deleted run ${entry.runId} (${entry.dir})`);
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err);
    deps.log.error(`Could not delete ${entry.dir}: ${problem}`);
    void showError(vscode.l10n.t('GenLab: could not delete {0}: {1}', entry.dir, problem), [revealFor(uri), openLog(deps.log)]);
  }
  deps.refresh();
}

/**
 * Moves a folder to the trash; where that fails (remote and web windows have no trash, nor do
 * some desktops), deletes it for good once the person agrees. Resolves with whether it is gone.
 */
async function trashFolder(uri: vscode.Uri, title: string, log: vscode.LogOutputChannel): Promise<boolean> {
  try {
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
    return true;
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err);
    log.warn(`Could not move ${uri.fsPath} to the trash: ${problem}`);
    const again = await vscode.window.showWarningMessage(
      vscode.l10n.t('"{0}" could not be moved to the trash. Delete it permanently?', title),
      { modal: true, detail: vscode.l10n.t('{0}\n\nIts folder {1} cannot be restored afterwards.', problem, uri.fsPath) },
      vscode.l10n.t('Delete Permanently'),
    );
    if (!again) return false;
  }
  await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
  return true;
}

/** Asks for a number; undefined when dismissed. `check` returns a problem text or undefined. */
async function askNumber(title: string, prompt: string, value: number, check: (n: number) => string | undefined): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({ title, prompt, value: String(value), validateInput: (t) => (t.trim() && Number.isFinite(Number(t)) ? check(Number(t)) : vscode.l10n.t('Enter a number.')) });
  return text === undefined ? undefined : Number(text);
}

const wholeIn = (lo: number, hi: number) => (n: number) => (Number.isInteger(n) && n >= lo && n <= hi ? undefined : vscode.l10n.t('Enter a whole number from {0} to {1}.', lo, hi));

/** Runs a generate request with a cancellable progress notification, then opens what it wrote beside the editor. */
async function generateAndShow(deps: RunCommandDeps, entry: RunEntry, request: GenerateRequest): Promise<string | undefined> {
  try {
    const out = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('GenLab: drawing from {0}', entry.title), cancellable: true },
      (_progress, token) => deps.runs.generate(entry.dir, request, token),
    );
    deps.log.info(`${entry.runId}: ${out.caption} → ${out.path}`);
    deps.refresh();
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(out.path), { viewColumn: vscode.ViewColumn.Beside, preview: true });
    return out.path;
  } catch (err) {
    void showError(vscode.l10n.t('GenLab: {0}', err instanceof Error ? err.message : String(err)), [openLog(deps.log)]);
    return undefined;
  }
}

/** Prompts are skipped for the values given (tests, experiment files). */
export interface SampleOptions {
  count?: number;
  seed?: number;
  temperature?: number;
}

/**
 * `genlab.sampleFromRun`: new samples from a run's last checkpoint: a grid into the gallery for
 * image models, a CSV of points for the others. Resolves with the file written.
 */
async function sampleFromRun(deps: RunCommandDeps, target?: RunEntry | string, options: SampleOptions = {}): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Sample from Run'));
  if (!entry) return undefined;
  const { config } = readTrainedRunRecord(entry.dir);
  const spec = specOf(config);
  const title = vscode.l10n.t('GenLab: Sample from {0}', entry.title);
  const images = dataKindOf(config.dataset) === 'images';
  const count = options.count ?? (await askNumber(title, images ? vscode.l10n.t('How many images (a square grid)?') : vscode.l10n.t('How many points (written as CSV)?'), images ? 64 : 2000, wholeIn(1, 4096)));
  if (count === undefined) return undefined;
  const seed = options.seed ?? (await askNumber(title, vscode.l10n.t('Random seed (the same seed draws the same samples)'), Math.floor(Math.random() * 10000), wholeIn(0, 2 ** 32 - 1)));
  if (seed === undefined) return undefined;
  const positive = (t: number) => (t > 0 && t <= 10 ? undefined : vscode.l10n.t('Enter a number above 0, at most 10.'));
  const temperature = options.temperature ?? (spec.temperature ? await askNumber(title, vscode.l10n.t('Temperature (1 = the model as trained). {0}', spec.temperature), 1, positive) : 1);
  if (temperature === undefined) return undefined;
  return generateAndShow(deps, entry, { type: 'samples', count, seed, ...(temperature === 1 ? {} : { temperature }) });
}

/** `genlab.exploreLatentSpace`: an interpolation strip or a traversal grid from a VAE or GAN on images. */
async function exploreLatentSpace(deps: RunCommandDeps, target?: RunEntry | string, request?: GenerateRequest): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Explore Latent Space'), (r) => Boolean(FAMILY_SPECS[r.family as keyof typeof FAMILY_SPECS]?.latentTools) && dataKindOf(r.dataset) === 'images');
  if (!entry) return undefined;
  if (request) return generateAndShow(deps, entry, request);
  const title = vscode.l10n.t('GenLab: Explore the latent space of {0}', entry.title);
  const { config } = readTrainedRunRecord(entry.dir);
  const scatter = specOf(config).latentScatter && 'latentDim' in config.model && config.model.latentDim === 2;
  const tool = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('$(arrow-both) Interpolation'), detail: vscode.l10n.t('Strips decoded along the way from one prior draw to another'), type: 'interpolation' as const },
      { label: vscode.l10n.t('$(layout) Traversal'), detail: vscode.l10n.t('A grid decoded over two latent dimensions, the others held at 0'), type: 'traversal' as const },
      ...(scatter ? [{ label: vscode.l10n.t('$(graph-scatter) Encoded test set'), detail: vscode.l10n.t('The 2-D latent means of 5,000 test images, coloured by their label'), type: 'latentScatter' as const }] : []),
    ],
    { title },
  );
  if (!tool) return undefined;
  if (tool.type === 'latentScatter') return generateAndShow(deps, entry, { type: 'latentScatter', count: 5000 });
  if (tool.type === 'interpolation') {
    const seed = await askNumber(title, vscode.l10n.t('Random seed for the end points'), Math.floor(Math.random() * 10000), wholeIn(0, 2 ** 32 - 1));
    return seed === undefined ? undefined : generateAndShow(deps, entry, { type: 'interpolation', seed, steps: 10, rows: 8 });
  }
  const latent = config.model as { latentDim?: number };
  const top = (latent.latentDim ?? 2) - 1;
  const across = await askNumber(title, vscode.l10n.t('Latent dimension across (0 to {0})', top), 0, wholeIn(0, top));
  const down = across === undefined ? undefined : await askNumber(title, vscode.l10n.t('Latent dimension down (0 to {0}, not {1})', top, across), across === 0 ? 1 : 0, (n) => wholeIn(0, top)(n) ?? (n === across ? vscode.l10n.t('Pick another dimension.') : undefined));
  return down === undefined ? undefined : generateAndShow(deps, entry, { type: 'traversal', dims: [across!, down], steps: 10, range: 3 });
}

/** Dialogs open in the first workspace folder, else the home folder. */
function defaultFolder(): vscode.Uri {
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
}

export function registerRunCommands(deps: RunCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('genlab.resumeRun', (target?: RunEntry | string, steps?: number) => resumeRun(deps, target, steps)),
    vscode.commands.registerCommand('genlab.sampleFromRun', (target?: RunEntry | string, options?: SampleOptions) => sampleFromRun(deps, target, options)),
    vscode.commands.registerCommand('genlab.exploreLatentSpace', (target?: RunEntry | string, request?: GenerateRequest) => exploreLatentSpace(deps, target, request)),
    vscode.commands.registerCommand('genlab.renameRun', (target?: RunEntry | string, name?: string) => renameRun(deps, target, name)),
    vscode.commands.registerCommand('genlab.exportSamples', (target?: RunEntry | string) => exportSamples(deps, target)),
    vscode.commands.registerCommand('genlab.exportMetrics', (target?: RunEntry | string) => exportMetrics(deps, target)),
    vscode.commands.registerCommand('genlab.exportModel', (target?: RunEntry | string, folder?: string | vscode.Uri) => exportModel(deps, target, folder)),
    vscode.commands.registerCommand('genlab.deleteRun', (target?: RunEntry | string) => deleteRun(deps, target)),
    // Two commands for one action, so that each menu says what happens where it is shown.
    ...['genlab.revealRun', 'genlab.showRunFolder'].map((id) =>
      vscode.commands.registerCommand(id, async (target?: RunEntry | string) => {
        const entry = await targetRun(deps, target, vscode.l10n.t('GenLab: Show Run Folder'));
        if (entry) await revealFor(vscode.Uri.file(entry.dir)).run();
      }),
    ),
  ];
}
