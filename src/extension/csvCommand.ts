/**
 * "GenLab: Fit Density to CSV" (the Explorer's context menu on a .csv file, or the palette): pick
 * one or two numeric columns of the file, then a family that can model that many dimensions, and
 * train it on them. The file is only sniffed here; the trainer streams it.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ConfigInput, FAMILIES, FAMILY_SPECS, type Family } from '../protocol/config';
import { DENSITY_KIND_LABELS, DENSITY_KINDS } from '../protocol/families/spec';
import { sniffCsv } from '../trainer/data/csv';
import { UserError } from '../trainer/errors';

type Train = (family: Family, overrides: Partial<ConfigInput>) => Promise<string | undefined>;

/** Families that model data of this dimension: those offered a 1-D or a 2-D built-in dataset. */
export function familiesFor(dim: 1 | 2): Family[] {
  return FAMILIES.filter((f) => FAMILY_SPECS[f].datasets.includes(dim === 1 ? 'bimodal' : '8gaussians'));
}

async function pickColumns(file: string): Promise<string[] | undefined> {
  const shape = sniffCsv(file);
  const numeric = shape.columns.filter((c) => c.numericShare > 0);
  if (!numeric.length) throw new UserError(`${path.basename(file)} has no column of numbers in its first rows.`, 'GenLab fits densities to numeric columns; check the delimiter and the file.');
  const picks = await vscode.window.showQuickPick(
    numeric.map((c) => ({ label: c.name, description: c.numericShare < 1 ? `numbers in ${Math.round(c.numericShare * 100)}% of the first rows` : undefined, picked: numeric.length <= 2 })),
    { title: `GenLab: Fit Density to ${path.basename(file)}`, placeHolder: 'Pick one column (a 1-D density) or two (2-D)', canPickMany: true },
  );
  if (!picks) return undefined;
  if (picks.length < 1 || picks.length > 2) {
    void vscode.window.showWarningMessage(`Pick one or two columns, not ${picks.length}.`);
    return undefined;
  }
  return picks.map((p) => p.label);
}

async function pickFamily(dim: 1 | 2, file: string): Promise<Family | undefined> {
  const fitting = familiesFor(dim);
  const items = DENSITY_KINDS.flatMap((kind) => {
    const families = fitting.filter((f) => FAMILY_SPECS[f].density.kind === kind);
    return families.length
      ? [{ label: DENSITY_KIND_LABELS[kind], kind: vscode.QuickPickItemKind.Separator }, ...families.map((family) => ({ label: FAMILY_SPECS[family].title, detail: FAMILY_SPECS[family].density.summary, family }))]
      : [];
  });
  const pick = await vscode.window.showQuickPick(items, { title: `GenLab: Fit Density to ${path.basename(file)}`, placeHolder: `Which model of this ${dim}-D data?`, matchOnDetail: true });
  return pick && 'family' in pick ? pick.family : undefined;
}

/** Resolves with the run id; `columns` and `family` skip their prompts (tests, the walkthrough). */
export async function fitDensityToCsv(train: Train, target?: vscode.Uri, columns?: string[], family?: Family): Promise<string | undefined> {
  const uri =
    target ??
    (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'CSV files': ['csv', 'tsv', 'txt'] }, openLabel: 'Fit Density', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
  if (!uri) return undefined;
  try {
    const chosen = columns ?? (await pickColumns(uri.fsPath));
    if (!chosen) return undefined;
    const dim = chosen.length as 1 | 2;
    const picked = family ?? (await pickFamily(dim, uri.fsPath));
    if (!picked) return undefined;
    return await train(picked, { dataset: 'csv', data: { type: 'csv', path: uri.fsPath, columns: chosen }, runName: `${FAMILY_SPECS[picked].shortTitle} on ${path.basename(uri.fsPath)}: ${chosen.join(', ')}` });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    void vscode.window.showErrorMessage(`GenLab: ${err.message} ${err.hint}`);
    return undefined;
  }
}

/**
 * The walkthrough's step: copies the example heights.csv into the workspace (genlab-examples/),
 * opens it, and fits a Gaussian to its heights.
 */
export async function fitHeightsExample(extensionUri: vscode.Uri, train: Train): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showInformationMessage('Open a folder first: the example is copied into it.');
    return undefined;
  }
  const target = vscode.Uri.joinPath(folder.uri, 'genlab-examples', 'heights.csv');
  await vscode.workspace.fs.copy(vscode.Uri.joinPath(extensionUri, 'media', 'examples', 'heights.csv'), target, { overwrite: true });
  await vscode.window.showTextDocument(target, { preview: true, preserveFocus: true });
  return fitDensityToCsv(train, target, ['height_cm'], 'gaussian');
}
