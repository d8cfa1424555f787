/**
 * A model module beside its runs: a CodeLens above `defineModel(` (Train, Inspect, and once it
 * has runs Open last run and Compare runs; in a restricted workspace, why it cannot train) and a
 * hover on `defineModel` with the last run's parameter count and score. Only files that import
 * GenLab's API are looked at, and nothing here runs the person's code.
 */
import * as vscode from 'vscode';
import { formatCount, formatValue } from '../../protocol/format';
import { metricLabel } from '../../protocol/metricLabels';
import type { RunCatalog, RunEntry } from '../runCatalog';
import { stateLabel } from '../stateLabel';
import { MODULE_EXTENSIONS } from './trainModule';
import type { WorkspaceTypes } from './workspaceTypes';

export const MODULE_SELECTOR: vscode.DocumentSelector = MODULE_EXTENSIONS.map((ext) => ({ scheme: 'file', pattern: `**/*${ext}` }));

const DEFINE = /\bdefineModel\s*\(/g;
const IMPORTS_API = /\bfrom\s*['"]genlab['"]|\brequire\(\s*['"]genlab['"]\s*\)/;

/** Where `defineModel(` is called in a file that imports GenLab's API. */
export function definitionsIn(text: string): number[] {
  if (!IMPORTS_API.test(text)) return [];
  return [...text.matchAll(DEFINE)].map((m) => m.index);
}

export function registerModuleLens(catalog: RunCatalog, types: WorkspaceTypes): vscode.Disposable[] {
  const changed = new vscode.EventEmitter<void>();
  const runsOf = async (file: string): Promise<RunEntry[]> => (await catalog.list()).filter((r) => r.modulePath === file);
  const typed = new Set<string>();

  const codeLens: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(document) {
      const at = definitionsIn(document.getText()).map((offset) => document.lineAt(document.positionAt(offset).line).range);
      if (!at.length) return [];
      const file = document.uri.fsPath;
      if (!vscode.workspace.isTrusted) {
        return at.map((range) => new vscode.CodeLens(range, { title: vscode.l10n.t('$(shield) Model modules train only in a trusted workspace: Manage Workspace Trust'), command: 'workbench.trust.manage' }));
      }
      if (!typed.has(file)) {
        typed.add(file);
        void types.ensureFor(file);
      }
      const runs = await runsOf(file);
      const uri = document.uri;
      return at.flatMap((range) => [
        new vscode.CodeLens(range, { title: vscode.l10n.t('$(play) Train'), command: 'genlab.trainModelModule', arguments: [uri] }),
        new vscode.CodeLens(range, { title: vscode.l10n.t('$(inspect) Inspect'), tooltip: vscode.l10n.t('Train it and open its dashboard on the Model tab: layers, parameter counts, norms and activations as it trains'), command: 'genlab.inspectModelModule', arguments: [uri] }),
        ...(runs.length ? [new vscode.CodeLens(range, { title: vscode.l10n.t('Open last run ({0})', stateLabel(runs[0].state)), command: 'genlab.openDashboard', arguments: [runs[0].runId] })] : []),
        ...(runs.length > 1 ? [new vscode.CodeLens(range, { title: vscode.l10n.t('Compare runs ({0})', runs.length), command: 'genlab.compareRuns', arguments: [runs.map((r) => r.runId)] })] : []),
      ]);
    },
  };

  const hover: vscode.HoverProvider = {
    async provideHover(document, position) {
      const word = document.getWordRangeAtPosition(position);
      if (!word || document.getText(word) !== 'defineModel' || !definitionsIn(document.getText()).length) return undefined;
      const runs = await runsOf(document.uri.fsPath);
      return new vscode.Hover(new vscode.MarkdownString(moduleHover(runs)), word);
    },
  };

  return [
    changed,
    // A run starting, evaluating or ending changes what the lenses and the hover say; so does trust.
    catalog.onDidChange(() => changed.fire()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.languages.registerCodeLensProvider(MODULE_SELECTOR, codeLens),
    vscode.languages.registerHoverProvider(MODULE_SELECTOR, hover),
  ];
}

/** What the hover on `defineModel` says: the last run's size and score, or how to get them. */
export function moduleHover(runs: readonly RunEntry[]): string {
  const last = runs[0];
  if (!last) return vscode.l10n.t('**GenLab model module**, not trained yet. Train it (the CodeLens above) to see its parameter count and score here.');
  const lines = [vscode.l10n.t('**GenLab model module** · {0} run(s)', runs.length), vscode.l10n.t('Last run: {0} ({1})', last.title, stateLabel(last.state))];
  if (last.parameters !== undefined) lines.push(vscode.l10n.t('{0} parameters', formatCount(last.parameters)));
  const score = last.scoreMetric === undefined ? undefined : last.finalMetrics[last.scoreMetric];
  if (score !== undefined && last.scoreMetric) lines.push(vscode.l10n.t('{0}: {1} (step {2})', metricLabel(last.scoreMetric), formatValue(score), last.step));
  if (last.sourceDigest) lines.push(vscode.l10n.t('Trained version {0}', last.sourceDigest.slice(0, 12)));
  return lines.join('  \n');
}
