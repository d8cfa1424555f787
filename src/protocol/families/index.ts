/**
 * The registry of model families as the protocol knows them. Adding a family adds its spec file
 * here and its trainer module in src/trainer/families/registry.ts; package.json's command and the
 * experiment schema are generated from the spec (see src/trainer/families/family.ts).
 */
import { DATASET_LABELS, type DatasetName, dataKindOf } from '../datasets';
import type { ModuleRef } from '../modelModule';
import { moduleSpec } from './module';
import type { FamilySpec } from './spec';
import { ddpmSpec } from './ddpm';
import { ganSpec } from './gan';
import { gaussianSpec } from './gaussian';
import { mixtureSpec } from './mixture';
import { pixelcnnSpec } from './pixelcnn';
import { realnvpSpec } from './realnvp';
import { vaeSpec } from './vae';

export const FAMILY_SPECS = {
  vae: vaeSpec,
  gaussian: gaussianSpec,
  mixture: mixtureSpec,
  pixelcnn: pixelcnnSpec,
  realnvp: realnvpSpec,
  gan: ganSpec,
  ddpm: ddpmSpec,
};
export type Family = keyof typeof FAMILY_SPECS;
export const FAMILIES = Object.keys(FAMILY_SPECS) as Family[];

/** What a config or run names for a person's model module instead of a family. */
export const MODULE = 'module';
export type ModelKind = Family | typeof MODULE;

/** A built-in family, or a model module with its declaration: whatever a spec can be made of. */
export type ModelRef = { family: Family; module?: undefined } | { family: typeof MODULE; module: ModuleRef };

const moduleSpecs = new WeakMap<ModuleRef['declaration'], FamilySpec<object>>();

/** The spec of a config's or a run's model: its family's, or the one its module declares. */
export function specOf(model: ModelRef): FamilySpec<object> {
  if (model.family !== MODULE) return FAMILY_SPECS[model.family] as FamilySpec<object>;
  const { declaration } = model.module;
  let spec = moduleSpecs.get(declaration);
  if (!spec) moduleSpecs.set(declaration, (spec = moduleSpec(declaration) as FamilySpec<object>));
  return spec;
}

/** The eval metric that scores a run of this model on this dataset (lower is better), if it has one: best checkpoints, early stopping and the views all go by it. */
export function scoreMetric(model: ModelRef & { dataset: DatasetName }): string | undefined {
  const { density } = specOf(model);
  return density.metricOn?.[dataKindOf(model.dataset)] ?? density.metric;
}

/** "Variational autoencoder · MNIST", or the run's own name with its dataset. */
export function runTitle(config: ModelRef & { dataset: DatasetName; runName?: string }): string {
  return `${config.runName ?? specOf(config).title} · ${DATASET_LABELS[config.dataset].title}`;
}
