/**
 * The family that trains a config: a built-in one from the registry, or a person's model module,
 * loaded from its file for a new run and from the copy in the run folder (source/) to resume or
 * sample a run, so a run stays what it was after the file changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MODULE, type TrainConfig, trainConfig } from '../../protocol/config';
import { DecodeError } from '../../protocol/decode';
import type { ModuleSource } from '../../protocol/modelModule';
import { writeFileAtomic } from '../../shared/atomicFile';
import { readRunRecord } from '../../shared/runFolder';
import { insideRoot } from '../../shared/safePaths';
import { UserError } from '../../shared/userError';
import type { ModelFamily } from '../families/family';
import { familyOf } from '../families/registry';
import { commonFolder, type LoadedModule, loadModule } from './load';
import { moduleFamily } from './moduleModel';

export const SOURCE_DIR = 'source';

export interface ResolvedFamily {
  family: ModelFamily;
  /** The config to train: a module's with the declaration its file makes now. */
  config: TrainConfig;
  module?: LoadedModule;
}

/** The family of `config`; `runDir` (resuming or sampling a run) loads a module from the run's own copy. */
export function resolveFamily(config: TrainConfig, runDir?: string): ResolvedFamily {
  if (config.family !== MODULE) return { family: familyOf(config.family) as ModelFamily, config };
  const module = loadModule(runDir === undefined ? config.module.path : copiedEntry(runDir));
  if (JSON.stringify(module.ref.declaration) === JSON.stringify(config.module.declaration)) return { family: moduleFamily(module), config, module };
  // The file changed since the options were chosen: they must still fit what it declares.
  try {
    const current = trainConfig({ ...config, module: { ...module.ref, path: config.module.path } }, 'config');
    return { family: moduleFamily(module), config: current, module };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    throw new UserError(`The model module changed since this run's settings were chosen, and they no longer fit it: ${err.path.replace(/^config\.?/, '')}: ${err.problem}.`, 'Train it again to choose its options afresh.');
  }
}

/** The copied entry of a module's run, checked to lie inside the run's source/ folder (run.json may come from anyone). */
function copiedEntry(runDir: string): string {
  const { source } = readRunRecord(runDir);
  if (!source) throw new UserError(`The run in ${runDir} trained a model module but kept no copy of it (run.json has no "source").`, 'Train the module again to get a run that can be resumed and sampled.');
  const root = path.join(runDir, SOURCE_DIR);
  const entry = path.resolve(root, source.entry);
  if (!insideRoot(root, entry) || !fs.existsSync(entry)) {
    throw new UserError(`The run's source.entry "${source.entry}" is not a file in its ${SOURCE_DIR}/ folder.`, 'The run folder is damaged or was edited by hand; train the module again.');
  }
  return entry;
}

/** Copies the module's files into the run's source/ folder, keeping their layout, and says what it kept. */
export function copySources(module: LoadedModule, runDir: string): ModuleSource {
  const base = commonFolder(module.files);
  const rel = (file: string) => path.relative(base, file).split(path.sep).join('/');
  for (const file of module.files) {
    const target = path.join(runDir, SOURCE_DIR, path.relative(base, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomic(target, fs.readFileSync(file));
  }
  return { entry: rel(module.files[0]), sha256: module.sha256, files: module.files.map(rel) };
}
