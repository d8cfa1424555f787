import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LayerNorms, NormsRecord } from '../../protocol/inspector';

interface TrackedLayer {
  network: string;
  layer: string;
  variables: tf.Variable[];
}

type ApplyGradients = tf.Optimizer['applyGradients'];

/**
 * Per layer, on the steps it is asked to record: ‖W‖, ‖∇W‖ and ‖ΔW‖/‖W‖ (W before the step). Gradients are read by
 * wrapping each optimiser's applyGradients on the instance, and only between begin() and end(), so
 * the steps in between cost nothing beyond one flag check.
 */
export class NormsRecorder {
  private readonly layers: TrackedLayer[];
  private readonly layerOfVariable = new Map<string, TrackedLayer>();
  private readonly squaredGradients = new Map<TrackedLayer, number>();
  private before: tf.Tensor[][] | undefined;

  constructor(networks: Record<string, tfl.LayersModel>, optimizers: tf.Optimizer[]) {
    this.layers = Object.entries(networks).flatMap(([network, model]) =>
      model.layers
        .map((layer) => ({ network, layer: layer.name, variables: layer.trainableWeights.map((w) => w.read() as tf.Variable) }))
        .filter((l) => l.variables.length > 0),
    );
    for (const l of this.layers) for (const v of l.variables) this.layerOfVariable.set(v.name, l);
    for (const optimizer of optimizers) this.wrap(optimizer);
  }

  /** Call right before the training step to record. */
  begin(): void {
    this.squaredGradients.clear();
    this.before = this.layers.map((l) => l.variables.map((v) => tf.clone(v)));
  }

  /** Call right after it: the record of that step. */
  end(step: number): NormsRecord {
    const before = this.before;
    if (!before) throw new Error('NormsRecorder.end without begin');
    this.before = undefined;
    const layers: LayerNorms[] = this.layers.map((l, i) => {
      const [weight2, update2] = tf.tidy(() => [
        sumOfSquares(before[i]),
        sumOfSquares(l.variables.map((v, j) => tf.sub(v, before[i][j]))),
      ]);
      tf.dispose(before[i]);
      const weightNorm = Math.sqrt(weight2);
      const gradient2 = this.squaredGradients.get(l);
      const norms: LayerNorms = { network: l.network, layer: l.layer, weightNorm };
      if (gradient2 === undefined) return norms;
      return { ...norms, gradientNorm: Math.sqrt(gradient2), updateRatio: weightNorm > 0 ? Math.sqrt(update2) / weightNorm : 0 };
    });
    return { step, layers };
  }

  private wrap(optimizer: tf.Optimizer): void {
    const apply: ApplyGradients = optimizer.applyGradients.bind(optimizer);
    optimizer.applyGradients = (gradients) => {
      if (this.before) this.addGradients(gradients);
      return apply(gradients);
    };
  }

  private addGradients(gradients: Parameters<ApplyGradients>[0]): void {
    const named = Array.isArray(gradients) ? gradients.map((g) => [g.name, g.tensor] as const) : Object.entries(gradients);
    for (const [name, tensor] of named) {
      const layer = this.layerOfVariable.get(name);
      if (!layer) continue;
      const squared = tf.tidy(() => tf.sum(tf.square(tensor)).dataSync()[0]);
      this.squaredGradients.set(layer, (this.squaredGradients.get(layer) ?? 0) + squared);
    }
  }
}

function sumOfSquares(tensors: tf.Tensor[]): number {
  return tensors.reduce((sum, t) => sum + tf.sum(tf.square(t)).dataSync()[0], 0);
}
