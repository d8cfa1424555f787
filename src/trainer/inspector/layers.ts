import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Architecture } from '../../protocol/inspector';

/** One row of the Model tab: a layer of a network, or a group of a model's own variables. */
export interface InspectedLayer {
  network: string;
  name: string;
  className: string;
  outputShape: string;
  /** All its weights, the non-trainable ones too (they count as parameters). */
  variables: tf.Variable[];
  /** The weights its optimiser changes: what the norms are taken of. */
  trainable: tf.Variable[];
}

/** Variables outside every network, grouped as a network of this name. */
export const OWN_VARIABLES = 'variables';

/**
 * The model's layers: each network's (in order), then the variables its construction made that
 * no network holds, grouped by their name's scope ("conv3/kernel" and "conv3/bias" are one row).
 * A variable is counted once, where it is first found, so the total is the model's parameter count.
 */
export function inspectedLayers(networks: Record<string, tfl.LayersModel>, created: tf.Variable[]): InspectedLayer[] {
  const seen = new Set<string>();
  const fresh = (vars: tf.Variable[]) => vars.filter((v) => !seen.has(v.name) && seen.add(v.name));
  const rows: InspectedLayer[] = [];
  for (const [network, model] of Object.entries(networks)) {
    for (const layer of model.layers) {
      const variables = fresh(layer.weights.map(asVariable));
      const trainableNames = new Set(layer.trainableWeights.map((w) => asVariable(w).name));
      rows.push({ network, name: layer.name, className: layer.getClassName(), outputShape: JSON.stringify(layer.outputShape), variables, trainable: variables.filter((v) => trainableNames.has(v.name)) });
    }
  }
  const scopes = new Map<string, tf.Variable[]>();
  // Scalars are optimisers' counters (Adam's powers of beta), not weights.
  fresh(created.filter((v) => v.rank > 0)).forEach((v, i) => {
    // An unnamed variable's name is the engine's counter, which would mean nothing on the Model tab.
    const scope = v.name.includes('/') ? v.name.slice(0, v.name.lastIndexOf('/')) : /^\d+$/.test(v.name) ? `variable ${i + 1}` : v.name;
    scopes.set(scope, [...(scopes.get(scope) ?? []), v]);
  });
  for (const [scope, variables] of scopes) {
    const shape = variables.length === 1 ? JSON.stringify(variables[0].shape) : variables.map((v) => JSON.stringify(v.shape)).join(' ');
    rows.push({ network: OWN_VARIABLES, name: scope, className: 'Variable', outputShape: shape, variables, trainable: variables.filter((v) => v.trainable) });
  }
  return rows;
}

/** A layer's weight is a tf.Variable underneath (LayerVariable.read() returns it). */
function asVariable(weight: tfl.LayerVariable): tf.Variable {
  return weight.read() as tf.Variable;
}

/** The Model tab's architecture table: the rows with their parameter counts, totals per network and overall. */
export function describeArchitecture(layers: InspectedLayer[], notes: string[] = []): Architecture {
  const networks = new Map<string, Architecture['networks'][number]>();
  for (const l of layers) {
    const parameters = l.variables.reduce((sum, v) => sum + v.size, 0);
    const network = networks.get(l.network) ?? { name: l.network, layers: [], parameters: 0 };
    network.layers.push({ name: l.name, className: l.className, outputShape: l.outputShape, parameters });
    network.parameters += parameters;
    networks.set(l.network, network);
  }
  const summaries = [...networks.values()];
  return { networks: summaries, parameters: summaries.reduce((sum, n) => sum + n.parameters, 0), ...(notes.length ? { notes } : {}) };
}
