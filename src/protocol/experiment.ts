/**
 * Experiments as files: a `*.genlab.json` holds a family, its data, hyperparameters, seed and
 * length, and trains from the editor. Its fields are the config's (unset ones take the person's
 * settings, then the family's defaults); a data path is relative to the file's folder and may not
 * leave the workspace. The JSON schema the editor validates and completes with is built here from
 * the family specs and the same list of fields the decoder accepts, so it cannot drift from them.
 */
import * as path from 'node:path';
import type { ModuleRef } from './modelModule';
import { BACKEND_CHOICES, type ConfigInput, type ModelKind, MAX_STEPS, completeConfig, familyDefaults, FAMILIES, FAMILY_SPECS, type Family, type TrainConfig } from './config';
import { DATASET_LABELS, DATASETS, type DataKind, dataKindOf, SOURCE_DATASETS } from './datasets';
import { DecodeError, excerpt, plainObject } from './decode';
import { DENSITY_KIND_LABELS, type OptionField } from './families/spec';

type Schema = Record<string, unknown>;

/**
 * The fields an experiment file may hold, with their schema. Where runs go, how many checkpoints
 * they keep and the file's own path are the workspace's business, not the experiment's.
 */
const FILE_FIELDS = {
  $schema: { type: 'string' },
  name: { type: 'string', minLength: 1, description: 'A name for the runs of this experiment (their title in the views).' },
  // Short here: hovering the value shows the full explanation (familyHover), which the schema's own hover would repeat.
  family: { enum: [...FAMILIES], description: 'The model family.', enumDescriptions: FAMILIES.map((f) => `${FAMILY_SPECS[f].title}: ${DENSITY_KIND_LABELS[FAMILY_SPECS[f].density.kind]}`) },
  dataset: {
    enum: [...DATASETS],
    enumDescriptions: DATASETS.map((d) => `${DATASET_LABELS[d].title} (${DATASET_LABELS[d].detail})`),
    description: "Built-in data, or csv / image-folder with `data`. Default: the family's.",
  },
  data: {
    description: "Your own data, with the dataset csv (or image-folder). A relative path resolves against this file's folder and must stay in the workspace.",
    oneOf: [
      {
        type: 'object',
        required: ['type', 'path', 'columns'],
        additionalProperties: false,
        properties: {
          type: { const: 'csv' },
          path: { type: 'string', minLength: 1, description: "The CSV file, relative to this file's folder." },
          columns: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 2, description: 'One column (1-D data) or two (2-D), by header name, or 1-based number as a string without a header.' },
        },
      },
      {
        type: 'object',
        required: ['type', 'path', 'size', 'color'],
        additionalProperties: false,
        properties: {
          type: { const: 'image-folder' },
          path: { type: 'string', minLength: 1, description: "The folder of PNG and JPEG files, relative to this file's folder." },
          size: { type: 'integer', minimum: 4, maximum: 128 },
          color: { enum: ['grayscale', 'rgb'] },
        },
      },
    ],
  },
  steps: { type: 'integer', minimum: 1, maximum: MAX_STEPS, description: 'Training length in steps (or give epochs).' },
  epochs: { type: 'number', exclusiveMinimum: 0, maximum: 100000, description: 'Training length in passes over the training set (or give steps).' },
  batchSize: { type: 'integer', minimum: 1, maximum: 4096 },
  learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
  seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1, description: 'Random seed (initialisation, data order, noise): the same seed and settings give the same run.' },
  evalEvery: { type: 'integer', minimum: 1, maximum: MAX_STEPS, description: 'Steps between test evaluations, sample grids and checkpoints. Default: the setting genlab.evalEvery if set, else the family\'s.' },
  patience: { type: 'integer', minimum: 1, maximum: 10000, description: 'Early stopping: end after this many test evaluations in a row that do not beat the best score. Default: the setting genlab.earlyStopping.patience, else off (train to the end).' },
  backend: { enum: [...BACKEND_CHOICES], description: 'TensorFlow.js backend. Default: the setting genlab.backend.' },
  model: {
    type: 'object',
    description: "The family's own options; unset ones take the family's defaults. Or your own model: `module`, the file of a defineModel({ ... }) (relative to this file), and its options.",
    properties: { module: { type: 'string', minLength: 1, description: "A model module of yours: a .ts or .js file whose default export is defineModel({ ... }), relative to this file's folder, inside the workspace. The model's other fields are its options." } },
  },
} satisfies Record<string, Schema>;

