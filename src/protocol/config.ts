/**
 * The training configuration: what the CLI builds from flags, what the extension sends in
 * `start`, and what a run records in run.json. Family-specific options live under `model`,
 * checked by that family's spec (src/protocol/families/), so a family's options and defaults are
 * declared once, in its own file.
 */
import { type DatasetName, DATASETS, dataKindOf, PLANE_DATASETS, SOURCE_DATASETS } from './datasets';
import { arrayOf, DecodeError, type Decoder, type Infer, num, object, oneOf, plainObject, refine, str, tagged } from './decode';
import { FAMILIES, FAMILY_SPECS, type Family, MODULE, type ModelKind, type ModelRef, specOf } from './families';
import type { ModuleOptions } from './families/module';
import type { DataShape, FamilySpec, KindDefaults } from './families/spec';
import { type ModuleRef, moduleRef } from './modelModule';

export { FAMILIES, FAMILY_SPECS, type Family, MODULE, type ModelKind, type ModelRef, specOf };

/** `auto` tries tfjs-node, then wasm, then cpu; the others force one backend. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

type Specs = typeof FAMILY_SPECS;
export type FamilyOptions = { [F in Family]: Infer<Specs[F]['options']> };

/** The longest run, in steps, and the largest interval between evaluations. */
export const MAX_STEPS = 10_000_000;

/**
 * The largest model trained unless the person raises the limit (setting genlab.maxParameters, CLI
 * --max-parameters). Training holds four float32 numbers per parameter (the weight, its gradient
 * and Adam's two moments), so 50 M parameters are 200 MB of weights and about 800 MB in training
 * before any activations: what a laptop can give one run beside the editor. GenLab's defaults are
 * all below 3 M (the largest, RealNVP on MNIST).
 */
export const DEFAULT_MAX_PARAMETERS = 50_000_000;
/** Bytes held per parameter in training: weight, gradient and Adam's two moments, float32 each. */
const TRAINING_BYTES_PER_PARAMETER = 16;

const common = {
  family: oneOf([...FAMILIES, MODULE]),
  dataset: oneOf(DATASETS),
  seed: num({ int: true, min: 0, max: 2 ** 32 - 1 }),
  batchSize: num({ int: true, min: 1, max: 4096, maxBecause: 'every layer\'s activations and gradients grow with the batch, and no dataset here needs more' }),
  learningRate: num({ above: 0, max: 10 }),
  /** Test-set evaluation, sample grids and checkpoints happen every this many steps (and at the end). */
  evalEvery: num({ int: true, min: 1, max: MAX_STEPS, maxBecause: 'no run is longer than that many steps; every run evaluates at its end' }),
  backend: oneOf(BACKEND_CHOICES),
  /** The folder that holds run folders; each run gets a subfolder named by its id. */
  runsDir: str({ nonEmpty: true }),
};
/**
 * The person's own data, for the datasets 'csv' and 'image-folder'. Paths are absolute here: the
 * extension and the CLI resolve them (an experiment file's relative paths against its folder).
 */
/** Side in pixels of a person's images after cropping and resizing, unless they choose another. */
export const DEFAULT_IMAGE_SIZE = 28;

export const dataSource = tagged({
  /** One column gives 1-D data, two give 2-D; names from the header, or 1-based numbers without one. */
  csv: object({ path: str({ nonEmpty: true }), columns: arrayOf(str({ nonEmpty: true }), { minLength: 1 }) }),
  'image-folder': object({
    path: str({ nonEmpty: true }),
    size: num({ int: true, min: 4, max: 128, maxBecause: 'the models here are sized for small images: 128x128 in colour is already 49,152 values an image' }),
    color: oneOf(['grayscale', 'rgb'] as const),
  }),
});
export type DataSource = Infer<typeof dataSource>;

const budget = {
  epochs: num({ above: 0, max: 100000, maxBecause: 'more passes than any dataset here needs; give steps for a run measured in steps' }),
  steps: num({ int: true, min: 1, max: MAX_STEPS, maxBecause: 'days of training on a CPU even at 50 steps a second' }),
};

type Common = { [K in keyof typeof common]: Infer<(typeof common)[K]> } & { module?: ModuleRef; runName?: string; data?: DataSource; experiment?: string; keepCheckpoints?: number; maxParameters?: number; patience?: number };
type Budget = { epochs: number; steps?: undefined } | { steps: number; epochs?: undefined };
/**
 * Distributes over families, so that checking `config.family` narrows `config.model`. A person's
 * model module is `family: 'module'`, with the module it trains and options of its own declaring.
 */
export type TrainConfig<F extends ModelKind = ModelKind> = F extends Family
  ? Common & Budget & { family: F; module?: undefined; model: FamilyOptions[F] }
  : Common & Budget & { family: 'module'; module: ModuleRef; model: ModuleOptions };

/** Checkpoints kept per run (the newest; KEEP_CHECKPOINTS when unset, as in runs older than the setting). */
export const KEEP_CHECKPOINTS = 2;
/**
 * `experiment`: the *.genlab.json file a run was started from, so the file's CodeLens finds its runs.
 * `patience`: early stopping; the run ends after this many evaluations in a row that do not improve its
 * best score (the spec's `density.metric`). Unset, runs train to their budget.
 */
