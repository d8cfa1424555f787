/**
 * The registry of model families as the protocol knows them. Adding a family adds its spec file
 * here and its trainer module in src/trainer/families/registry.ts; package.json's command and the
 * experiment schema are generated from the spec (see src/trainer/families/family.ts).
 */
import { type DatasetName, dataKindOf } from '../datasets';
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

/** The eval metric that scores a run of this family on this dataset (lower is better), if it has one: best checkpoints, early stopping and the views all go by it. */
export function scoreMetric(family: Family, dataset: DatasetName): string | undefined {
  const { density } = FAMILY_SPECS[family];
  return (density as { metricOn?: Partial<Record<string, string>> }).metricOn?.[dataKindOf(dataset)] ?? density.metric;
}
