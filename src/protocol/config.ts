/**
 * The training configuration: what the CLI builds from flags, what the extension sends in
 * `start`, and what a run records in run.json. Family-specific options live under `model`,
 * checked by that family's decoder, so adding a family adds one entry to FAMILY_OPTIONS.
 */
import { arrayOf, type Decoder, type Infer, num, object, oneOf, plainObject, refine, str } from './decode';

export const FAMILIES = ['vae'] as const;
export type Family = (typeof FAMILIES)[number];

export const DATASETS = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** `auto` tries tfjs-node, then wasm, then cpu; the others force one backend. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

const vaeOptions = object({
  latentDim: num({ int: true, min: 1, max: 1024 }),
  hiddenSizes: arrayOf(num({ int: true, min: 1, max: 8192 }), { minLength: 1 }),
});
export type VaeOptions = Infer<typeof vaeOptions>;

const FAMILY_OPTIONS = { vae: vaeOptions } satisfies Record<Family, Decoder<object>>;
export type FamilyOptions = { [F in Family]: Infer<(typeof FAMILY_OPTIONS)[F]> };

export const FAMILY_DEFAULTS: FamilyOptions = {
  vae: { latentDim: 20, hiddenSizes: [400] },
};

const common = {
  family: oneOf(FAMILIES),
  dataset: oneOf(DATASETS),
  seed: num({ int: true, min: 0, max: 2 ** 32 - 1 }),
  batchSize: num({ int: true, min: 1, max: 4096 }),
  learningRate: num({ above: 0, max: 10 }),
  /** Test-set evaluation, sample grids and checkpoints happen every this many steps (and at the end). */
  evalEvery: num({ int: true, min: 1 }),
  backend: oneOf(BACKEND_CHOICES),
  /** The folder that holds run folders; each run gets a subfolder named by its id. */
  runsDir: str({ nonEmpty: true }),
};
const budget = {
  epochs: num({ above: 0, max: 100000 }),
  steps: num({ int: true, min: 1 }),
};

type Common = { [K in keyof typeof common]: Infer<(typeof common)[K]> } & { runName?: string };
type Budget = { epochs: number; steps?: undefined } | { steps: number; epochs?: undefined };
export type TrainConfig<F extends Family = Family> = Common & Budget & { family: F; model: FamilyOptions[F] };

const commonShape = refine(object(common, { ...budget, runName: str({ nonEmpty: true }) }), (c) =>
  (c.epochs === undefined) === (c.steps === undefined)
    ? { field: c.epochs === undefined ? 'steps' : 'epochs', problem: 'give exactly one of epochs or steps' }
    : undefined,
);

/** Decodes a complete config: common fields, budget, and the family's own options under `model`. */
export const trainConfig: Decoder<TrainConfig> = (input, path) => {
  const { model, ...rest } = plainObject(input, path);
  const base = commonShape(rest, path);
  return { ...base, model: FAMILY_OPTIONS[base.family](model, `${path}.model`) } as TrainConfig;
};

export const CONFIG_DEFAULTS = {
  dataset: 'mnist',
  seed: 0,
  batchSize: 128,
  learningRate: 1e-3,
  evalEvery: 500,
  backend: 'auto',
  runsDir: 'runs',
} as const satisfies Partial<Common>;

export type ConfigInput = Partial<Omit<Common, 'family'>> & { family: Family; epochs?: number; steps?: number; model?: Partial<FamilyOptions[Family]> };

/** Fills defaults (10 epochs when no budget is given) and validates the result. */
export function completeConfig(input: ConfigInput): TrainConfig {
  const budgetGiven = input.epochs !== undefined || input.steps !== undefined;
  const filled = {
    ...CONFIG_DEFAULTS,
    ...input,
    ...(budgetGiven ? {} : { epochs: 10 }),
    model: { ...FAMILY_DEFAULTS[input.family], ...input.model },
  };
  return trainConfig(JSON.parse(JSON.stringify(filled)), 'config');
}
