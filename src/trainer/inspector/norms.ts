import * as tf from '@tensorflow/tfjs-core';
import type { LayerNorms, NormsRecord } from '../../protocol/inspector';
import type { InspectedLayer } from './layers';

type ApplyGradients = tf.Optimizer['applyGradients'];
type Gradients = Parameters<ApplyGradients>[0];

/**
 * Per layer, on the steps it is asked to record: ‖W‖, ‖∇W‖ and ‖ΔW‖/‖W‖ (W before the step).
 * Gradients are read by wrapping each optimiser's applyGradients on the instance, and only between
 * begin() and end(), so the steps in between cost one flag check. A record is read back from the
 * backend in one transfer: on wasm or a GPU each read is a sync, and they dominate the cost.
 */
export class NormsRecorder {
  private readonly layers: InspectedLayer[];
  private readonly layerOfVariable = new Map<string, number>();
  /** Per layer, Σ‖g‖² of the gradients applied since begin(), kept until end() reads them. */
  private gradients: (tf.Scalar | undefined)[] = [];
  private before: tf.Tensor[][] | undefined;

  constructor(layers: InspectedLayer[], optimizers: readonly tf.Optimizer[]) {
    this.layers = layers.filter((l) => l.trainable.length > 0);
    this.layers.forEach((l, i) => {
      for (const v of l.trainable) this.layerOfVariable.set(v.name, i);
    });
    for (const optimizer of optimizers) this.wrap(optimizer);
  }

  get empty(): boolean {
    return this.layers.length === 0;
  }

  /** Call right before the training step to record. */
  begin(): void {
    this.gradients = this.layers.map(() => undefined);
    this.before = this.layers.map((l) => l.trainable.map((v) => tf.clone(v)));
  }

  /** Call right after it: the record of that step, or undefined when a norm is not finite (the divergence watch reports that). */
  end(step: number): NormsRecord | undefined {
    const before = this.before;
    if (!before) throw new Error('NormsRecorder.end without begin');
    this.before = undefined;
    const gradients = this.gradients;
    const packed = tf.tidy(() => {
      const zero = tf.scalar(0);
      return tf.stack(
        this.layers.flatMap((l, i) => [sumOfSquares(before[i]), sumOfSquares(l.trainable.map((v, j) => tf.sub(v, before[i][j]))), gradients[i] ?? zero]),
      );
    });
    const values = packed.dataSync();
    tf.dispose([packed, ...before.flat(), ...gradients.filter((g) => g !== undefined)]);
    this.gradients = [];
    if (!values.every(Number.isFinite)) return undefined;
    const layers = this.layers.map((l, i): LayerNorms => {
      const weightNorm = Math.sqrt(values[3 * i]);
      const norms: LayerNorms = { network: l.network, layer: l.name, weightNorm };
      if (gradients[i] === undefined) return norms;
      // A layer whose weights are all 0 (a zero-initialised output layer) has no ratio to speak of.
      return { ...norms, gradientNorm: Math.sqrt(values[3 * i + 2]), ...(weightNorm > 0 ? { updateRatio: Math.sqrt(values[3 * i + 1]) / weightNorm } : {}) };
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

  private addGradients(gradients: Gradients): void {
    const named = Array.isArray(gradients) ? gradients.map((g) => [g.name, g.tensor] as const) : Object.entries(gradients);
    for (const [name, tensor] of named) {
      const i = this.layerOfVariable.get(name);
      if (i === undefined) continue;
      const previous = this.gradients[i];
      // Kept past the tidy a training step may run in; end() frees it.
      this.gradients[i] = tf.keep(tf.tidy(() => (previous ? tf.add(previous, tf.sum(tf.square(tensor))) : tf.sum(tf.square(tensor))) as tf.Scalar));
      previous?.dispose();
    }
  }
}

function sumOfSquares(tensors: tf.Tensor[]): tf.Scalar {
  return tensors.map((t) => tf.sum(tf.square(t))).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
}