/** An experiment of a person's model module: the file (absolute), its options under `model`; the module's declaration comes from the trainer. */
export type ModuleExperimentInput = Omit<ConfigInput<'module'>, 'module'> & { modulePath: string };

/** Where a relative data path points, or why it may not be used (compared as paths, symlinks not followed). */
export function resolveDataPath(experimentFile: string, dataPath: string, workspaceFolders: string[]): { path: string } | { problem: string } {
  const resolved = path.resolve(path.dirname(experimentFile), dataPath);
  const inside = workspaceFolders.some((root) => {
    const rel = path.relative(root, resolved);
    return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
  });
  return inside ? { path: resolved } : { problem: `${dataPath} resolves to ${resolved}, outside the workspace; keep experiment data inside the workspace folder` };
}

/**
 * The settings an experiment file gives, as training input: its data path made absolute, its name
 * as the run name, the file recorded so its CodeLens finds its runs. Unset fields stay unset, for
 * the person's settings and then the family's defaults to fill. Throws a DecodeError whose path
 * names the file's field (e.g. `data.path`); values are checked by `experimentConfig`.
 */
export function experimentInput(text: string, file: string, workspaceFolders: string[]): ConfigInput | ModuleExperimentInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DecodeError('', `is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const { $schema: _schema, name, data, ...rest } = plainObject(raw, '');
  for (const key of Object.keys(rest)) {
    if (!Object.hasOwn(FILE_FIELDS, key)) throw new DecodeError(excerpt(key), `is not a known field (known: ${Object.keys(FILE_FIELDS).join(', ')})`);
  }
  let source = data;
  if (data && typeof data === 'object' && typeof (data as { path?: unknown }).path === 'string') {
    const resolved = resolveDataPath(file, (data as { path: string }).path, workspaceFolders);
    if ('problem' in resolved) throw new DecodeError('data.path', resolved.problem);
    source = { ...data, path: resolved.path };
  }
  const common = { ...rest, ...(name === undefined ? {} : { runName: name }), ...(source === undefined ? {} : { data: source }), experiment: file };
  const model = rest.model && typeof rest.model === 'object' ? (rest.model as Record<string, unknown>) : undefined;
  if (model?.module === undefined) return common as ConfigInput;
  if (typeof model.module !== 'string' || !model.module) throw new DecodeError('model.module', 'expected the path of a model module, e.g. "models/my-vae.ts"');
  if (rest.family !== undefined) throw new DecodeError('family', 'trains a built-in family; a model module is its own model: remove family, or model.module');
  const resolved = resolveDataPath(file, model.module, workspaceFolders);
  if ('problem' in resolved) throw new DecodeError('model.module', resolved.problem.replace('keep experiment data inside', 'keep model modules inside'));
  const { module: _module, ...options } = model;
  return { ...common, family: 'module', modulePath: resolved.path, model: options } as ModuleExperimentInput;
}

export function isModuleExperiment(input: object): input is ModuleExperimentInput {
  return 'modulePath' in input;
}

/**
 * The complete config an experiment file describes (defaults where it is silent), to check it.
 * Throws a DecodeError whose path names the file's field (e.g. `model.latentDim`).
 */
export function experimentConfig(text: string, file: string, workspaceFolders: string[], runsDir: string, module?: ModuleRef): TrainConfig {
  const found = experimentInput(text, file, workspaceFolders);
  let input: ConfigInput<ModelKind>;
  if (isModuleExperiment(found)) {
    // Its options are checked against what the module declares, which only the trainer can read.
    if (!module) throw new DecodeError('model.module', 'is checked when the module is described (train it, or pass the described module)');
    const { modulePath: _path, ...rest } = found;
    input = { ...rest, module };
  } else {
    input = found;
  }
  try {
    return completeConfig({ ...input, runsDir });
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(err.path.replace(/^config\.?/, '').replace(/^runName$/, 'name'), err.problem);
    throw err;
  }
}

/**
 * The file that gives `config` again from `folder` (where it is saved): its name, family, data
 * (the path relative to the folder), length and hyperparameters, without the workspace's settings.
 */
export function experimentFile(config: TrainConfig, folder: string): Record<string, unknown> {
  // The workspace's own settings (where runs go, the backend, how many checkpoints, the size limit) stay out of the file.
  const { runsDir: _runsDir, backend: _backend, experiment: _experiment, keepCheckpoints: _keep, maxParameters: _limit, runName, data, module, family, model, ...settings } = config;
  const relative = (to: string) => (path.relative(folder, to) || '.').split(path.sep).join('/');
  return {
    ...(runName ? { name: runName } : {}),
    // A module is named by its file, relative like a data path ("./" so that it reads as one), with its options beside it.
    ...(module ? { ...settings, model: { module: relative(module.path).replace(/^(?!\.\.?\/)/, './'), ...model } } : { family, ...settings, model }),
    ...(data ? { data: { ...data, path: relative(data.path) } } : {}),
  };
}

/** One line on what the family's model says about density, for the hover on `family`. */
export function familyHover(family: string): string | undefined {
  if (!(FAMILIES as readonly string[]).includes(family)) return undefined;
  const spec = FAMILY_SPECS[family as Family];
  // Each summary opens with its kind ("Implicit density: ..."); the label says it once, in full.
  return `**${spec.title}** · ${DENSITY_KIND_LABELS[spec.density.kind]}: ${spec.density.summary.replace(/^[^:]*:\s*/, '')}`;
}

/** A model option's schema: its prompt, the kinds of data it applies to, and its defaults for each. */
function fieldSchema(family: Family, field: OptionField): Schema {
  const byKind = (Object.entries(FAMILY_SPECS[family].defaults) as [DataKind, { model: Record<string, unknown> }][])
    .filter(([kind]) => !field.only || field.only === kind)
    .map(([kind, d]) => [kind, JSON.stringify(d.model[field.key])]);
  const defaults = new Set(byKind.map(([, value]) => value)).size === 1 ? byKind[0][1] : byKind.map(([kind, value]) => `${value} for ${kind}`).join(', ');
  const description = `${field.prompt.replace(', comma-separated', '')}${field.only ? ` (${field.only} only)` : ''}. Default: ${defaults}.`;
  if (field.choices) return { enum: [...field.choices], description };
  if (field.list) return { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, description };
  return { type: 'number', description };
}

/** The JSON schema of experiment files: per family, its datasets, its model options, and the settings it has no use for. */
export function experimentSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'GenLab experiment',
    description: "A GenLab training run as a file: train it from the CodeLens above it. Unset fields take the family's defaults.",
    type: 'object',
    // A built-in family, or a model module of the person's.
    anyOf: [{ required: ['family'] }, { required: ['model'], properties: { model: { required: ['module'] } } }],
    additionalProperties: false,
    properties: FILE_FIELDS,
    not: { required: ['steps', 'epochs'] },
    // An empty file completes to a starting point for any family.
    defaultSnippets: FAMILIES.map((family) => {
      const spec = FAMILY_SPECS[family];
      return { label: `GenLab: ${spec.title}`, body: { family, dataset: spec.defaultDataset, ...familyDefaults(family).budget, seed: 0 } };
    }),
    allOf: FAMILIES.map((family) => {
      const spec = FAMILY_SPECS[family];
      const accepted = [...spec.datasets, ...SOURCE_DATASETS.filter((d) => spec.defaults[dataKindOf(d)])];
      const unused = Object.fromEntries((spec.without ?? []).map((key) => [key, { deprecationMessage: `${spec.shortTitle} has no use for ${key}: it is ignored.` }]));
      return {
        if: { properties: { family: { const: family } }, required: ['family'] },
        then: {
          properties: {
            dataset: { enum: accepted },
            model: { type: 'object', additionalProperties: false, properties: Object.fromEntries(spec.fields.map((f) => [f.key, fieldSchema(family, f)])) },
            ...unused,
          },
        },
      };
    }),
  };
}
