/**
 * Every dataset a family can train on: 28x28 images (MNIST, Fashion-MNIST) or points in 1-D or
 * 2-D (the toy densities). Families check the kind they accept; the training loop draws batches
 * through `Batcher` without knowing which it is.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataSource } from '../../protocol/config';
import { type DatasetName, isImageDataset } from '../../protocol/datasets';
import { describeSkipped, readCsvColumns } from '../../shared/csv';
import { csvDataset } from './csvDataset';
import { UserError } from '../../shared/userError';
import type { Rng } from '../rng';
import { imageFolderDataset } from './folderDataset';
import { binarizeBatch, type ImageDataset, loadImageDataset } from './imageDatasets';
import type { PointDataset } from './pointDataset';
import { loadToyDataset } from './toy';

// Where families look for every kind of dataset.
export type { PointDataset } from './pointDataset';

export type Dataset = ImageDataset | PointDataset;

/** A built-in dataset by name, or the person's own data that `data` describes. */
export async function loadDataset(name: DatasetName, data?: DataSource): Promise<Dataset> {
  if (isImageDataset(name)) return loadImageDataset(name);
  if (name === 'csv') {
    if (data?.type !== 'csv') throw new UserError('The dataset csv needs the file and its columns.', 'Give them as data: { "type": "csv", "path": ..., "columns": [...] }, or --data and --columns in the CLI.');
    const rows = await readCsvColumns(data.path, data.columns);
    const skipped = describeSkipped(rows.skipped);
    return { ...csvDataset(data.path, rows), ...(skipped ? { warnings: [skipped] } : {}) };
  }
  if (name === 'image-folder') {
    if (data?.type !== 'image-folder') throw new UserError('The dataset image-folder needs the folder, the image size and the colour.', 'Give them as data: { "type": "image-folder", "path": ..., "size": 28, "color": "grayscale" }, or --data with a folder in the CLI.');
    return imageFolderDataset(data);
  }
  const toy = loadToyDataset(name);
  return { kind: 'points', ...toy };
}

/** The run's length in steps: given, or its epochs of minibatches. */
export function plannedSteps(config: { steps?: number; epochs?: number; batchSize: number }, data: Dataset): number {
  return config.steps ?? Math.max(1, Math.round(config.epochs! * Math.ceil(data.train.count / config.batchSize)));
}

export function trainCount(data: Dataset): number {
  return data.train.count;
}

/** Values per example: pixels of an image times its channels, or the dimension of a point. */
export function exampleSize(data: Dataset): number {
  return data.kind === 'images' ? data.width * data.height * data.channels : data.dim;
}

/** The whole training set as one tensor, for full-batch families (point data only). */
export function wholeTrainingSet(data: PointDataset): tf.Tensor2D {
  return tf.tensor2d(data.train.points, [data.train.count, data.dim]);
}

/** Image `row` of `pixels` (0..255) as values in [0, 1], written into `out` at `at`. */
export function greyLevels(pixels: Uint8Array, row: number, size: number, out: Float32Array, at = 0): Float32Array {
  for (let j = 0; j < size; j++) out[at + j] = pixels[row * size + j] / 255;
  return out;
}

/** The first `rows` held-out examples (all by default), one per row of `exampleSize` values: points as they are, images binarised unless `grayscale`. */
export function testRows(data: Dataset, grayscale: boolean, rows = data.test.count): tf.Tensor2D {
  const size = exampleSize(data);
  if (data.kind === 'points') return tf.tensor2d(data.test.points.subarray(0, rows * size), [rows, size]);
  if (!grayscale) return tf.tensor2d(data.testBinary.subarray(0, rows * size), [rows, size]);
  const values = new Float32Array(rows * size);
  for (let i = 0; i < rows; i++) greyLevels(data.test.pixels, i, size, values, i * size);
  return tf.tensor2d(values, [rows, size]);
}

/**
 * Draws shuffled minibatches, an epoch at a time, into one reused buffer (uploaded per batch:
 * slicing tensors on the wasm backend costs more than copying typed arrays). Images are binarised
 * afresh at every draw.
 */
export class Batcher {
  private order: Uint32Array;
  private cursor = 0;
  private readonly buffer: Float32Array;
  private readonly size: number;

  constructor(
    private readonly data: Dataset,
    private readonly batchSize: number,
    private readonly rng: Rng,
    /** Images as grey levels in [0, 1] instead of fresh binary draws. */
    private readonly grayscale = false,
  ) {
    if (batchSize > data.train.count) {
      throw new UserError(`The batch size ${batchSize} is larger than the ${data.train.count} training examples.`, `Use a batch size of at most ${data.train.count}.`);
    }
    this.size = exampleSize(data);
    this.buffer = new Float32Array(batchSize * this.size);
    this.order = rng.permutation(data.train.count);
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.data.train.count / this.batchSize);
  }

  next(): tf.Tensor2D {
    if (this.cursor + this.batchSize > this.order.length) {
      this.order = this.rng.permutation(this.order.length);
      this.cursor = 0;
    }
    const indices = this.order.subarray(this.cursor, this.cursor + this.batchSize);
    this.cursor += this.batchSize;
    const { data, size } = this;
    if (data.kind === 'images' && this.grayscale) indices.forEach((row, i) => greyLevels(data.train.pixels, row, size, this.buffer, i * size));
    else if (data.kind === 'images') binarizeBatch(data.train.pixels, indices, this.rng, this.buffer, size);
    else indices.forEach((row, i) => this.buffer.set(data.train.points.subarray(row * size, (row + 1) * size), i * size));
    return tf.tensor2d(this.buffer, [this.batchSize, this.size]);
  }
}
