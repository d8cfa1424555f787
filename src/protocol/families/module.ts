/**
 * The spec of a person's model module, made from what its definition declares (modelModule.ts),
 * so that the quick pick, the CLI, the dashboard and Compare treat it like a built-in family.
 */
import { IMAGE_DATASETS, PLANE_DATASETS, POINT_DATASETS, type DatasetName } from '../datasets';
import { type Decoder, object } from '../decode';
import { type ModuleDeclaration, type OptionValue, optionFlag, optionRule } from '../modelModule';
import { type DensityKind, type FamilySpec, familySpec, type KindDefaults } from './spec';

/** What a module's run is scored by when it names no metric: what GenLab computes from its logProb. */
const DEFAULT_METRIC: Partial<Record<DensityKind, string>> = { 'explicit-tractable': 'testNll', 'explicit-approximate': 'testNegElbo' };

const DEFAULT_SUMMARY: Record<DensityKind, string> = {
  'explicit-tractable': 'Explicit, tractable density: its logProb is log p(x), exact, so the test NLL is a likelihood.',
  'explicit-approximate': 'Explicit, approximate density: its logProb is a lower bound on log p(x) (such as the ELBO), so the test score bounds the NLL from above.',
  implicit: 'Implicit density: the model only draws samples, so there is no likelihood to score; judge it by its samples.',
  diffusion: 'Diffusion: samples by denoising step by step; the score is whatever its evaluate reports.',
};

/** Steps unless the definition says otherwise: enough to see a small model learn on a CPU. */
const DEFAULT_STEPS = 2000;

export type ModuleOptions = Record<string, OptionValue>;

/** The family spec of a module's declaration: its own title, density kind, options and defaults. */
export function moduleSpec(declaration: ModuleDeclaration): FamilySpec<ModuleOptions> {
  const { title, densityKind, data, defaults = {} } = declaration;
  const entries = Object.entries(declaration.options);
  const modelDefaults = Object.fromEntries(entries.map(([key, o]) => [key, o.default])) as ModuleOptions;
  const { steps, epochs, ...training } = defaults;
  const kindDefaults: KindDefaults<ModuleOptions> = {
    budget: epochs !== undefined ? { epochs } : { steps: steps ?? DEFAULT_STEPS },
    ...training,
    model: modelDefaults,
  };
  const datasets: readonly DatasetName[] = data === 'images' ? [...IMAGE_DATASETS, 'image-folder'] : [...POINT_DATASETS, 'csv'];
  const metric = declaration.metric ?? DEFAULT_METRIC[densityKind];
  return familySpec<ModuleOptions>({
    title,
    shortTitle: title,
    command: 'genlab.trainModelModule',
    commandTitle: 'Train Model Module',
    lossKey: declaration.loss ?? 'loss',
    density: { kind: densityKind, summary: declaration.summary ?? DEFAULT_SUMMARY[densityKind], ...(metric ? { metric } : {}) },
    datasets,
    defaultDataset: data === 'images' ? 'mnist' : PLANE_DATASETS[0],
    defaults: { [data]: kindDefaults },
    options: object(Object.fromEntries(entries.map(([key, o]) => [key, optionRule(o)]))) as Decoder<ModuleOptions>,
    // Not known until the module builds its networks: the trainer counts them then, against the same limit.
    parameters: () => 0,
    fields: entries.map(([key, o]) => ({
      key,
      flag: optionFlag(key),
      label: o.label ?? key,
      prompt: o.description ?? o.label ?? key,
      ...(Array.isArray(o.default) ? { list: true } : {}),
      ...(o.choices ? { choices: o.choices } : {}),
    })),
    ...(declaration.grayscale ? { grayscaleOnly: true } : {}),
    ...(data === 'images' ? { grids: [{ kind: 'samples', title: 'Samples', note: "Drawn by the model's draw(), from the same noise at every evaluation." }] } : {}),
  });
}
