/**
 * Commands on runs that already exist: resume, rename, export a sample grid, the metrics or the
 * model. (Training new runs lives in extension.ts; the views' own commands beside their views.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeConfig, FAMILY_SPECS, type TrainConfig } from '../protocol/config';
import { dataKindOf } from '../protocol/datasets';
import { DecodeError } from '../protocol/decode';
import type { GenerateRequest } from '../protocol/messages';
import { writeFileAtomic } from '../shared/atomicFile';
import { latestResumableCheckpoint, listSampleFiles, patchRunRecord, readMetricsLines, readRunForViewing, readRunRecord, STATE_FILE } from '../shared/runFolder';
import { createFreshFolder, insideRoot, runFolderIn, safeComponent } from '../shared/safePaths';
import { UserError } from '../shared/userError';
import { metricsToCsv } from './metricsCsv';
import type { Dashboards } from './dashboards';
import type { RunCatalog, RunEntry } from './runCatalog';
import type { RunManager } from './runManager';

/** Training runs a process and writes files, so it needs a trusted workspace; says so and offers the fix. */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(
    'GenLab trains only in a trusted workspace: training starts a process and writes run folders here.',
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** A quick pick of runs (those `accept` allows); offers to train when there are none. */
export async function pickRun(catalog: RunCatalog, title: string, placeHolder: string, accept: (run: RunEntry) => boolean = () => true): Promise<string | undefined> {
  const all = catalog.list().filter(accept);
  if (!all.length) {
    const choice = await vscode.window.showInformationMessage(catalog.list().length ? 'No run fits here.' : 'GenLab has no runs yet.', 'Train a Model…');
    if (choice) await vscode.commands.executeCommand('genlab.train');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    all.map((r) => ({ label: r.title, description: `${r.state} · step ${r.step}/${r.totalSteps}`, detail: r.runId, runId: r.runId })),
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
  const runId = typeof target === 'string' ? target : (target?.runId ?? (await pickRun(catalog, title, 'Which run?', accept)));
  const entry = runId === undefined ? undefined : catalog.find(runId);
  if (!entry) return undefined;
  const dir = checkedRunFolder(catalog.root(), entry);
  return dir === undefined ? undefined : { ...entry, dir };
}

/**
 * The real path of the entry's folder if it lies directly inside the runs root and its name can
 * name exported files; else shows why not.
 */
export function checkedRunFolder(root: string, entry: RunEntry): string | undefined {
  try {
    const dir = runFolderIn(root, entry.dir);
    safeComponent(path.basename(dir), 'The run folder name');
    return dir;
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    void vscode.window.showErrorMessage(`GenLab: ${err.message} ${err.hint}`);
    return undefined;
  }
}

/**
 * What exported files are named after: the run folder's own name, which listing checked is a
 * folder of the runs root, never run.json's `id`, which a copied folder could set to `../..`.
 */
function exportName(entry: RunEntry): string {
  return safeComponent(path.basename(entry.dir), 'The run folder name');
}

/**
 * `genlab.resumeRun`: continues a stopped, interrupted, failed or finished run from its last
 * checkpoint, in the same folder, to a step count the person confirms (or `steps` when given).
 * Resolves with the run id once it trains again.
 */
async function resumeRun(deps: RunCommandDeps, target?: RunEntry | string, steps?: number): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const { runs, dashboards } = deps;
  const entry = await targetRun(deps, target, 'GenLab: Resume Run', (r) => r.state !== 'training');
  if (!entry) return undefined;
  if (runs.liveRun(entry.runId)) {
    void vscode.window.showInformationMessage(`${entry.title} is still training.`);
    return undefined;
  }
  const checkpoint = latestResumableCheckpoint(entry.dir);
  if (!checkpoint) {
    void vscode.window.showErrorMessage(`${entry.title} has no checkpoint with a training state to resume from.`, {
      detail: 'Checkpoints are written every genlab.evalEvery steps and at the end; runs made before GenLab 0.2 have none. Train a new run with the same settings instead.',
      modal: true,
    });
    return undefined;
  }
  const record = readRunRecord(entry.dir);
  // A run cut short continues to its planned length; a finished one runs as long again.
  const planned = record.progress.totalSteps;
  const suggested = checkpoint.step < planned ? planned : checkpoint.step + planned;
  const total =
    steps ??
    Number(
      await vscode.window.showInputBox({
        title: `GenLab: Resume ${entry.title}`,
        prompt: `Continue from step ${checkpoint.step} (its last checkpoint) up to which step?`,
        value: String(suggested),
        validateInput: (text) => (Number.isInteger(Number(text)) && Number(text) > checkpoint.step ? undefined : `Enter a whole number above ${checkpoint.step}.`),
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
    void vscode.window.showErrorMessage(`GenLab: ${entry.title} cannot resume: ${err.message}.`);
    return undefined;
  }
  // A copied run.json may point its data anywhere; the person's own data is read only from this workspace.
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  if (config.data && !folders.some((root) => insideRoot(root, config.data!.path))) {
    void vscode.window.showErrorMessage(`GenLab: ${entry.title} cannot resume: its data, ${config.data.path}, is outside this workspace.`, {
      detail: 'Copy the data into the workspace and train a new run on it.',
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
  const entry = await targetRun(deps, target, 'GenLab: Rename Run');
  if (!entry) return;
  if (deps.runs.liveRun(entry.runId)) {
    void vscode.window.showInformationMessage(`${entry.title} is training; rename it when it has stopped.`);
    return;
  }
  const recorded = readRunForViewing(entry.dir)?.record.name;
  const name = (newName ?? (await vscode.window.showInputBox({ title: 'GenLab: Rename Run', prompt: 'A name for the run (empty: its family and dataset)', value: recorded ?? '' })))?.trim();
  if (name === undefined) return;
  patchRunRecord(entry.dir, ({ name: _name, ...record }) => {
    const { runName: _old, ...config } = record.config;
    return name ? { ...record, name, config: { ...config, runName: name } as TrainConfig } : { ...record, config: config as TrainConfig };
  });
  deps.log.info(`Renamed run ${entry.runId} to "${name}"`);
  deps.refresh();
}

async function exportSamples(deps: RunCommandDeps, target?: RunEntry | string): Promise<void> {
  const entry = await targetRun(deps, target, 'GenLab: Export Sample Grid');
  if (!entry) return;
  const grids = listSampleFiles(entry.dir).reverse();
  if (!grids.length) {
    void vscode.window.showInformationMessage(`${entry.title} has no sample grids yet (models on 1-D or 2-D data draw density views instead).`);
    return;
  }
  const pick =
    grids.length === 1
      ? { grid: grids[0] }
      : await vscode.window.showQuickPick(
          grids.map((grid) => ({ label: `Step ${grid.step}`, description: grid.kind, grid })),
          { title: 'GenLab: Export Sample Grid', placeHolder: 'Which grid? (newest first)' },
        );
  if (!pick) return;
  const to = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(defaultFolder(), `${exportName(entry)}-${path.basename(pick.grid.path)}`), filters: { 'PNG image': ['png'] } });
  if (!to) return;
  // The dialog asked before replacing a file, so an existing one is overwritten.
  if (await exported(() => vscode.workspace.fs.copy(vscode.Uri.file(pick.grid.path), to, { overwrite: true }), to, 'genlab.exportSamples', entry)) savedMessage(to);
}

async function exportMetrics(deps: RunCommandDeps, target?: RunEntry | string): Promise<void> {
  const entry = await targetRun(deps, target, 'GenLab: Export Metrics as CSV');
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
    const choice = await vscode.window.showErrorMessage(`GenLab: could not write ${shownPath(to)}: ${err instanceof Error ? err.message : String(err)}`, 'Choose Another Place');
    if (choice) void vscode.commands.executeCommand(command, entry.runId);
    return false;
  }
}

function savedMessage(to: vscode.Uri): void {
  void vscode.window.showInformationMessage(`Saved ${path.posix.basename(to.path)}.`, ...folderActions(to)).then((c) => c && showFolder(to));
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
 */
async function exportModel(deps: RunCommandDeps, target?: RunEntry | string, folder?: string): Promise<string | undefined> {
  const entry = await targetRun(deps, target, 'GenLab: Export Model');
  if (!entry) return undefined;
  const root = path.join(entry.dir, 'checkpoints');
  const newest = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => /^step-\d{6}$/.test(n)).sort().at(-1) : undefined;
  if (!newest) {
    void vscode.window.showErrorMessage(`${entry.title} has no checkpoint yet: checkpoints are written every genlab.evalEvery steps and at the end.`);
    return undefined;
  }
  const chosen = folder ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Export Here', defaultUri: vscode.Uri.file(defaultFolder()) }))?.[0]?.fsPath;
  if (!chosen) return undefined;
  const out = createFreshFolder(chosen, `${exportName(entry)}-model`);
  const copied = (src: string) => !fs.lstatSync(src).isSymbolicLink() && insideRoot(entry.dir, src) && !path.basename(src).startsWith(path.basename(STATE_FILE, '.json'));
  fs.cpSync(path.join(root, newest), out, { recursive: true, filter: copied });
  fs.writeFileSync(path.join(out, 'README.md'), exportReadme(entry, Number(newest.slice(5))));
  deps.log.info(`Exported the model of ${entry.runId} (step ${Number(newest.slice(5))}) to ${out}`);
  void vscode.window.showInformationMessage(`Exported the model to ${out}.`, 'Reveal').then((c) => c && vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(out)));
  return out;
}

function exportReadme(entry: RunEntry, step: number): string {
  const record = readRunRecord(entry.dir);
  const spec = FAMILY_SPECS[record.config.family];
  return [
    `# ${entry.title}`,
    '',
    `${spec.title} trained by GenLab on ${record.config.dataset}, exported at step ${step}. Run \`${exportName(entry)}\`.`,
    '',
    '## Files',
    spec.exportNote ?? '- One folder per network, in TensorFlow.js layers format (model.json + weights.bin).',
    '',
    '## Loading a layers model',
    'In Node (any tfjs backend), as an ES module (load.mjs):',
    '```js',
    "import * as tf from '@tensorflow/tfjs';",
    "import * as fs from 'node:fs';",
    "const dir = 'decoder'; // a folder that holds model.json",
    "const json = JSON.parse(fs.readFileSync(`${dir}/model.json`, 'utf8'));",
    'const model = await tf.loadLayersModel(tf.io.fromMemory({',
    '  modelTopology: json.modelTopology,',
    '  weightSpecs: json.weightsManifest[0].weights,',
    "  weightData: new Uint8Array(fs.readFileSync(`${dir}/weights.bin`)).buffer,",
    '}));',
    '```',
    "With `@tensorflow/tfjs-node` installed, `tf.loadLayersModel('file://decoder/model.json')` does the same; in a browser, serve the folder and pass its URL.",
    '',
    '## Training configuration',
    '```json',
    JSON.stringify(record.config, null, 2),
    '```',
    '',
  ].join('\n');
}

/** Asks for a number; undefined when dismissed. `check` returns a problem text or undefined. */
async function askNumber(title: string, prompt: string, value: number, check: (n: number) => string | undefined): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({ title, prompt, value: String(value), validateInput: (t) => (t.trim() && Number.isFinite(Number(t)) ? check(Number(t)) : 'Enter a number.') });
  return text === undefined ? undefined : Number(text);
}

const wholeIn = (lo: number, hi: number) => (n: number) => (Number.isInteger(n) && n >= lo && n <= hi ? undefined : `Enter a whole number from ${lo} to ${hi}.`);

/** Runs a generate request with a cancellable progress notification, then opens what it wrote beside the editor. */
async function generateAndShow(deps: RunCommandDeps, entry: RunEntry, request: GenerateRequest): Promise<string | undefined> {
  try {
    const out = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `GenLab: drawing from ${entry.title}`, cancellable: true },
      (_progress, token) => deps.runs.generate(entry.dir, request, token),
    );
    deps.log.info(`${entry.runId}: ${out.caption} → ${out.path}`);
    deps.refresh();
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(out.path), { viewColumn: vscode.ViewColumn.Beside, preview: true });
    return out.path;
  } catch (err) {
    void vscode.window.showErrorMessage(`GenLab: ${err instanceof Error ? err.message : String(err)}`);
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
  const entry = await targetRun(deps, target, 'GenLab: Sample from Run');
  if (!entry) return undefined;
  const { config } = readRunRecord(entry.dir);
  const spec = FAMILY_SPECS[config.family];
  const title = `GenLab: Sample from ${entry.title}`;
  const images = dataKindOf(config.dataset) === 'images';
  const count = options.count ?? (await askNumber(title, images ? 'How many images (a square grid)?' : 'How many points (written as CSV)?', images ? 64 : 2000, wholeIn(1, 4096)));
  if (count === undefined) return undefined;
  const seed = options.seed ?? (await askNumber(title, 'Random seed (the same seed draws the same samples)', Math.floor(Math.random() * 10000), wholeIn(0, 2 ** 32 - 1)));
  if (seed === undefined) return undefined;
  const positive = (t: number) => (t > 0 && t <= 10 ? undefined : 'Enter a number above 0, at most 10.');
  const temperature = options.temperature ?? (spec.temperature ? await askNumber(title, `Temperature (1 = the model as trained). ${spec.temperature}`, 1, positive) : 1);
  if (temperature === undefined) return undefined;
  return generateAndShow(deps, entry, { type: 'samples', count, seed, ...(temperature === 1 ? {} : { temperature }) });
}

