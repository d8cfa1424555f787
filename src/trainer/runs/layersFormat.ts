/**
 * Saving and loading tf.LayersModel as TensorFlow.js layers format (model.json + weights.bin)
 * without tfjs-node's file:// handler, which is absent on the wasm and cpu backends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '../../shared/atomicFile';

const WEIGHTS_FILE = 'weights.bin';

function joinWeights(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
}

export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), joinWeights(artifacts.weightData ?? new ArrayBuffer(0)));
      writeJsonAtomic(path.join(dir, 'model.json'), {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const modelFile = path.join(dir, 'model.json');
  if (!fs.existsSync(modelFile)) throw new Error(`No model at ${modelFile}: the checkpoint folder must hold model.json and ${WEIGHTS_FILE}.`);
  const json = JSON.parse(fs.readFileSync(modelFile, 'utf8')) as tf.io.ModelJSON;
  const weights = fs.readFileSync(path.join(dir, WEIGHTS_FILE));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}
