/**
 * Experiment files (`*.genlab.json`) in the editor: a CodeLens above each ("Train", and once it
 * has runs "Open last run" and "Compare runs"), a hover on the family naming its kind of density,
 * and diagnostics for settings that cannot work (the JSON schema covers types and names; these
 * cover what needs the decoders: a family that cannot model the data, a path leaving the
 * workspace, a missing data file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findNodeAtLocation, getLocation, type Node, parseTree } from 'jsonc-parser';
import * as vscode from 'vscode';
import { type ConfigInput, completeConfig, FAMILIES, FAMILY_SPECS, type Family, type TrainConfig } from '../protocol/config';
import { DecodeError } from '../protocol/decode';
import { experimentConfig, experimentFile, experimentInput, familyHover, isModuleExperiment, type ModuleExperimentInput } from '../protocol/experiment';
import { DENSITY_KIND_LABELS } from '../protocol/families/spec';
import { insideRoot, realPathOf } from '../shared/safePaths';
import { runCommand, showError } from './errorActions';
import type { RunCatalog } from './runCatalog';
import { stateLabel } from './stateLabel';

const SELECTOR: vscode.DocumentSelector = { pattern: '**/*.genlab.json' };

type Train = (family: Family, overrides: Partial<ConfigInput>) => Promise<string | undefined>;

const workspaceRoots = () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

/**
 * The config a document describes, or the DecodeError that says what is wrong. The decoder
 * compares the data path as written; here it is compared again after resolving symlinks, since a
 * link inside the workspace can lead anywhere.
 */
function parse(document: vscode.TextDocument, runsDir: string): TrainConfig | ModuleExperimentInput | DecodeError {
  try {
    const input = experimentInput(document.getText(), document.uri.fsPath, workspaceRoots());
    // A model module's options are checked when it is trained: reading what it declares runs its code.
    if (isModuleExperiment(input)) {
      if (!fs.existsSync(input.modulePath)) return new DecodeError('model.module', vscode.l10n.t('{0} does not exist', input.modulePath));
      if (!workspaceRoots().some((root) => insideRoot(root, input.modulePath))) return new DecodeError('model.module', vscode.l10n.t('{0} is a link to {1}, outside the workspace; keep model modules inside the workspace folder', input.modulePath, realPathOf(input.modulePath)));
      return input;
    }
    const config = experimentConfig(document.getText(), document.uri.fsPath, workspaceRoots(), runsDir);
    const data = config.data?.path;
    if (data && !workspaceRoots().some((root) => insideRoot(root, data))) {
      return new DecodeError('data.path', vscode.l10n.t('{0} is a link to {1}, outside the workspace; copy the data into the workspace folder', data, realPathOf(data)));
    }
    return config;
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
}

/** The range of the JSON value at a decoder path such as `model.latentDim` or `data.columns[0]`. */
function rangeOf(document: vscode.TextDocument, decoderPath: string): vscode.Range {
  const root = parseTree(document.getText());
  const segments = decoderPath.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  let node: Node | undefined;
  for (let n = segments.length; n > 0 && !node; n--) node = root && findNodeAtLocation(root, segments.slice(0, n));
  // A missing field (e.g. required) marks the whole object.
  node ??= root;
  if (!node) return new vscode.Range(0, 0, 0, 0);
  const target = node.parent?.type === 'property' ? node.parent : node;
  return new vscode.Range(document.positionAt(target.offset), document.positionAt(target.offset + target.length));
}

export function registerExperiments(catalog: RunCatalog, train: Train): vscode.Disposable[] {
  const diagnostics = vscode.languages.createDiagnosticCollection('genlab');
  const changed = new vscode.EventEmitter<void>();
  const runsOf = async (file: string) => (await catalog.list()).filter((r) => r.experiment === file);

  const check = (document: vscode.TextDocument) => {
    if (!document.uri.fsPath.endsWith('.genlab.json')) return;
    const result = parse(document, catalog.root());
    const problems: vscode.Diagnostic[] = [];
    if (result instanceof DecodeError) {
      problems.push(new vscode.Diagnostic(rangeOf(document, result.path), result.path ? `${result.path}: ${result.problem}` : vscode.l10n.t('The file {0}', result.problem), vscode.DiagnosticSeverity.Error));
    } else if (!isModuleExperiment(result) && result.data && !fs.existsSync(result.data.path)) {
      problems.push(new vscode.Diagnostic(rangeOf(document, 'data.path'), vscode.l10n.t('data.path: {0} does not exist', result.data.path), vscode.DiagnosticSeverity.Error));
    }
    for (const d of problems) d.source = 'GenLab';
    diagnostics.set(document.uri, problems);
  };

  const codeLens: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(document) {
      const top = new vscode.Range(0, 0, 0, 0);
      const runs = await runsOf(document.uri.fsPath);
      const lenses = [new vscode.CodeLens(top, { title: vscode.l10n.t('$(play) Train'), command: 'genlab.trainExperiment', arguments: [document.uri] })];
      if (runs.length) {
        lenses.push(new vscode.CodeLens(top, { title: vscode.l10n.t('Open last run ({0})', stateLabel(runs[0].state)), command: 'genlab.openDashboard', arguments: [runs[0].runId] }));
        if (runs.length > 1) lenses.push(new vscode.CodeLens(top, { title: vscode.l10n.t('Compare runs ({0})', runs.length), command: 'genlab.compareRuns', arguments: [runs.map((r) => r.runId)] }));
      }
      return lenses;
    },
  };

  const hover: vscode.HoverProvider = {
    provideHover(document, position) {
      const location = getLocation(document.getText(), document.offsetAt(position));
      if (location.isAtPropertyKey || location.path.length !== 1 || location.path[0] !== 'family' || location.previousNode?.type !== 'string') return undefined;
      const text = familyHover(String(location.previousNode.value));
      const node = location.previousNode;
      return text ? new vscode.Hover(new vscode.MarkdownString(text), new vscode.Range(document.positionAt(node.offset), document.positionAt(node.offset + node.length))) : undefined;
    },
  };

  /** Trains the experiment in `target` (or the active editor), saving the file first. */
  const trainExperiment = async (target?: vscode.Uri): Promise<string | undefined> => {
    const uri = target ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri?.fsPath.endsWith('.genlab.json')) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a *.genlab.json experiment file to train it.'));
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.isDirty) await document.save();
    const result = parse(document, catalog.root());
    if (result instanceof DecodeError) {
      check(document);
      void showError(vscode.l10n.t('GenLab: {0} cannot train: {1}.', path.basename(uri.fsPath), result.path ? `${result.path}: ${result.problem}` : result.problem), [runCommand(vscode.l10n.t('Show Problems'), 'workbench.actions.view.problems')]);
      return undefined;
    }
    // The file's own settings only: where it is silent, the person's settings (backend, evaluation
    // interval, checkpoints kept) come before the family's defaults, as for any other run.
    const input = experimentInput(document.getText(), uri.fsPath, workspaceRoots());
    if (isModuleExperiment(input)) {
      const { modulePath, family: _family, ...overrides } = input;
      return vscode.commands.executeCommand<string | undefined>('genlab.trainModelModule', vscode.Uri.file(modulePath), overrides);
    }
    const { family, ...overrides } = input;
    return train(family, overrides);
  };

  for (const document of vscode.workspace.textDocuments) check(document);
  return [
    diagnostics,
    changed,
    // A run starting, evaluating, ending or deleted changes what the CodeLens offers.
    catalog.onDidChange(() => changed.fire()),
    vscode.languages.registerCodeLensProvider(SELECTOR, codeLens),
    vscode.languages.registerHoverProvider(SELECTOR, hover),
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
    vscode.commands.registerCommand('genlab.trainExperiment', trainExperiment),
    vscode.commands.registerCommand('genlab.newExperiment', newExperiment),
  ];
}

