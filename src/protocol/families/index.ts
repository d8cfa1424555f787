/**
 * The registry of model families as the protocol knows them. Adding a family adds its spec file
 * here and its trainer module in src/trainer/families/registry.ts; package.json's command and the
 * experiment schema are generated from the spec (see src/trainer/families/family.ts).
 */
import { dataKindOf } from '../datasets';
import { datasetTitle, EXTERNAL, type ExternalDeclaration } from '../external';
import type { ModuleRef } from '../modelModule';
import { externalSpec } from './external';
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

/**
 * A built-in family, a model module with its declaration, or a run a person's own loop wrote
 * (../external.ts) with what it declared: whatever a spec can be made of.
 */
export type ModelRef =
  | { family: Family; module?: undefined; external?: undefined }
  | { family: typeof MODULE; module: ModuleRef; external?: undefined }
  | { family: typeof EXTERNAL; module?: undefined; external: ExternalDeclaration };

const declaredSpecs = new WeakMap<object, FamilySpec<object>>();

/** The spec of a config's or a run's model: its family's, or the one its module or its logging script declares. */
export function specOf(model: ModelRef): FamilySpec<object> {
  if (model.family !== MODULE && model.family !== EXTERNAL) return FAMILY_SPECS[model.family] as FamilySpec<object>;
  const declaration = model.family === MODULE ? model.module.declaration : model.external;
  let spec = declaredSpecs.get(declaration);
  if (!spec) {
    spec = (model.family === MODULE ? moduleSpec(model.module.declaration) : externalSpec(model.external, (f) => (Object.hasOwn(FAMILY_SPECS, f) ? FAMILY_SPECS[f as Family].title : undefined))) as FamilySpec<object>;
    declaredSpecs.set(declaration, spec);
  }
  return spec;
}

/** The eval metric that scores a run of this model on this dataset (lower is better), if it has one: best checkpoints, early stopping and the views all go by it. */
export function scoreMetric(model: ModelRef & { dataset: string }): string | undefined {
  const { density } = specOf(model);
  return density.metricOn?.[dataKindOf(model.dataset)] ?? density.metric;
}

/** "Variational autoencoder · MNIST", or the run's own name with its dataset. */
export function runTitle(config: ModelRef & { dataset: string; runName?: string }): string {
  return `${config.runName ?? specOf(config).title} · ${datasetTitle(config.dataset)}`;
}
