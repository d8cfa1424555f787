/**
 * The interface every model family implements; the training loop and drawing from trained runs
 * know only this. A family is its spec (src/protocol/families/<family>.ts, one line in that
 * folder's index.ts) and its module here (e.g. vae.ts, one line in registry.ts). The rest follows
 * from the spec: the CLI's flags and help, the quick pick, the host's choices, and two generated
 * files, package.json's palette command and the experiment schema (test/unit/families.test.ts
 * and test/unit/experiment.test.ts fail when they are stale and say how to rewrite them).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Model, SampleGrid } from '../../api/genlab';
import type { ModelKind, TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import type { Dataset } from '../data/dataset';
import type { ImageDataset } from '../data/imageDatasets';
import type { DivergenceSign } from '../divergence';
import type { Rng } from '../rng';

export type { SampleGrid };

/** A grid of `count` images shaped like the data's (a square-ish one unless `cols` is given). */
export function imageGrid(data: Pick<ImageDataset, 'width' | 'height' | 'channels'>, kind: string, pixels: Float32Array, count: number, cols = Math.ceil(Math.sqrt(count))): SampleGrid {
  return { kind, pixels, count, cols, width: data.width, height: data.height, channels: data.channels };
}

/** One tensor of a model's training state, by the name it is saved under in a checkpoint. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface LatentTools {
  latentDim: number;
  /** `rows` strips of `steps` images, each decoded along the great circle between two prior draws. */
  interpolate(rng: Rng, steps: number, rows: number): SampleGrid;
  /** A steps × steps grid decoded over latent dimensions dims[0] (across) and dims[1] (down), from -range to range, the others 0. */
  traverse(dims: [number, number], steps: number, range: number): SampleGrid;
  /** Models with an encoder (the VAE): the latent means of the first `count` test images (or all there are), count × latentDim. */
  encodeTest?(count: number): Float32Array;
}

/**
 * A model as the training loop drives it: the API's Model (what a person's model module returns,
 * src/api/genlab.ts), with the test metrics every model reports, and what a family needs to save,
 * resume and draw from itself. A module's Model becomes one through src/trainer/modules/moduleModel.ts.
 */
export interface TrainableModel extends Model {
  /** Metrics on the held-out test set. */
  evaluate(): Record<string, number>;
  /** Models on 1-D or 2-D data: what they say about the density on a grid, with samples and test points. */
  density?(): DensityGrid | undefined;
  /**
   * After training: `count` new samples with noise from `rng`, scaled by `temperature` (1 = the
   * model's own distribution): a grid for image models, rows of points for the others.
   */
  generate?(count: number, rng: Rng, temperature: number): SampleGrid | Float32Array;
  /** Latent-variable image models (VAE, GAN): decoded paths and grids in latent space. */
  latentTools?: LatentTools;
  /** Writes the model in TensorFlow.js layers format (model.json + weights) below `dir`. */
  save(dir: string): Promise<void>;
  /** Everything training needs to continue where it stopped (built with trainingState.ts); saved with each checkpoint. */
  getState?(): Promise<NamedTensor[]>;
  /** Restores what getState returned, into a model just created from the same config. */
  setState?(state: NamedTensor[]): Promise<void>;
  /** What the views will leave out and why (a model module without logProb or draw), said on the dashboard. */
  readonly notes?: readonly string[];
  /** Signs of a diverged run that only this model knows of (a loss beyond what its likelihood allows); the generic ones apply to every model. */
  divergenceSigns?: readonly DivergenceSign[];
  /**
   * What the last evaluation found that does not stop training but that the person should know
   * (a mixture component collapsed onto a point). Each message is shown once per run.
   */
  warnings?(): { message: string; hint: string }[];
  dispose(): void;
}

export interface ModelFamily<F extends ModelKind = ModelKind> {
  family: F;
  /** Each step sees the whole training set (EM, closed-form fits) instead of a minibatch. */
  fullBatch?: boolean;
  /** Image batches keep their grey levels in [0, 1] instead of being binarised (models of real-valued pixels). */
  grayscale?: boolean;
  /** Builds the model for this data; throws a UserError naming the fix for data it cannot model. */
  create(config: TrainConfig<F>, data: Dataset, rng: Rng): TrainableModel;
}
