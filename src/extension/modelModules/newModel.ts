/**
 * "GenLab: New Model from Family…": writes a working, commented copy of a built-in family as a
 * model module (from media/templates/, the families whose spec names a template) and an
 * experiment file that trains it, into the workspace's models/ folder, and opens the module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FAMILIES, FAMILY_SPECS } from '../../protocol/config';
import { DATASET_LABELS, type DatasetName } from '../../protocol/datasets';
import { DENSITY_KIND_LABELS } from '../../protocol/families/spec';
import { writeFileAtomic } from '../../shared/atomicFile';
import type { WorkspaceTypes } from './workspaceTypes';

/** A file name a person would give a module: letters, digits, dashes and underscores. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The experiment file that trains the module at `./<name>.ts` on `dataset` with the module's defaults. */
export function templateExperiment(title: string, name: string, dataset: DatasetName): Record<string, unknown> {
  return { name: `${title} on ${DATASET_LABELS[dataset].title}`, dataset, model: { module: `./${name}.ts` } };
}

/** Resolves with the module written, or undefined if the person stopped. */
export async function newModelFromFamily(templatesDir: string, types: WorkspaceTypes, choice?: { family?: string; name?: string }): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a folder first: GenLab writes the model module into it.'));
    return undefined;
  }
  const offered = FAMILIES.filter((f) => FAMILY_SPECS[f].template);
  const family =
    offered.find((f) => f === choice?.family) ??
    (
      await vscode.window.showQuickPick(
        offered.map((f) => ({ label: FAMILY_SPECS[f].title, description: DENSITY_KIND_LABELS[FAMILY_SPECS[f].density.kind], detail: vscode.l10n.t('trains on {0}', DATASET_LABELS[FAMILY_SPECS[f].template!.dataset].title), family: f })),
        { title: vscode.l10n.t('GenLab: New Model from Family'), placeHolder: vscode.l10n.t('Start your model from which family? You get its code to change.') },
      )
    )?.family;
  if (!family) return undefined;
  const template = FAMILY_SPECS[family].template!;
  const name =
    choice?.name ??
    (await vscode.window.showInputBox({
      title: vscode.l10n.t('GenLab: New Model from Family'),
      prompt: vscode.l10n.t('File name of the model module, in models/'),
      value: `my-${path.basename(template.file, '.ts')}`,
      validateInput: (v) => (NAME.test(v) ? undefined : vscode.l10n.t('Letters, digits, - and _ only (no extension)')),
    }));
  if (!name || !NAME.test(name)) return undefined;
  const dir = path.join(folder, 'models');
  const moduleFile = path.join(dir, `${name}.ts`);
  const experimentFile = path.join(dir, `${name}.genlab.json`);
  const existing = [moduleFile, experimentFile].filter((f) => fs.existsSync(f));
  if (existing.length && !choice?.name) {
    const replace = vscode.l10n.t('Replace');
    const answer = await vscode.window.showWarningMessage(vscode.l10n.t('{0} already exists. Replace it?', existing.map((f) => path.relative(folder, f)).join(vscode.l10n.t(' and '))), { modal: true }, replace);
    if (answer !== replace) return undefined;
  }
  const source = fs.readFileSync(path.join(templatesDir, template.file), 'utf8');
  const title = /title: '([^']+)'/.exec(source)?.[1] ?? FAMILY_SPECS[family].title;
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(moduleFile, source);
  writeFileAtomic(experimentFile, `${JSON.stringify(templateExperiment(title, name, template.dataset), null, 2)}\n`);
  await types.ensureFor(moduleFile);
  const uri = vscode.Uri.file(moduleFile);
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri;
}
