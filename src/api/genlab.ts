/**
 * The API a model module is written against: `import { defineModel } from 'genlab'` in a file of
 * the person's workspace. The trainer binds `genlab` to this module and `@tensorflow/tfjs` (and
 * `-core`, `-layers`) to its own TensorFlow.js, so the model trains on the backend GenLab picked.
 * The built-in families implement the same `Model` (src/trainer/families/family.ts adds only
 * what a family needs to save itself in layers format).
 *
 * Its declarations are what the person's editor sees: scripts/model-types.mjs emits them, with
 * TensorFlow.js's, into dist/model-types.json, which the extension writes into the workspace.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What `import * as tf from '@tensorflow/tfjs'` gives: the core ops, training, and layers. */
export type TF = typeof tfc & typeof tfl;

/**
 * Where the model stands in the taxonomy of generative models, which decides what the dashboard
 * shows: an exact log-likelihood (explicit-tractable), a bound (explicit-approximate), or samples
 * only (implicit, diffusion).
 */
export type DensityKind = 'explicit-tractable' | 'explicit-approximate' | 'implicit' | 'diffusion';

/** One option of the model, offered in the quick pick, as a CLI flag and under `model` in an experiment file. */
export interface OptionDeclaration {
  /** Its value unless the person gives one: a number, a string (with `choices`), or a list of numbers. */
  default: number | string | readonly number[];
  /** Shown in the quick pick, Compare and the CLI's help; the key itself otherwise. */
  label?: string;
  /** One line on what it changes. */
  description?: string;
  /** For numbers and lists of numbers. */
  min?: number;
  max?: number;
  integer?: boolean;
  /** For a string: the values it may take. */
  choices?: readonly string[];
}

/** The option values `create` receives, typed from their declarations' defaults. */
export type OptionValues<P extends Record<string, OptionDeclaration>> = {
  [K in keyof P]: P[K]['default'] extends number ? number : P[K]['default'] extends string ? string : number[];
};

/** Points in 1-D or 2-D: a toy density or the person's CSV columns. */
export interface PointData {
  kind: 'points';
  dim: 1 | 2;
  /** [xMin, xMax, yMin, yMax]: where nearly all the mass lies (y unused in 1-D). */
  extent: [number, number, number, number];
  trainCount: number;
  /** The held-out points, one per row (owned by GenLab: do not dispose). */
  test: tfc.Tensor2D;
}

/** Images, each a row of width * height * channels values in [0, 1] (channels interleaved). */
export interface ImageData {
  kind: 'images';
  width: number;
  height: number;
  channels: 1 | 3;
  trainCount: number;
  /** The held-out images, binarised unless the definition asks for grey levels (owned by GenLab: do not dispose). */
  test: tfc.Tensor2D;
}

export type Data = PointData | ImageData;

/** A seeded random stream: the same seed, the same draws, on every backend. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** count standard normal draws. */
  normal(count: number): Float32Array;
  /** An integer seed for a TensorFlow.js initialiser (e.g. tf.initializers.glorotUniform({ seed })). */
  seed(): number;
}

export type DataKind = Data['kind'];

export interface Context<O, K extends DataKind = DataKind> {
  tf: TF;
  data: Extract<Data, { kind: K }>;
  options: O;
  /** The run's learning rate and batch size (set in the quick pick, the experiment file or the CLI). */
  learningRate: number;
  batchSize: number;
  rng: Random;
}

/** Images for one sample grid, values in [0, 1]: `count` cells of width * height, each row-major with its channels interleaved. */
export interface SampleGrid {
  kind: string;
  pixels: Float32Array;
  count: number;
  cols: number;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * A trainable model: what `create` returns, and what every built-in family implements. Only
 * `trainStep` is required; each other member adds a view, and a view whose member is missing is
 * left out with a line saying so.
 */
export interface Model {
  /** One optimiser step on a batch (rows like `data.test`'s); returns the loss terms (in nats), `loss` among them unless the definition names another. */
  trainStep(batch: tfc.Tensor2D): Record<string, number>;
  /**
   * Metrics on the held-out data. Without it, a model with `logProb` is scored by its mean
   * negative log-probability on `data.test` (testNll when exact, testNegElbo for a bound).
   */
  evaluate?(): Record<string, number>;
  /**
   * Per row of `x`: log p(x) in nats (explicit-tractable), or a lower bound on it such as the
   * ELBO (explicit-approximate). On 2-D data GenLab draws it as a heatmap.
   */
  logProb?(x: tfc.Tensor2D): tfc.Tensor1D;
  /** `count` new examples as rows like the data's; for images GenLab draws them as a grid. */
  draw?(count: number, rng: Random): tfc.Tensor2D;
  /** The networks, by name, for the Model tab: their layers, shapes, parameter counts and activations. */
  networks?: Record<string, tfl.LayersModel>;
  /** The optimisers that train it, for the Model tab's gradient norms and update-to-weight ratios. */
  optimizers?: tfc.Optimizer[];
  /** Image models: the grids to show at this point of training, instead of `draw`'s. */
  sample?(): SampleGrid[];
  /** Frees what the model holds; GenLab also frees every variable it made. */
  dispose?(): void;
}

export interface ModelDefinition<P extends Record<string, OptionDeclaration> = Record<string, OptionDeclaration>, K extends DataKind = DataKind> {
  /** Its name in the Runs tree, the dashboard and Compare. */
  title: string;
  densityKind: DensityKind;
  /** The kind of data it models; GenLab offers the datasets of that kind. */
  data: K;
  /** One sentence on what the model can say about density, shown on the dashboard. */
  summary?: string;
  /** Images: keep grey levels in [0, 1] instead of binarising each pixel (a model of real-valued pixels). */
  grayscale?: boolean;
  options: P;
  /** Training settings unless the person gives others. */
  defaults?: { steps?: number; epochs?: number; learningRate?: number; batchSize?: number; evalEvery?: number };
  /** The key of `trainStep`'s result charted as the loss; 'loss' unless given. */
  loss?: string;
  /** The key of `evaluate`'s result that scores a run (lower is better): best checkpoints, early stopping and Compare go by it. */
  metric?: string;
  create(context: Context<OptionValues<P>, K>): Model;
}

/** Marks a file's default export as a GenLab model; returns the definition unchanged. */
export function defineModel<const P extends Record<string, OptionDeclaration>, K extends DataKind>(definition: ModelDefinition<P, K>): ModelDefinition<P, K> {
  return definition;
}
