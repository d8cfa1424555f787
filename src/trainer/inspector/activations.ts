import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ACTIVATION_BINS, ACTIVATION_ROWS, type ActivationsRecord, type LayerActivations } from '../../protocol/inspector';

interface Probe {
  network: string;
  layers: string[];
  /** The network with every layer's output as an output. */
  model: tfl.LayersModel;
  inputs: tf.Tensor[];
}

/**
 * Each layer's activations on one fixed batch, measured at every evaluation so that the
 * histograms of two steps are comparable: the first test rows go into inputs shaped like the
 * data; standard normal draws (one seed for the run) into the others, a latent code or a time
 * embedding. A network that cannot be probed (a layer with several outputs) is noted and skipped.
 */
export class ActivationProbe {
  private readonly probes: Probe[] = [];
  readonly notes: string[] = [];

  constructor(networks: Record<string, tfl.LayersModel>, test: tf.Tensor2D, seed: number) {
    const rows = Math.min(ACTIVATION_ROWS, test.shape[0]);
    for (const [network, model] of Object.entries(networks)) {
      try {
        const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
        const outputs = layers.map((l) => l.output);
        if (outputs.some(Array.isArray)) throw new Error('a layer has several outputs');
        const inputs = model.inputs.map((input, i) => batchFor(input.shape, test, rows, seed + i));
        this.probes.push({ network, layers: layers.map((l) => l.name), model: tfl.model({ inputs: model.inputs, outputs: outputs as tfl.SymbolicTensor[] }), inputs });
      } catch (err) {
        this.notes.push(`Activations of ${network} are not shown: ${err instanceof Error ? err.message : String(err)}.`);
      }
    }
  }

  get empty(): boolean {
    return this.probes.length === 0;
  }

  record(step: number): ActivationsRecord {
    const layers: LayerActivations[] = [];
    for (const probe of this.probes) {
      const outputs = tf.tidy(() => {
        const out = probe.model.predict(probe.inputs.length === 1 ? probe.inputs[0] : probe.inputs);
        return (Array.isArray(out) ? out : [out]).map((t) => tf.reshape(t, [-1]));
      });
      // One read for all the layers of the network.
      const lengths = outputs.map((t) => t.size);
      const joined = tf.concat(outputs);
      const all = joined.dataSync() as Float32Array;
      tf.dispose([joined, ...outputs]);
      let offset = 0;
      probe.layers.forEach((layer, i) => {
        layers.push({ network: probe.network, layer, ...histogram(all.subarray(offset, offset + lengths[i])) });
        offset += lengths[i];
      });
    }
    return { step, layers: layers.filter((l) => Number.isFinite(l.min) && Number.isFinite(l.max)) };
  }

  dispose(): void {
    for (const probe of this.probes) tf.dispose(probe.inputs);
  }
}

/** The fixed input for one network input: test rows when its size is the data's, standard normal draws otherwise. */
function batchFor(shape: (number | null)[], test: tf.Tensor2D, rows: number, seed: number): tf.Tensor {
  const rest = shape.slice(1);
  if (rest.some((d) => d === null)) throw new Error(`an input of shape ${JSON.stringify(shape)} has a free dimension`);
  const dims = rest as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  return tf.tidy(() => (size === test.shape[1] ? tf.reshape(tf.slice(test, [0, 0], [rows, size]), [rows, ...dims]) : tf.randomNormal([rows, ...dims], 0, 1, 'float32', seed)));
}

function histogram(values: Float32Array): Omit<LayerActivations, 'network' | 'layer'> {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let zeros = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    if (v === 0) zeros++;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const counts = new Array<number>(ACTIVATION_BINS).fill(0);
  const width = (max - min) / ACTIVATION_BINS;
  for (const v of values) counts[width > 0 ? Math.min(ACTIVATION_BINS - 1, Math.floor((v - min) / width)) : 0]++;
  return { min, max, mean, std: Math.sqrt(squares / values.length), zeros: zeros / values.length, counts };
}
