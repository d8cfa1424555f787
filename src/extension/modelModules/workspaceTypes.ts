/**
 * Types in the editor for a model module, with nothing installed: the declarations the trainer
 * checks modules against (dist/model-types.json: GenLab's API and TensorFlow.js's) are written
 * into the workspace's `.genlab/types/` (git-ignored, rewritten when GenLab's version changes),
 * and a `tsconfig.json` next to the module maps `genlab` and `@tensorflow/tfjs` to them, unless
 * a tsconfig or jsconfig already covers the module: that one is the person's, so they are told
 * the lines to add instead of having it rewritten. Files rather than a TypeScript server plugin:
 * the same declarations serve the editor, `tsc` in a terminal and the trainer's own check.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../shared/atomicFile';
import { insideRoot } from '../../shared/safePaths';

export const TYPES_DIR = path.join('.genlab', 'types');
const VERSION_FILE = '.version';

interface ModelTypes {
  version: string;
  files: Record<string, string>;
}

/** The compiler options of a workspace tsconfig whose `paths` lead from `configDir` into `typesDir`. */
export function workspaceCompilerOptions(types: ModelTypes, configDir: string, typesDir: string): Record<string, unknown> {
  const { compilerOptions } = JSON.parse(types.files['tsconfig.json']) as { compilerOptions: { paths: Record<string, string[]> } & Record<string, unknown> };
  const into = (target: string) => path.relative(configDir, path.join(typesDir, target)).split(path.sep).join('/');
  const paths = Object.fromEntries(Object.entries(compilerOptions.paths).map(([name, targets]) => [name, targets.map(into)]));
  // The editor's check only: nothing is emitted, and .js modules are checked like .ts ones.
  return { ...compilerOptions, paths, noEmit: true, allowJs: true, checkJs: true };
}

export class WorkspaceTypes {
  private types: ModelTypes | undefined;
  /** Workspace folders told this session that their own tsconfig needs the paths. */
  private readonly told = new Set<string>();

  constructor(
    private readonly typesFile: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private load(): ModelTypes {
    return (this.types ??= JSON.parse(fs.readFileSync(this.typesFile, 'utf8')) as ModelTypes);
  }

  /**
   * Makes sure `modulePath` type-checks in the editor: writes the declarations into its workspace
   * folder (once per GenLab version) and a tsconfig beside it where none covers it. Only in a
   * trusted workspace, and only inside a workspace folder.
   */
  async ensureFor(modulePath: string): Promise<void> {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modulePath))?.uri.fsPath;
    if (!vscode.workspace.isTrusted || !folder || !insideRoot(folder, modulePath)) return;
    try {
      const typesDir = path.join(folder, TYPES_DIR);
      this.writeDeclarations(typesDir);
      const existing = coveringConfig(path.dirname(modulePath), folder);
      if (!existing) {
        const config = path.join(path.dirname(modulePath), 'tsconfig.json');
        writeFileAtomic(config, `${JSON.stringify({ compilerOptions: workspaceCompilerOptions(this.load(), path.dirname(config), typesDir) }, null, 2)}\n`);
        this.log.info(`Wrote ${config}: model modules here type-check against ${typesDir}`);
      } else if (!fs.readFileSync(existing, 'utf8').includes(TYPES_DIR.split(path.sep).join('/')) && !this.told.has(folder)) {
        this.told.add(folder);
        void this.offerPaths(existing, typesDir);
      }
    } catch (err) {
      // Completion is a convenience: training does not depend on it.
      this.log.warn(`Could not write the model module types into ${folder}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private writeDeclarations(typesDir: string): void {
    const types = this.load();
    const versionFile = path.join(typesDir, VERSION_FILE);
    if (fs.existsSync(versionFile) && fs.readFileSync(versionFile, 'utf8') === types.version) return;
    // The standard library is the editor's own; the trainer's checker alone needs lib/.
    for (const [name, text] of Object.entries(types.files)) {
      if (name.startsWith('lib/') || name === 'tsconfig.json') continue;
      const file = path.join(typesDir, name);
      if (!insideRoot(typesDir, file)) continue;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, text);
    }
    writeFileAtomic(path.join(typesDir, '.gitignore'), '# Written by GenLab for model modules; rewritten when GenLab is updated.\n*\n');
    writeFileAtomic(versionFile, types.version);
    this.log.info(`Wrote GenLab ${types.version}'s model module types to ${typesDir}`);
  }

  private async offerPaths(config: string, typesDir: string): Promise<void> {
    const { paths } = workspaceCompilerOptions(this.load(), path.dirname(config), typesDir);
    const lines = JSON.stringify({ compilerOptions: { paths } }, null, 2);
    const copy = vscode.l10n.t('Copy the Paths');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('GenLab: {0} covers your model module; add these compilerOptions.paths to it for completion of tf and the GenLab API.', path.basename(config)),
      { detail: lines },
      copy,
      vscode.l10n.t('Open {0}', path.basename(config)),
    );
    if (choice === copy) await vscode.env.clipboard.writeText(lines);
    else if (choice) await vscode.window.showTextDocument(vscode.Uri.file(config));
  }
}

/** The tsconfig.json or jsconfig.json nearest above `dir`, within the workspace folder. */
function coveringConfig(dir: string, folder: string): string | undefined {
  for (let at = dir; insideRoot(folder, at); at = path.dirname(at)) {
    const found = ['tsconfig.json', 'jsconfig.json'].map((name) => path.join(at, name)).find((f) => fs.existsSync(f));
    if (found) return found;
    if (at === path.dirname(at)) break;
  }
  return undefined;
}
