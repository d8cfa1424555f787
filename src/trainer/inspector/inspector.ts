/**
 * The Model tab's recording, for any model the training loop drives: its architecture once, the
 * per-layer norms on every normsEvery(evalEvery)-th step, and the activation histograms at each
 * evaluation. Models that name their networks and optimisers (the built-in families, modules that
 * return `networks` and `optimizers`) get all three; a model of plain variables gets its variables
 * and their norms; what cannot be shown is said in the architecture's notes.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type ActivationsRecord, ACTIVATION_ROWS, type Architecture, normsEvery, type NormsRecord } from '../../protocol/inspector';
import { type Dataset, testRows } from '../data/dataset';
import type { TrainableModel } from '../families/family';
import { ActivationProbe } from './activations';
import { describeArchitecture, inspectedLayers } from './layers';
import { NormsRecorder } from './norms';

export class ModelInspector {
  readonly architecture: Architecture;
  private readonly norms: NormsRecorder;
  private readonly probe: ActivationProbe;
  private readonly every: number;

  /** `created`: the variables the model's construction made (they stand in for layers where it names no networks). */
  constructor(model: TrainableModel, created: tf.Variable[], data: Dataset, options: { grayscale: boolean; evalEvery: number; seed: number }) {
    const networks = model.networks ?? {};
    const layers = inspectedLayers(networks, created);
    this.norms = new NormsRecorder(layers, model.optimizers ?? []);
    const batch = testRows(data, options.grayscale, Math.min(ACTIVATION_ROWS, data.test.count));
    try {
      this.probe = new ActivationProbe(networks, batch, options.seed);
    } finally {
      batch.dispose();
    }
    const notes = [...this.probe.notes];
    if (layers.length === 0) notes.push('The model keeps no variables to show: it holds its parameters as plain numbers (a fit in closed form, or by EM).');
    else if (!model.networks) notes.push('No layers networks are named (a model of its own variables): its variables are shown, and no activations.');
    if (!model.optimizers?.length && !this.norms.empty) notes.push('No optimisers are named: weight norms are shown without gradient norms or update ratios.');
    this.architecture = describeArchitecture(layers, notes);
    this.every = normsEvery(options.evalEvery);
  }

  /** Whether the step about to run (numbered from 1) has its norms recorded. */
  recordsNorms(step: number): boolean {
    return !this.norms.empty && (step === 1 || step % this.every === 0);
  }

  beforeStep(): void {
    this.norms.begin();
  }

  afterStep(step: number): NormsRecord | undefined {
    return this.norms.end(step);
  }

  activations(step: number): ActivationsRecord | undefined {
    return this.probe.empty ? undefined : this.probe.record(step);
  }

  dispose(): void {
    this.probe.dispose();
  }
}
