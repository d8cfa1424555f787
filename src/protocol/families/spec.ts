/**
 * What one model family declares about itself, without any TensorFlow.js: its names, its place in
 * the taxonomy, the data it accepts, its options (decoded the same way in every process), their
 * defaults, and the settings a person may change from the palette or the CLI. The trainer's
 * module for the family (src/trainer/families/) implements it.
 */
import type { DataKind, DatasetName } from '../datasets';
import type { Decoder } from '../decode';

/** How a family stands in the seed's taxonomy of generative models (plus diffusion, beyond it). */
export const DENSITY_KINDS = ['explicit-tractable', 'explicit-approximate', 'implicit', 'diffusion'] as const;
export type DensityKind = (typeof DENSITY_KINDS)[number];

export const DENSITY_KIND_LABELS: Record<DensityKind, string> = {
  'explicit-tractable': 'Explicit, tractable density',
  'explicit-approximate': 'Explicit, approximate density',
  implicit: 'Implicit density',
  diffusion: 'Diffusion (beyond the taxonomy)',
};

/** Training length, learning rate and so on for one kind of data; unset fields take the common defaults. */
export interface KindDefaults<O> {
  budget: { epochs: number } | { steps: number };
  learningRate?: number;
  batchSize?: number;
  evalEvery?: number;
  model: O;
  /**
   * What changes where the run will train on the native backend (tensorflow), whose larger batches
   * and convolutions cost less per example than on wasm: tuned there as the rest is on wasm.
   */
  native?: Partial<Pick<KindDefaults<O>, 'budget' | 'learningRate' | 'batchSize' | 'evalEvery'>> & { model?: Partial<O> };
}

/** The shape of one training example: a point of `dim` coordinates, or an image. */
export type DataShape = { kind: 'points'; dim: number } | { kind: 'images'; width: number; height: number; channels: number };

/** Weights and biases of dense layers of `sizes` (input first), as networks.ts's mlp builds them. */
export function mlpParameters(sizes: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < sizes.length; i++) total += sizes[i - 1] * sizes[i] + sizes[i];
  return total;
}

/** Values per example: a point's coordinates, or an image's pixels times its channels. */
export function valuesPerExample(data: DataShape): number {
  return data.kind === 'points' ? data.dim : data.width * data.height * data.channels;
}

/** One of the family's `model` options, as offered in the quick pick and as a CLI flag. */
export interface OptionField {
  /** The key under `config.model`. */
  key: string;
  /** The CLI flag without its dashes; a flag shared by families means the same thing in each. */
  flag: string;
  label: string;
  prompt: string;
  /** A comma-separated list of numbers (layer sizes). */
  list?: boolean;
  /** A choice among these strings instead of a number. */
  choices?: readonly string[];
  /** Offered only for this kind of data (e.g. a conv width for images). */
  only?: DataKind;
}

export interface FamilySpec<O extends object = object> {
  title: string;
  /** For tight places: the status bar, progress titles. */
  shortTitle: string;
  /** The palette command that trains it, e.g. genlab.trainVae (declared in package.json). */
  command: string;
  /**
   * The command's title in the palette. package.json's entry is generated from the spec:
   * GENLAB_WRITE_MANIFEST=1 node scripts/run-tests.mjs test/unit/families.test.ts writes it.
   */
  commandTitle: string;
  /** The main per-step loss among the family's streamed metrics. */
  lossKey: string;
  density: {
    kind: DensityKind;
    summary: string;
    /** The eval metric that scores the run (lower is better), if the family has one. */
    metric?: string;
    /** Where the score on one kind of data is another metric (a DDPM of images has no histogram JS, but a held-out noise error). */
    metricOn?: Partial<Record<DataKind, string>>;
  };
  datasets: readonly DatasetName[];
  defaultDataset: DatasetName;
  defaults: Partial<Record<DataKind, KindDefaults<O>>>;
  options: Decoder<O>;
  /**
   * How many numbers the model learns with these options on data of this shape (what its
   * checkpoint stores), so that a config too big to fit is refused before anything is allocated.
   */
  parameters(model: NoInfer<O>, data: DataShape): number;
  fields: OptionField[];
  /** Optimiser settings that do not apply: EM has no learning rate, full-batch fits no batch size. */
  without?: ('learningRate' | 'batchSize')[];
  /** What one step is called when it is not an optimiser step, e.g. "EM iterations". */
  stepsLabel?: string;
  /** The grids an image model draws at each evaluation, in the order shown, with their captions. */
  grids?: GridCaption[];
  /** Latent-variable image models: interpolations and traversals after training (Explore Latent Space). */
  latentTools?: boolean;
  /** An encoder to latent means: with a 2-D latent code, Explore Latent Space draws the encoded test set coloured by label. */
  latentScatter?: boolean;
  /** One value per pixel (the masks order pixels, not colours): a folder of images is read in grayscale, with no colour prompt. */
  grayscaleOnly?: boolean;
  /** New Model from Family: a commented model module of this family in media/templates/, and the dataset its experiment file trains it on. */
  template?: { file: string; dataset: DatasetName };
  /** The walkthrough's example this family fits: a CSV file in media/examples/ and its columns. */
  example?: { file: string; columns: string[] };
  /** What "temperature" means when sampling after training, if the family has one. */
  temperature?: string;
  /** Markdown for the README of an exported model: which files hold what, and what goes in and out. */
  exportNote?: string;
  /**
   * Image models with a likelihood: the pixels it is of ("binarised pixels", "dequantised 8-bit
   * pixels"), said beside the score, since the two kinds of figure do not compare.
   */
  imageLikelihood?: string;
}

export interface GridCaption {
  kind: string;
  title: string;
  /** How the grid is made, shown under it. */
  note: string;
}

/** Keeps each spec's option type while checking it against the interface. */
export function familySpec<O extends object>(spec: FamilySpec<O>): FamilySpec<O> {
  return spec;
}
