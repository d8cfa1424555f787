/**
 * A person's model module as a family the training loop drives like a built-in one: their Model
 * (src/api/genlab.ts) with what they left out filled from what they gave. A logProb gives the
 * test score and, on 2-D data, the density heatmap; a draw gives sample grids and Sample from Run.
 * Every call into their code is guarded, so an exception names their line, not GenLab's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Context, Data, Model, ModelDefinition, Random } from '../../api/genlab';
import type { TrainConfig } from '../../protocol/config';
import type { DensityField, DensityGrid } from '../../protocol/messages';
import { UserError } from '../../shared/userError';
import { type Dataset, testRows } from '../data/dataset';
import { densityView, gridPoints } from '../families/densityGrid';
import { imageGrid, type ModelFamily, type SampleGrid, type TrainableModel } from '../families/family';
import { optimizerPart, trainingState, variablesPart } from '../families/trainingState';
import { Rng } from '../rng';
import { saveLayersModel } from '../runs/layersFormat';
import type { LoadedModule } from './load';
import { TF } from './load';
import { thrownError } from './moduleError';

/** Cells of the sample grid drawn at each evaluation, and points drawn for the density view. */
const GRID_CELLS = 64;
const DENSITY_SAMPLES = 1000;
/** Rows of held-out data per logProb call when scoring: bounded memory for any test set. */
const SCORE_CHUNK = 1000;

function random(rng: Rng): Random {
  return {
    next: () => rng.next(),
    normal: (count) => rng.fillNormal(new Float32Array(count)),
    seed: () => Math.floor(rng.next() * 2 ** 31),
  };
}

/** The held-out data as the module sees it: points as they are, images binarised unless the module models grey levels. */
function moduleData(data: Dataset, grayscale: boolean): Data {
  const test = testRows(data, grayscale);
  if (data.kind === 'points') return { kind: 'points', dim: data.dim, extent: [...data.extent], trainCount: data.train.count, test };
  return { kind: 'images', width: data.width, height: data.height, channels: data.channels, trainCount: data.train.count, test };
}

function checkedValues(values: unknown, where: string): Record<string, number> {
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new UserError(`The model module's ${where} returned ${Array.isArray(values) ? 'an array' : typeof values}, not an object of numbers.`, `Return e.g. { loss: lossTensor.dataSync()[0] } from ${where}.`);
  }
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'number') {
      throw new UserError(`The model module's ${where} returned ${key}: ${typeof value}; every value must be a number.`, 'Read a scalar tensor with .dataSync()[0] (or await .data()) before returning it.');
    }
  }
  return values as Record<string, number>;
}

/** The views a module's model cannot have, each in a line for the dashboard. */
function omissions(user: Model, title: string, kind: Data['kind']): string[] {
  const lines: string[] = [];
  if (!user.logProb && !user.evaluate) lines.push(`${title} has no logProb or evaluate: no test score is computed, so no best checkpoint is kept and runs are compared by their samples.`);
  else if (!user.logProb) lines.push(`${title} has no logProb: ${kind === 'points' ? 'the density view shows its samples without a heatmap, and ' : ''}its score is what its evaluate reports.`);
  if (!user.draw && !(kind === 'images' && user.sample)) lines.push(`${title} has no draw(count, rng): no samples are shown, and Sample from Run cannot draw from it.`);
  return lines;
}

class ModuleModel implements TrainableModel {
  readonly networks?: Model['networks'];
  readonly optimizers?: Model['optimizers'];
  readonly notes: string[];
  private readonly state;
  private readonly sampleSeed: number;

  constructor(
    private readonly user: Model,
    private readonly loaded: LoadedModule,
    private readonly data: Data,
    private readonly points: Extract<Dataset, { kind: 'points' }> | undefined,
    /** Every variable the module made while it built itself: its weights, checkpointed by order of creation. */
    variables: tf.Variable[],
    seed: number,
  ) {
    this.networks = user.networks;
    this.optimizers = user.optimizers;
    this.sampleSeed = seed;
    this.notes = omissions(user, loaded.ref.declaration.title, data.kind);
    this.state = trainingState([variablesPart('module', variables), ...(user.optimizers ?? []).map((o, i) => optimizerPart(`optimizer${i}`, o))]);
  }

