/**
 * Model modules in the editor: the commands that train, inspect and create them, the CodeLens and
 * hover beside `defineModel`, and the types that make them type-check in the workspace.
 */
import * as vscode from 'vscode';
import type { ConfigInput, ModelKind } from '../../protocol/config';
import { isPlainObject, uriArgument } from '../commandArguments';
import type { RunCatalog } from '../runCatalog';
import { registerModuleLens } from './moduleLens';
import { newModelFromFamily } from './newModel';
import { type ModuleTrainerDeps, ModuleTrainer } from './trainModule';
import { WorkspaceTypes } from './workspaceTypes';

export interface ModelModuleDeps extends Omit<ModuleTrainerDeps, 'types'> {
  catalog: RunCatalog;
  extensionUri: vscode.Uri;
  /** Opens a run's dashboard on its Model tab. */
  inspect: (runId: string) => void;
}

const overridesArgument = (value: unknown) => (isPlainObject(value) ? (value as Partial<ConfigInput<ModelKind>>) : undefined);

export function registerModelModules(deps: ModelModuleDeps): vscode.Disposable[] {
  const types = new WorkspaceTypes(vscode.Uri.joinPath(deps.extensionUri, 'dist', 'model-types.json').fsPath, deps.log);
  const trainer = new ModuleTrainer({ ...deps, types });
  return [
    trainer,
    ...registerModuleLens(deps.catalog, types),
    // The CodeLens and the Explorer pass the file; experiment files and tests pass settings too, which skip the quick pick.
    vscode.commands.registerCommand('genlab.trainModelModule', (target?: unknown, overrides?: unknown) => trainer.train(uriArgument(target), overridesArgument(overrides))),
    vscode.commands.registerCommand('genlab.inspectModelModule', async (target?: unknown, overrides?: unknown) => {
      const runId = await trainer.train(uriArgument(target), overridesArgument(overrides));
      if (runId) deps.inspect(runId);
      return runId;
    }),
    vscode.commands.registerCommand('genlab.newModelFromFamily', (choice?: unknown) =>
      newModelFromFamily(vscode.Uri.joinPath(deps.extensionUri, 'media', 'templates').fsPath, types, isPlainObject(choice) ? (choice as { family?: string; name?: string }) : undefined),
    ),
  ];
}
