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
import { type ConfigInput, type DataSource, DEFAULT_IMAGE_SIZE, FAMILIES, FAMILY_SPECS, type Family, fitsDimension } from '../protocol/config';
import { DENSITY_KIND_LABELS, DENSITY_KINDS, type FamilySpec } from '../protocol/families/spec';
import { sniffCsv } from '../shared/csv';
import { UserError } from '../shared/userError';
import { openFile, runCommand, showError } from './errorActions';

type Train = (family: Family, overrides: Partial<ConfigInput>) => Promise<string | undefined>;

/** Families that model data of this dimension. */
export function familiesFor(dim: 1 | 2): Family[] {
  return FAMILIES.filter((f) => fitsDimension(FAMILY_SPECS[f], dim));
}

export async function pickColumns(file: string): Promise<string[] | undefined> {
  const shape = sniffCsv(file);
  const numeric = shape.columns.filter((c) => c.numericShare > 0);
  if (!numeric.length) throw new UserError(vscode.l10n.t('{0} has no column of numbers in its first rows.', path.basename(file)), vscode.l10n.t('GenLab fits densities to numeric columns; check the delimiter and the file.'));
  const picks = await vscode.window.showQuickPick(
    numeric.map((c) => ({ label: c.name, description: c.numericShare < 1 ? vscode.l10n.t('numbers in {0}% of the first rows', Math.floor(c.numericShare * 100)) : undefined, picked: numeric.length <= 2 })),
    { title: vscode.l10n.t('GenLab: Fit Density to {0}', path.basename(file)), placeHolder: vscode.l10n.t('Pick one column (a 1-D density) or two (2-D)'), canPickMany: true },
  );
  if (!picks) return undefined;
  if (picks.length < 1 || picks.length > 2) {
    const again = await vscode.window.showWarningMessage(vscode.l10n.t('Pick one or two columns, not {0}.', picks.length), vscode.l10n.t('Pick Again'));
    return again ? pickColumns(file) : undefined;
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

/**
 * Runs a flow of prompts; a UserError (bad file, no images) becomes an error message naming the
 * fix, with a button to open the file or show the folder it is about.
 */
export async function reportingUserErrors<T>(flow: () => Promise<T | undefined>, source?: vscode.Uri): Promise<T | undefined> {
  try {
    return await flow();
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const show = !source ? [] : source.fsPath.toLowerCase().endsWith('.csv') ? [openFile(source)] : [runCommand(vscode.l10n.t('Show Folder'), 'revealInExplorer', source)];
    void showError(vscode.l10n.t('GenLab: {0} {1}', err.message, err.hint), show);
    return undefined;
  }
}

/** Resolves with the run id; `columns` and `family` skip their prompts (tests, the walkthrough). */
export async function fitDensityToCsv(train: Train, target?: vscode.Uri, columns?: string[], family?: Family): Promise<string | undefined> {
  const uri = target ?? (await pickCsvFile());
  if (!uri) return undefined;
  return reportingUserErrors(async () => {
    const chosen = columns ?? (await pickColumns(uri.fsPath));
    if (!chosen) return undefined;
    const dim = chosen.length as 1 | 2;
    const picked = family ?? (await pickFamily(familiesFor(dim), vscode.l10n.t('GenLab: Fit Density to {0}', path.basename(uri.fsPath)), vscode.l10n.t('Which model of this {0}-D data?', dim)));
    if (!picked) return undefined;
    const data: DataSource = { type: 'csv', path: uri.fsPath, columns: chosen };
    return train(picked, { dataset: 'csv', data, runName: ownDataRunName(FAMILY_SPECS[picked], data) });
  }, uri);
}

/** Families with settings for images: those that train on a folder of them. */
export const IMAGE_FAMILIES = FAMILIES.filter((f) => FAMILY_SPECS[f].defaults.images);
const IMAGE_SIZES = [16, 28, 32, 48, 64];

export interface ImageFolderChoices {
  family?: Family;
  size?: number;
  color?: 'grayscale' | 'rgb';
}

export type ImageSource = Extract<DataSource, { type: 'image-folder' }>;

/** The size and (where the family models colour) the colour of the folder's images; `choices` skip their prompts. */
export async function pickImageSource(folder: string, spec: FamilySpec, title: string, choices: ImageFolderChoices = {}): Promise<ImageSource | undefined> {
  const size =
    choices.size ??
    (
      await vscode.window.showQuickPick(
        IMAGE_SIZES.map((s) => ({ label: `${s} × ${s}`, description: s === DEFAULT_IMAGE_SIZE ? vscode.l10n.t('as MNIST; quick to train') : s > 32 ? vscode.l10n.t('slower: training time grows with the pixels') : undefined, size: s })),
        { title, placeHolder: vscode.l10n.t('Images are cropped to their centred square and resized to…') },
      )
    )?.size;
  if (!size) return undefined;
  const color = spec.grayscaleOnly
    ? 'grayscale'
    : (choices.color ??
      (
        await vscode.window.showQuickPick(
          [
            { label: vscode.l10n.t('Grayscale'), description: vscode.l10n.t('one value per pixel'), color: 'grayscale' as const },
            { label: vscode.l10n.t('RGB'), description: vscode.l10n.t('colour: three values per pixel'), color: 'rgb' as const },
          ],
          { title, placeHolder: vscode.l10n.t('Colour') },
        )
      )?.color);
  return color && { type: 'image-folder', path: folder, size, color };
}

/** A name for a run on the person's own data, e.g. "VAE on faces (32px, RGB)" or "Gaussian on heights.csv: height". */
export function ownDataRunName(spec: FamilySpec, data: DataSource): string {
  const name = path.basename(data.path);
  const what = data.type === 'csv' ? `${name}: ${data.columns.join(', ')}` : vscode.l10n.t('{0} ({1}px{2})', name, data.size, data.color === 'rgb' ? ', RGB' : '');
  return vscode.l10n.t('{0} on {1}', spec.shortTitle, what);
}

/** Resolves with the run id; `choices` skip their prompts (tests). */
export async function trainOnImageFolder(train: Train, target?: vscode.Uri, choices: ImageFolderChoices = {}): Promise<string | undefined> {
  const uri = target ?? (await pickImageFolder());
  if (!uri) return undefined;
  const title = vscode.l10n.t('GenLab: Train on {0}', path.basename(uri.fsPath));
  return reportingUserErrors(async () => {
    const given = choices.family && IMAGE_FAMILIES.includes(choices.family) ? choices.family : undefined;
    const family = given ?? (await pickFamily(IMAGE_FAMILIES, title, vscode.l10n.t('Which model of these images? (PNG and JPEG files, subfolders included)')));
    if (!family) return undefined;
    const data = await pickImageSource(uri.fsPath, FAMILY_SPECS[family], title, choices);
    return data && train(family, { dataset: 'image-folder', data, runName: ownDataRunName(FAMILY_SPECS[family], data) });
  }, uri);
}

export async function pickImageFolder(): Promise<vscode.Uri | undefined> {
  return (await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: vscode.l10n.t('Train on Images'), defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
}

export async function pickCsvFile(): Promise<vscode.Uri | undefined> {
  return (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('CSV files')]: ['csv', 'tsv', 'txt'] }, openLabel: vscode.l10n.t('Fit Density'), defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri }))?.[0];
}

/**
 * The walkthrough's step: copies the example CSV file of the family that declares one (a Gaussian
 * fitted to heights) into the workspace (genlab-examples/), opens it, and fits that family to it.
 */
export async function fitHeightsExample(extensionUri: vscode.Uri, train: Train): Promise<string | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a folder first: the example is copied into it.'));
    return undefined;
  }
  const family = FAMILIES.find((f) => FAMILY_SPECS[f].example);
  const example = family && FAMILY_SPECS[family].example;
  if (!example) throw new Error('No family spec declares the walkthrough example');
  const target = vscode.Uri.joinPath(folder.uri, 'genlab-examples', example.file);
  await vscode.workspace.fs.copy(vscode.Uri.joinPath(extensionUri, 'media', 'examples', example.file), target, { overwrite: true });
  await vscode.window.showTextDocument(target, { preview: true, preserveFocus: true });
  return fitDensityToCsv(train, target, example.columns, family);
}