/** `genlab.exploreLatentSpace`: an interpolation strip or a traversal grid from a VAE or GAN on images. */
async function exploreLatentSpace(deps: RunCommandDeps, target?: RunEntry | string, request?: GenerateRequest): Promise<string | undefined> {
  if (!(await requireTrust())) return undefined;
  const entry = await targetRun(deps, target, 'GenLab: Explore Latent Space', (r) => Boolean(FAMILY_SPECS[r.family as keyof typeof FAMILY_SPECS]?.latentTools) && dataKindOf(r.dataset) === 'images');
  if (!entry) return undefined;
  if (request) return generateAndShow(deps, entry, request);
  const title = `GenLab: Explore the latent space of ${entry.title}`;
  const { config } = readRunRecord(entry.dir);
  const scatter = FAMILY_SPECS[config.family].latentScatter && 'latentDim' in config.model && config.model.latentDim === 2;
  const tool = await vscode.window.showQuickPick(
    [
      { label: '$(arrow-both) Interpolation', detail: 'Strips decoded along the way from one prior draw to another', type: 'interpolation' as const },
      { label: '$(layout) Traversal', detail: 'A grid decoded over two latent dimensions, the others held at 0', type: 'traversal' as const },
      ...(scatter ? [{ label: '$(graph-scatter) Encoded test set', detail: 'The 2-D latent means of 5,000 test images, coloured by their label', type: 'latentScatter' as const }] : []),
    ],
    { title },
  );
  if (!tool) return undefined;
  if (tool.type === 'latentScatter') return generateAndShow(deps, entry, { type: 'latentScatter', count: 5000 });
  if (tool.type === 'interpolation') {
    const seed = await askNumber(title, 'Random seed for the end points', Math.floor(Math.random() * 10000), wholeIn(0, 2 ** 32 - 1));
    return seed === undefined ? undefined : generateAndShow(deps, entry, { type: 'interpolation', seed, steps: 10, rows: 8 });
  }
  const latent = config.model as { latentDim?: number };
  const top = (latent.latentDim ?? 2) - 1;
  const across = await askNumber(title, `Latent dimension across (0 to ${top})`, 0, wholeIn(0, top));
  const down = across === undefined ? undefined : await askNumber(title, `Latent dimension down (0 to ${top}, not ${across})`, across === 0 ? 1 : 0, (n) => wholeIn(0, top)(n) ?? (n === across ? 'Pick another dimension.' : undefined));
  return down === undefined ? undefined : generateAndShow(deps, entry, { type: 'traversal', dims: [across!, down], steps: 10, range: 3 });
}

/** Dialogs open in the first workspace folder, else the home folder. */
function defaultFolder(): string {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? (process.env.HOME || process.cwd());
}

export function registerRunCommands(deps: RunCommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('genlab.resumeRun', (target?: RunEntry | string, steps?: number) => resumeRun(deps, target, steps)),
    vscode.commands.registerCommand('genlab.sampleFromRun', (target?: RunEntry | string, options?: SampleOptions) => sampleFromRun(deps, target, options)),
    vscode.commands.registerCommand('genlab.exploreLatentSpace', (target?: RunEntry | string, request?: GenerateRequest) => exploreLatentSpace(deps, target, request)),
    vscode.commands.registerCommand('genlab.renameRun', (target?: RunEntry | string, name?: string) => renameRun(deps, target, name)),
    vscode.commands.registerCommand('genlab.exportSamples', (target?: RunEntry | string) => exportSamples(deps, target)),
    vscode.commands.registerCommand('genlab.exportMetrics', (target?: RunEntry | string) => exportMetrics(deps, target)),
    vscode.commands.registerCommand('genlab.exportModel', (target?: RunEntry | string, folder?: string) => exportModel(deps, target, folder)),
  ];
}