const commonShape = refine(object(common, { ...budget, module: moduleRef, runName: str({ nonEmpty: true }), data: dataSource, experiment: str({ nonEmpty: true }), keepCheckpoints: num({ int: true, min: 1, max: 100 }), maxParameters: num({ int: true, min: 1 }), patience: num({ int: true, min: 1, max: 10000 }) }), (c) => {
  if ((c.epochs === undefined) === (c.steps === undefined)) {
    return { field: c.epochs === undefined ? 'steps' : 'epochs', problem: 'give exactly one of epochs or steps' };
  }
  if ((c.family === MODULE) !== (c.module !== undefined)) {
    return c.module ? { field: 'module', problem: `applies to family "${MODULE}" only; remove it` } : { field: 'module', problem: 'is required for a model module: { "path": ..., "declaration": ... }' };
  }
  const spec = specOf(c as ModelRef);
  // A family by its key, as configs name it; a module by its title.
  const name = c.family === MODULE ? spec.title : c.family;
  const accepted = spec.datasets;
  if ((SOURCE_DATASETS as readonly string[]).includes(c.dataset)) return sourceProblem(spec, name, c.dataset, c.data);
  if (c.data) return { field: 'data', problem: `applies to the datasets ${SOURCE_DATASETS.join(' and ')}, not ${c.dataset}; remove it` };
  return accepted.includes(c.dataset) ? undefined : { field: 'dataset', problem: `${name} cannot model ${c.dataset}; choose one of ${accepted.join(', ')}` };
});

/** Whether a model (a family's spec or a module's) fits points of this dimension: whether it is offered a 1-D or a 2-D built-in dataset. */
export function fitsDimension(spec: FamilySpec, dim: number): boolean {
  return dim === 1 ? spec.datasets.includes('bimodal') : dim === 2 && spec.datasets.some((d) => (PLANE_DATASETS as readonly string[]).includes(d));
}

/** Whether the family can model the person's data: images if it has image defaults; one CSV column if it fits 1-D data, two if 2-D. */
function sourceProblem(spec: ReturnType<typeof specOf>, name: string, dataset: DatasetName, data: DataSource | undefined): { field: string; problem: string } | undefined {
  if (!data || data.type !== dataset) return { field: 'data', problem: `is required for the dataset ${dataset}: { "type": "${dataset}", ... }` };
  if (data.type === 'image-folder') {
    return spec.defaults.images ? undefined : { field: 'dataset', problem: `${name} does not train on images; choose a family for images` };
  }
  const { length } = data.columns;
  if (length > 2) return { field: 'data.columns', problem: `pick one or two columns, not ${length}` };
  return fitsDimension(spec, length) ? undefined : { field: 'data.columns', problem: `${name} cannot model ${length}-D data` };
}

/** Decodes a complete config: common fields, budget, and the family's own options under `model`. */
export const trainConfig: Decoder<TrainConfig> = (input, path) => {
  const { model: rawModel, ...rest } = plainObject(input, path);
  const base = commonShape(rest, path);
  const spec = specOf(base as ModelRef);
  const model = (spec.options as Decoder<object>)(rawModel, `${path}.model`) as Record<string, unknown>;
  const kind = dataKindOf(base.dataset);
  for (const field of spec.fields) {
    if (field.only && field.only !== kind && model[field.key] !== undefined) {
      throw new DecodeError(`${path}.model.${field.key}`, `applies to ${field.only} only, and ${base.dataset} is ${kind}; remove it`);
    }
  }
  // Checked here, before any process allocates anything: a trainer told to build a model that
  // cannot fit would grow until the machine swaps, with no word of why.
  const parameters = (spec.parameters as (model: object, data: DataShape) => number)(model, dataShapeOf(base));
  const limit = base.maxParameters ?? DEFAULT_MAX_PARAMETERS;
  if (parameters > limit) throw new DecodeError(`${path}.model`, tooBig(parameters, limit));
  return { ...base, model } as TrainConfig;
};

/** The shape of one example of the config's data: the dataset's, or that of the person's file or folder. */
export function dataShapeOf({ dataset, data }: { dataset: DatasetName; data?: DataSource }): DataShape {
  if (data?.type === 'image-folder') return { kind: 'images', width: data.size, height: data.size, channels: data.color === 'rgb' ? 3 : 1 };
  // MNIST and Fashion-MNIST.
  if (dataKindOf(dataset) === 'images') return { kind: 'images', width: 28, height: 28, channels: 1 };
  if (data?.type === 'csv') return { kind: 'points', dim: data.columns.length };
  return { kind: 'points', dim: dataset === 'bimodal' ? 1 : 2 };
}