/** Asks for a family and writes a file with all of its defaults, for the person to edit. */
async function newExperiment(): Promise<vscode.Uri | undefined> {
  const pick = await vscode.window.showQuickPick(
    FAMILIES.map((family) => ({ label: FAMILY_SPECS[family].title, description: DENSITY_KIND_LABELS[FAMILY_SPECS[family].density.kind], family })),
    { title: vscode.l10n.t('GenLab: New Experiment File'), placeHolder: vscode.l10n.t('Which kind of generative model?') },
  );
  return pick && saveExperiment(completeConfig({ family: pick.family }));
}

/**
 * Writes an experiment file for `config` (the settings a quick pick ended with, or a family's
 * defaults) where the person chooses, and opens it. No `$schema`: the extension associates the
 * schema with every *.genlab.json, and a path into this machine's extension folder would break
 * the file for everyone else.
 */
export async function saveExperiment(config: TrainConfig): Promise<vscode.Uri | undefined> {
  // A module's experiment goes beside it, named after it; a family's in the workspace folder.
  const folder = config.module ? vscode.Uri.file(path.dirname(config.module.path)) : vscode.workspace.workspaceFolders?.[0]?.uri;
  const model = config.module ? path.parse(config.module.path).name : config.family;
  const to = await vscode.window.showSaveDialog({
    defaultUri: folder && vscode.Uri.joinPath(folder, `${model}-${config.dataset}.genlab.json`),
    filters: { [vscode.l10n.t('GenLab experiment')]: ['genlab.json'] },
    saveLabel: vscode.l10n.t('Save Experiment'),
  });
  if (!to) return undefined;
  const file = experimentFile(config, path.dirname(to.fsPath));
  await vscode.workspace.fs.writeFile(to, Buffer.from(`${JSON.stringify(file, null, 2)}\n`));
  await vscode.window.showTextDocument(to);
  return to;
}
