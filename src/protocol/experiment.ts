/**
 * Experiments as files: a `*.genlab.json` holds a family, its data, hyperparameters, seed and
 * length, and trains from the editor. Its fields are the config's (unset ones take the family's
 * defaults); a data path is relative to the file's folder and may not leave the workspace. The
 * JSON schema the editor validates and completes with is built here from the family specs, so it
 * cannot drift from the decoders.
 */
import * as path from 'node:path';
import { BACKEND_CHOICES, type ConfigInput, completeConfig, FAMILIES, FAMILY_SPECS, type Family, type TrainConfig } from './config';
import { DATASETS, dataKindOf, SOURCE_DATASETS } from './datasets';
import { DecodeError, plainObject } from './decode';
import { DENSITY_KIND_LABELS } from './families/spec';

export const EXPERIMENT_GLOB = '**/*.genlab.json';

/** Where a relative data path points, or why it may not be used. */
export function resolveDataPath(experimentFile: string, dataPath: string, workspaceFolders: string[]): { path: string } | { problem: string } {
  const resolved = path.resolve(path.dirname(experimentFile), dataPath);
  const inside = workspaceFolders.some((root) => {
    const rel = path.relative(root, resolved);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
  return inside ? { path: resolved } : { problem: `${dataPath} resolves to ${resolved}, outside the workspace; keep experiment data inside the workspace folder` };
}

/**
 * The config an experiment file describes, with the family's defaults where it is silent.
 * Throws a DecodeError whose path names the file's field (e.g. `model.latentDim`).
 */
export function experimentConfig(text: string, file: string, workspaceFolders: string[], runsDir: string): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DecodeError('', `is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const { $schema: _schema, name, data, ...rest } = plainObject(raw, '');
  let source = data;
  if (data && typeof data === 'object' && typeof (data as { path?: unknown }).path === 'string') {
    const resolved = resolveDataPath(file, (data as { path: string }).path, workspaceFolders);
    if ('problem' in resolved) throw new DecodeError('data.path', resolved.problem);
    source = { ...data, path: resolved.path };
  }
  const input = { ...rest, ...(name === undefined ? {} : { runName: name }), ...(source === undefined ? {} : { data: source }), runsDir, experiment: file } as ConfigInput;
  try {
    return completeConfig(input);
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(err.path.replace(/^config\.?/, '').replace(/^runName$/, 'name'), err.problem);
    throw err;
  }
}

/** One line on what the family's model says about density, for the hover on `family`. */
export function familyHover(family: string): string | undefined {
  if (!(FAMILIES as readonly string[]).includes(family)) return undefined;
  const spec = FAMILY_SPECS[family as Family];
  return `**${spec.title}**: ${DENSITY_KIND_LABELS[spec.density.kind]}. ${spec.density.summary}`;
}

type Schema = Record<string, unknown>;

function fieldSchema(field: { list?: boolean; choices?: readonly string[]; prompt: string; only?: string }): Schema {
  const description = field.only ? `${field.prompt} (${field.only} only)` : field.prompt;
  if (field.choices) return { enum: [...field.choices], description };
  if (field.list) return { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, description };
  return { type: 'number', description };
}

/** The JSON schema of experiment files: per family, its datasets and its model options. */
export function experimentSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'GenLab experiment',
    description: 'A GenLab training run as a file: train it from the CodeLens above it. Unset fields take the family\'s defaults.',
    type: 'object',
    required: ['family'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', description: 'A name for the runs of this experiment (their title in the views).' },
      family: {
        enum: [...FAMILIES],
        description: 'The model family.',
        markdownEnumDescriptions: FAMILIES.map((f) => familyHover(f)),
      },
      dataset: { enum: [...DATASETS], description: 'Built-in data, or csv / image-folder with `data`. Default: the family\'s.' },
      data: {
        description: 'Your own data, with dataset csv (or image-folder). A relative path resolves against this file\'s folder and must stay in the workspace.',
        oneOf: [
          {
            type: 'object',
            required: ['type', 'path', 'columns'],
            additionalProperties: false,
            properties: { type: { const: 'csv' }, path: { type: 'string' }, columns: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, description: 'One column (1-D data) or two (2-D), by header name or number.' } },
          },
          {
            type: 'object',
            required: ['type', 'path', 'size', 'color'],
            additionalProperties: false,
            properties: { type: { const: 'image-folder' }, path: { type: 'string' }, size: { type: 'integer', minimum: 4, maximum: 128 }, color: { enum: ['grayscale', 'rgb'] } },
          },
        ],
      },
      steps: { type: 'integer', minimum: 1, description: 'Training length in steps (or give epochs).' },
      epochs: { type: 'number', exclusiveMinimum: 0, description: 'Training length in passes over the training set (or give steps).' },
      batchSize: { type: 'integer', minimum: 1, maximum: 4096 },
      learningRate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
      seed: { type: 'integer', minimum: 0 },
      evalEvery: { type: 'integer', minimum: 1, description: 'Steps between test evaluations, sample grids and checkpoints.' },
      backend: { enum: [...BACKEND_CHOICES] },
      model: { type: 'object', description: "The family's own options." },
    },
    not: { required: ['steps', 'epochs'] },
    allOf: FAMILIES.map((family) => {
      const spec = FAMILY_SPECS[family];
      const accepted = [...spec.datasets, ...SOURCE_DATASETS.filter((d) => spec.defaults[dataKindOf(d)])];
      return {
        if: { properties: { family: { const: family } } },
        then: {
          properties: {
            dataset: { enum: accepted, description: `${family} models ${accepted.join(', ')}` },
            model: { type: 'object', additionalProperties: false, properties: Object.fromEntries(spec.fields.map((f) => [f.key, fieldSchema(f)])) },
          },
        },
      };
    }),
  };
}