function tooBig(parameters: number, limit: number): string {
  // One decimal at most: 26.7 G, 50 M, 35 k.
  const scaled = (n: number, units: [number, string][]) => {
    const [size, unit] = units.find(([u]) => n >= u) ?? [1, ''];
    return `${Number((n / size).toFixed(1))} ${unit}`.trimEnd();
  };
  const count = (n: number) => scaled(n, [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']]);
  const bytes = (n: number) => (n < 1e6 ? `${Math.ceil(n / 1e3)} kB` : scaled(n, [[1e9, 'GB'], [1e6, 'MB']]));
  return (
    `has ${count(parameters)} parameters (${bytes(parameters * 4)} of weights, about ${bytes(parameters * TRAINING_BYTES_PER_PARAMETER)} in training with Adam), ` +
    `above the limit of ${count(limit)} (${bytes(limit * TRAINING_BYTES_PER_PARAMETER)} in training); make the model smaller, or raise the limit ` +
    '(setting genlab.maxParameters, CLI flag --max-parameters)'
  );
}

export const CONFIG_DEFAULTS = {
  seed: 0,
  batchSize: 128,
  learningRate: 1e-3,
  evalEvery: 500,
  backend: 'auto',
  runsDir: 'runs',
} as const satisfies Partial<Common>;

/** What a config is made from: a family (or a module) and whatever the person chose; completeConfig fills the rest. */
export type ConfigInput<F extends ModelKind = Family> = [F] extends [Family] ? BuiltInInput<F> : [F] extends ['module'] ? ModuleInput : BuiltInInput<Family> | ModuleInput;
type BuiltInInput<F extends Family> = Partial<Omit<Common, 'family' | 'module'>> & { family: F; module?: undefined; epochs?: number; steps?: number; model?: Partial<FamilyOptions[F]> };
type ModuleInput = Partial<Omit<Common, 'family' | 'module'>> & { family: 'module'; module: ModuleRef; epochs?: number; steps?: number; model?: Partial<ModuleOptions> };

/** The model's defaults for this kind of data (its default dataset's kind when none is given), on the native backend where `native`. */
export function familyDefaults<F extends Family>(family: F, dataset?: DatasetName, native = false): KindDefaults<FamilyOptions[F]> {
  return modelDefaults({ family } as ModelRef, dataset, native) as KindDefaults<FamilyOptions[F]>;
}

/** familyDefaults for a built-in family or a module. */
export function modelDefaults(model: ModelRef, dataset?: DatasetName, native = false): KindDefaults<object> {
  const spec = specOf(model);
  const defaults = spec.defaults as Partial<Record<string, KindDefaults<object>>>;
  const kind = defaults[dataKindOf(dataset ?? spec.defaultDataset)] ?? defaults[dataKindOf(spec.defaultDataset)]!;
  if (!native || !kind.native) return kind;
  const { model: nativeModel, ...rest } = kind.native;
  return { ...kind, ...rest, model: { ...kind.model, ...nativeModel } };
}

/** How completeConfig fills what the input leaves out. */
export interface CompletionContext {
  /** GenLab's native backend is installed, so that `auto` will train on it. */
  nativeInstalled?: boolean;
}

/** Whether a run of `backend` trains on the native backend, and so takes the families' native defaults. */
export const trainsNative = (backend: BackendChoice, context: CompletionContext) => backend === 'tensorflow' || (backend === 'auto' && context.nativeInstalled === true);

/** MNIST's and Fashion-MNIST's training images. */
const MNIST_TRAIN_IMAGES = 60000;

/**
 * A training length for a person's folder of images, unless they give one: as many steps as the
 * family's defaults take on MNIST (what they were tuned for). Epochs would not do: ten passes over
 * a folder of fifty images are a few steps.
 */
function ownImagesBudget(model: ModelRef, native: boolean): { steps: number } {
  const { budget, batchSize = CONFIG_DEFAULTS.batchSize } = modelDefaults(model, 'mnist', native);
  return 'steps' in budget ? budget : { steps: Math.round(budget.epochs * Math.ceil(MNIST_TRAIN_IMAGES / batchSize)) };
}

/**
 * Fills the family's defaults (for the kind of data chosen, and for the native backend where the
 * run will train on it) where the input is silent, and validates the result.
 */
export function completeConfig<F extends ModelKind>(input: ConfigInput<F>, context: CompletionContext = {}): TrainConfig<F> {
  // The family (or the module's declaration) picks the defaults, so it is checked before they are looked up.
  oneOf([...FAMILIES, MODULE])(input.family, 'config.family');
  if (input.family === MODULE) moduleRef(input.module, 'config.module');
  const ref = input as ModelRef;
  const spec = specOf(ref);
  const dataset = input.dataset ?? spec.defaultDataset;
  const native = trainsNative(input.backend ?? CONFIG_DEFAULTS.backend, context);
  const { model, budget: kindBudget, native: _tuned, ...defaults } = modelDefaults(ref, dataset, native);
  const budget = dataset === 'image-folder' && spec.defaults.images ? ownImagesBudget(ref, native) : kindBudget;
  const budgetGiven = input.epochs !== undefined || input.steps !== undefined;
  const filled = {
    ...CONFIG_DEFAULTS,
    ...defaults,
    ...input,
    dataset,
    ...(budgetGiven ? {} : budget),
    model: { ...model, ...input.model },
  };
  return trainConfig(JSON.parse(JSON.stringify(filled)), 'config') as TrainConfig<F>;
}
