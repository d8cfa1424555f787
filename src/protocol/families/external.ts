/**
 * The spec of a run written by a person's own training loop (../external.ts), made from what the
 * loop declared, so that the dashboard, the Runs tree and Compare show it like a family's run.
 * Nothing here trains: GenLab neither starts nor resumes such runs, so the spec has no options.
 */
import { plainObject } from '../decode';
import type { ExternalDeclaration } from '../external';
import type { DensityKind, FamilySpec } from './spec';

const KIND_SUMMARY: Record<DensityKind, string> = {
  'explicit-tractable': 'Explicit, tractable density: the script reports log p(x) itself.',
  'explicit-approximate': 'Explicit, approximate density: the script reports a bound on log p(x), such as the ELBO.',
  implicit: 'Implicit density: the model only draws samples; judge it by its samples.',
  diffusion: 'Diffusion: samples by denoising step by step.',
};

/** The family spec of an external run: titled by the loop's own family name, or a GenLab family's title for its key. */
export function externalSpec(declaration: ExternalDeclaration, familyTitle: (family: string) => string | undefined): FamilySpec<Record<string, unknown>> {
  const { family, densityKind, data, metric } = declaration;
  const title = familyTitle(family) ?? family;
  return {
    title,
    shortTitle: title,
    command: '',
    commandTitle: '',
    lossKey: declaration.loss ?? 'loss',
    density: { kind: densityKind, summary: declaration.summary ?? KIND_SUMMARY[densityKind], ...(metric ? { metric } : {}) },
    datasets: [],
    defaultDataset: data === 'images' ? 'mnist' : 'moons',
    defaults: {},
    options: (input, path) => plainObject(input, path),
    parameters: () => 0,
    fields: [],
  };
}
