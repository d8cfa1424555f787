/**
 * Training on a person's own files, from the Explorer's context menu or the palette:
 *
 * - "GenLab: Fit Density to CSV": pick one or two numeric columns of a file, then a family that can
 *   model that many dimensions. The file is only sniffed here; the trainer streams it.
 * - "GenLab: Train on Image Folder": pick an image family, the size the images are brought to and
 *   (where the family models colour) grayscale or RGB. The trainer decodes the files.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ConfigInput, DEFAULT_IMAGE_SIZE, FAMILIES, FAMILY_SPECS, type Family } from '../protocol/config';
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
    numeric.map((c) => ({ label: c.name, description: c.numericShare < 1 ? `numbers in ${Math.floor(c.numericShare * 100)}% of the first rows` : undefined, picked: numeric.length <= 2 })),
    { title: `GenLab: Fit Density to ${path.basename(file)}`, placeHolder: 'Pick one column (a 1-D density) or two (2-D)', canPickMany: true },
  );
  if (!picks) return undefined;
  if (picks.length < 1 || picks.length > 2) {
    void vscode.window.showWarningMessage(`Pick one or two columns, not ${picks.length}.`);
    return undefined;
  }
  return picks.map((p) => p.label);
}

/** The families offered, grouped under the kind of density each has. */
async function pickFamily(fitting: Family[], title: string, placeHolder: string): Promise<Family | undefined> {
  const items = DENSITY_KINDS.flatMap((kind) => {
    const families = fitting.filter((f) => FAMILY_SPECS[f].density.kind === kind);
    return families.length
      ? [{ label: DENSITY_KIND_LABELS[kind], kind: vscode.QuickPickItemKind.Separator }, ...families.map((family) => ({ label: FAMILY_SPECS[family].title, detail: FAMILY_SPECS[family].density.summary, family }))]
      : [];
  });
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDetail: true });
  return pick && 'family' in pick ? pick.family : undefined;
}

/** Runs a flow of prompts; a UserError (bad file, no images) becomes an error message naming the fix. */
async function reportingUserErrors(flow: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await flow();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    void vscode.window.showErrorMessage(`GenLab: ${err.message} ${err.hint}`);
    return undefined;
  }
}

/** Resolves with the run id; `columns` and `family` skip their prompts (tests, the walkthrough). */
export async function fitDensityToCsv(train: Train, target?: vscode.Uri, columns?: string[], family?: Family): Promise<string | undefined> {
  const uri =
    target ??
    (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'CSV files': ['csv', 'tsv', 'txt'] }, openLabel: 'Fit Density', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
  if (!uri) return undefined;
  return reportingUserErrors(async () => {
    const chosen = columns ?? (await pickColumns(uri.fsPath));
    if (!chosen) return undefined;
    const dim = chosen.length as 1 | 2;
    const picked = family ?? (await pickFamily(familiesFor(dim), `GenLab: Fit Density to ${path.basename(uri.fsPath)}`, `Which model of this ${dim}-D data?`));
    if (!picked) return undefined;
    return train(picked, { dataset: 'csv', data: { type: 'csv', path: uri.fsPath, columns: chosen }, runName: `${FAMILY_SPECS[picked].shortTitle} on ${path.basename(uri.fsPath)}: ${chosen.join(', ')}` });
  });
}

/** Families with settings for images: those that train on a folder of them. */
export const IMAGE_FAMILIES = FAMILIES.filter((f) => FAMILY_SPECS[f].defaults.images);
/** Families whose model of an image has one value per pixel (their masks order pixels, not colours). */
const GRAYSCALE_ONLY: readonly Family[] = ['pixelcnn'];
const IMAGE_SIZES = [16, 28, 32, 48, 64];

export interface ImageFolderChoices {
  family?: Family;
  size?: number;
  color?: 'grayscale' | 'rgb';
}

/** Resolves with the run id; `choices` skip their prompts (tests). */
export async function trainOnImageFolder(train: Train, target?: vscode.Uri, choices: ImageFolderChoices = {}): Promise<string | undefined> {
  const uri =
    target ??
    (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Train on Images', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
  if (!uri) return undefined;
  const name = path.basename(uri.fsPath);
  const title = `GenLab: Train on ${name}`;
  return reportingUserErrors(async () => {
    const given = choices.family && IMAGE_FAMILIES.includes(choices.family) ? choices.family : undefined;
    const family = given ?? (await pickFamily(IMAGE_FAMILIES, title, 'Which model of these images? (PNG and JPEG files, subfolders included)'));
    if (!family) return undefined;
    const size =
      choices.size ??
      (
        await vscode.window.showQuickPick(
          IMAGE_SIZES.map((s) => ({ label: `${s} × ${s}`, description: s === DEFAULT_IMAGE_SIZE ? 'as MNIST; quick to train' : s > 32 ? 'slower: training time grows with the pixels' : undefined, size: s })),
          { title, placeHolder: 'Images are cropped to their centred square and resized to…' },
        )
      )?.size;
    if (!size) return undefined;
    const color = GRAYSCALE_ONLY.includes(family)
      ? 'grayscale'
      : (choices.color ??
        (
          await vscode.window.showQuickPick(
            [
              { label: 'Grayscale', description: 'one value per pixel', color: 'grayscale' as const },
              { label: 'RGB', description: 'colour: three values per pixel', color: 'rgb' as const },
            ],
            { title, placeHolder: 'Colour' },
          )
        )?.color);
    if (!color) return undefined;
    return train(family, { dataset: 'image-folder', data: { type: 'image-folder', path: uri.fsPath, size, color }, runName: `${FAMILY_SPECS[family].shortTitle} on ${name} (${size}px${color === 'rgb' ? ', RGB' : ''})` });
  });
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