  private call<T>(where: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw thrownError(err, where, this.loaded.files);
    }
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    return checkedValues(this.call('trainStep', () => this.user.trainStep(batch)), 'trainStep');
  }

  evaluate(): Record<string, number> {
    const scored = this.user.logProb ? { [this.scoreKey()]: this.meanNegLogProb() } : {};
    const own = this.user.evaluate ? checkedValues(this.call('evaluate', () => this.user.evaluate!()), 'evaluate') : {};
    return { ...scored, ...own };
  }

  /** testNll when logProb is exact, testNegElbo when it is a bound. */
  private scoreKey(): string {
    return this.loaded.ref.declaration.densityKind === 'explicit-tractable' ? 'testNll' : 'testNegElbo';
  }

  private meanNegLogProb(): number {
    const { test } = this.data;
    let total = 0;
    for (let start = 0; start < test.shape[0]; start += SCORE_CHUNK) {
      const rows = Math.min(SCORE_CHUNK, test.shape[0] - start);
      total += tf.tidy(() => {
        const logp = this.call('logProb', () => this.user.logProb!(tf.slice(test, [start, 0], [rows, -1])));
        return -tf.sum(logp).dataSync()[0];
      });
    }
    return total / test.shape[0];
  }

  private drawRows(count: number, rng: Rng): Float32Array {
    return tf.tidy(() => {
      const rows = this.call('draw', () => this.user.draw!(count, random(rng)));
      return (this.data.kind === 'images' ? tf.clipByValue(rows, 0, 1) : rows).dataSync() as Float32Array;
    });
  }

  sample(): SampleGrid[] {
    if (this.data.kind !== 'images') return [];
    if (this.user.sample) return this.call('sample', () => this.user.sample!());
    if (!this.user.draw) return [];
    // The same noise at every evaluation, so the grid shows the model change rather than the draw.
    return [imageGrid(this.data, 'samples', this.drawRows(GRID_CELLS, new Rng(this.sampleSeed)), GRID_CELLS)];
  }

  density(): DensityGrid | undefined {
    if (!this.points || (!this.user.logProb && !this.user.draw)) return undefined;
    const field: DensityField = !this.user.logProb ? 'none' : this.loaded.ref.declaration.densityKind === 'explicit-tractable' ? 'log-density' : 'elbo';
    const values = this.user.logProb
      ? tf.tidy(() => {
          const { points } = gridPoints(this.points!);
          const grid = tf.tensor2d(points, [points.length / this.points!.dim, this.points!.dim]);
          return this.call('logProb', () => this.user.logProb!(grid)).dataSync();
        })
      : [];
    const samples = this.user.draw ? this.drawRows(DENSITY_SAMPLES, new Rng(this.sampleSeed)) : [];
    return densityView(field, this.points, values, samples);
  }

  generate(count: number, rng: Rng): SampleGrid | Float32Array {
    if (!this.user.draw) throw new UserError('This model module has no draw(count, rng), so GenLab cannot sample from it.', 'Add draw to the model its create returns, then train it again.');
    const rows = this.drawRows(count, rng);
    return this.data.kind === 'images' ? imageGrid(this.data, 'samples', rows, count) : rows;
  }

  async save(dir: string): Promise<void> {
    // A model without layers networks still gets a checkpoint: its training state, written beside them.
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, net] of Object.entries(this.networks ?? {})) await saveLayersModel(net, path.join(dir, name));
  }

  getState = () => this.state.getState();
  setState = (state: Parameters<TrainableModel['setState'] & object>[0]) => this.state.setState(state);

  dispose(): void {
    this.call('dispose', () => this.user.dispose?.());
    this.data.test.dispose();
  }
}

/** The family of a loaded module: builds its model for the run's data and options. */
export function moduleFamily(loaded: LoadedModule): ModelFamily<'module'> {
  const definition: ModelDefinition = loaded.definition;
  return {
    family: 'module',
    grayscale: definition.grayscale ?? false,
    create(config: TrainConfig, dataset: Dataset, rng: Rng): TrainableModel {
      const data = moduleData(dataset, definition.grayscale ?? false);
      const context: Context<Record<string, never>> = {
        tf: TF,
        data: data as never,
        options: config.model as Record<string, never>,
        learningRate: config.learningRate,
        batchSize: config.batchSize,
        rng: random(rng.fork(1)),
      };
      const before = new Set(Object.keys(tf.engine().registeredVariables));
      let user: Model;
      try {
        user = definition.create(context as never);
      } catch (err) {
        data.test.dispose();
        throw thrownError(err, 'create', loaded.files);
      }
      if (!user || typeof user.trainStep !== 'function') {
        data.test.dispose();
        throw new UserError("The model module's create returned no trainStep.", 'create must return an object with trainStep(batch) (see the API in genlab/index.d.ts).');
      }
      const made = Object.entries(tf.engine().registeredVariables).filter(([name]) => !before.has(name)).map(([, v]) => v);
      return new ModuleModel(user, loaded, data, dataset.kind === 'points' ? dataset : undefined, made, Math.floor(rng.fork(2).next() * 2 ** 31));
    },
  };
}
