/**
 * What a checkpoint must hold for training to continue where it stopped, beyond the exported
 * model: every weight, the optimiser's moments and step count, and the family's own counters.
 * A family lists its parts once; `trainingState` turns them into the getState/setState pair of
 * the TrainableModel interface. Tensors are matched by name and checked for shape on restore.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UserError } from '../../shared/userError';
import { readTrainingState } from '../../shared/runFolder';
import type { NamedTensor, TrainableModel } from './family';

export interface StatePart {
  get(): Promise<NamedTensor[]> | NamedTensor[];
  set(state: Map<string, tf.Tensor>): Promise<void> | void;
}

export interface TrainingState {
  getState(): Promise<NamedTensor[]>;
  setState(state: NamedTensor[]): Promise<void>;
}

function take(state: Map<string, tf.Tensor>, name: string, shape?: readonly number[]): tf.Tensor {
  const tensor = state.get(name);
  if (!tensor) throw new UserError(`The checkpoint has no "${name}".`, 'It was written by another model configuration; start a new run instead of resuming.');
  if (shape && !tf.util.arraysEqual(tensor.shape, [...shape])) {
    throw new UserError(`The checkpoint's "${name}" has shape [${tensor.shape}], the model's [${shape}].`, 'The run config changed since the checkpoint; start a new run instead of resuming.');
  }
  return tensor;
}

/** The weights of a layers model, in its own order. */
export function layersModelPart(prefix: string, model: tfl.LayersModel): StatePart {
  return {
    get: () => model.getWeights().map((tensor, i) => ({ name: `${prefix}/${i}`, tensor })),
    set: (state) => model.setWeights(model.getWeights().map((w, i) => take(state, `${prefix}/${i}`, w.shape))),
  };
}

/** Plain variables (a family's own parameters). */
export function variablesPart(prefix: string, variables: tf.Variable[]): StatePart {
  return {
    get: () => variables.map((tensor, i) => ({ name: `${prefix}/${i}`, tensor })),
    set: (state) => variables.forEach((v, i) => v.assign(take(state, `${prefix}/${i}`, v.shape))),
  };
}

/**
 * An optimiser's slots (Adam's moments, in the order its variables were first updated) and
 * iteration count. tfjs matches slots to variables by position, and a family always computes its
 * gradients in the same order, so the order survives a restart.
 */
export function optimizerPart(prefix: string, optimizer: tf.Optimizer): StatePart {
  return {
    get: async () => (await optimizer.getWeights()).map(({ name, tensor }, i) => ({ name: `${prefix}/${String(i).padStart(4, '0')}/${name}`, tensor })),
    set: async (state) => {
      const mine = [...state].filter(([name]) => name.startsWith(`${prefix}/`)).sort(([a], [b]) => a.localeCompare(b));
      if (!mine.length) take(state, `${prefix}/0000/iter`);
      await optimizer.setWeights(mine.map(([name, tensor]) => ({ name: name.slice(prefix.length + 6), tensor })));
    },
  };
}

/** Numbers the family keeps outside tensors (a step counter, EM parameters), as float32. */
export function numbersPart(name: string, get: () => ArrayLike<number>, set: (values: Float32Array) => void): StatePart {
  return {
    get: () => [{ name, tensor: tf.tensor1d(Float32Array.from(get())) }],
    set: (state) => set(take(state, name).dataSync() as Float32Array),
  };
}

export function trainingState(parts: StatePart[]): TrainingState {
  return {
    getState: async () => (await Promise.all(parts.map((p) => p.get()))).flat(),
    setState: async (state) => {
      const byName = new Map(state.map(({ name, tensor }) => [name, tensor]));
      for (const part of parts) await part.set(byName);
    },
  };
}

/** Encodes a state for a checkpoint: a JSON manifest and one binary blob. */
export async function encodeState(state: NamedTensor[]): Promise<{ manifest: tf.io.WeightsManifestEntry[]; data: Uint8Array }> {
  const { data, specs } = await tf.io.encodeWeights(state);
  return { manifest: specs, data: new Uint8Array(data) };
}

export function decodeState(manifest: tf.io.WeightsManifestEntry[], data: Uint8Array): NamedTensor[] {
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  return Object.entries(tf.io.decodeWeights(buffer, manifest)).map(([name, tensor]) => ({ name, tensor }));
}

/** Puts the training state saved in checkpoint folder `dir` into a model just created from the run's config. */
export async function restoreCheckpoint(model: TrainableModel, dir: string): Promise<void> {
  if (!model.setState) throw new UserError('This family cannot restore a checkpoint yet.', 'Train a new run instead.');
  const saved = readTrainingState(dir);
  await model.setState(decodeState(saved.manifest as tf.io.WeightsManifestEntry[], saved.data));
}
