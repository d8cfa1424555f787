/**
 * RealNVP (Dinh et al. 2017) on 2-D points (images: realnvpImages.ts): a fixed standardisation followed by a stack of affine
 * coupling layers maps x to z, and a standard normal on z gives the exact density
 * log p(x) = log N(z; 0, I) + log|det ∂z/∂x|.
 *
 * Coupling k leaves one coordinate as it is (x0 for even k, x1 for odd k) and feeds it to a small
 * MLP that gives a log-scale s and a shift t for the other: z' = z·exp(s) + t, whose
 * log-determinant is s. s is bounded smoothly, s = B·tanh(raw / B), so no layer can blow up.
 *
 * Training is where the time goes. On 2-D data with a batch of 256 every tensor is small, so the
 * fixed cost of each kernel, not arithmetic, dominates a step, and tfjs's autodiff of these
 * formulas runs ~900 kernels per step (~13 ms with the default 8 couplings of 64-64 ReLU networks
 * on wasm, ~22 ms with tanh). So the step is written out by hand (~5-7 ms, ~60 kernels):
 *  - everything per point (the coupling's scale and shift, its log-determinant, the loss and their
 *    derivatives) runs in plain loops over B×1 columns;
 *  - the networks' hidden-to-hidden products, the only real arithmetic, run as matMul kernels;
 *  - on the wasm backend, the element-wise work of each ReLU layer (activation or its gradient,
 *    the bias gradient, and the network's 1-wide input and 2-wide output layers on either side)
 *    runs as one small SIMD loop per layer, on the tensors where they live (backend/couplingPasses.ts).
 *    Other backends take the same chain rule as tensor ops.
 * `logProbOps` is the same density as differentiable tensor ops: the tests check the hand-written
 * gradient, both ways, against tfjs's autodiff of it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainConfig } from '../../protocol/config';
import type { DensityGrid } from '../../protocol/messages';
import { type PointDataset, plannedSteps } from '../data/dataset';
import { UserError } from '../../shared/userError';
import { CosineAdam } from '../backend/fusedAdam';
import { type CouplingPasses, couplingPasses } from '../backend/couplingPasses';
import { saveLayersModel } from '../runs/layersFormat';
import type { Rng } from '../rng';
import { densityView, gridPoints } from './densityGrid';
import type { ModelFamily, TrainableModel } from './family';
import { mlp } from './networks';
import { RealNvpImages } from './realnvpImages';
import { layersModelPart, numbersPart, optimizerPart, type TrainingState, trainingState } from './trainingState';

const LOG_2PI = Math.log(2 * Math.PI);
/** Points drawn for the density view. */
const SAMPLES = 600;
/** Rows per chunk when evaluating many points (test set, density grid). */
const EVAL_CHUNK = 4096;
/** The bound on each coupling's log-scale: a factor of at most e^±2 per layer. */
export const SCALE_BOUND = 2;

export interface FlowSpec {
  couplings: number;
  hiddenSizes: number[];
  scaleBound: number;
  /** The fixed standardisation applied before the couplings: u = (x - mean) / std. */
  mean: [number, number];
  std: [number, number];
}

interface Dense {
  kernel: tf.Variable;
  bias: tf.Variable;
}

/** One coupling: the coordinate it conditions on, the MLP, and the MLP's variables by layer. */
interface Coupling {
  cond: 0 | 1;
  net: tfl.Sequential;
  layers: Dense[];
}

/** What the forward pass keeps of one coupling for the backward pass. */
interface CouplingTape {
  /** The inputs of each dense layer: the conditioning column (B×1), then the hidden activations. */
  inputs: tf.Tensor2D[];
  /** The transformed coordinate before the coupling, tanh(raw / bound) and exp(s), per point. */
  before: Float32Array;
  tanh: Float32Array;
  scale: Float32Array;
}

const couplingName = (k: number) => `coupling-${String(k).padStart(2, '0')}`;

function conditioner(k: number, sizes: number[], seed: number, randomOutput: boolean): tfl.Sequential {
  return mlp(couplingName(k).replace('-', '_'), sizes, seed, (i, last) => ({
    // The output layer starts at zero, so the flow starts as the identity (a test can ask for a
    // random flow instead).
    kernelInitializer: !last
      ? tfl.initializers.heNormal({ seed: seed + i })
      : randomOutput
        ? tfl.initializers.varianceScaling({ scale: 0.2, seed: seed + i })
        : 'zeros',
    // A ReLU unit of a scalar input kinks where w·u + b = 0: random first-layer biases spread
    // those kinks over the data instead of stacking them all at 0.
    biasInitializer:
      i === 0
        ? tfl.initializers.randomUniform({ minval: -2, maxval: 2, seed: seed + 100 })
        : last && randomOutput
          ? tfl.initializers.randomNormal({ stddev: 0.3, seed: seed + 200 })
          : 'zeros',
  }));
}

/** Column sums of a rows×cols row-major array. */
function columnSums(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += values[r * cols + c];
  return out;
}

/**
 * The chain rule through an MLP of ReLU layers and a linear 2-wide output, as tensor ops: for
 * backends other than wasm. inputs[i] is the input of layer i.
 */
function plainNetworkBackward(layers: Dense[], inputs: tf.Tensor2D[], dOut: Float32Array, grads: tf.NamedTensorMap): Float32Array {
  const n = dOut.length / 2;
  let dy = tf.tensor2d(dOut, [n, 2]);
  let dBias: tf.Tensor = tf.tensor1d(columnSums(dOut, n, 2));
  for (let i = layers.length - 1; ; i--) {
    const { kernel, bias } = layers[i];
    grads[kernel.name] = tf.matMul(inputs[i], dy, true, false);
    grads[bias.name] = dBias;
    const dInput = tf.matMul(dy, kernel as tf.Tensor2D, false, true);
    dy.dispose();
    if (i === 0) {
      const dCond = dInput.dataSync() as Float32Array;
      dInput.dispose();
      return dCond;
    }
    // The input is a ReLU's output: its gradient passes where it is positive.
    [dy, dBias] = tf.tidy(() => {
      const dPre = tf.mul(dInput, tf.step(inputs[i])) as tf.Tensor2D;
      return [dPre, tf.sum(dPre, 0)];
    });
    dInput.dispose();
  }
}

/**
 * The same chain rule on the wasm backend: one backward loop (couplingPasses.ts) per hidden layer, the
 * first and last of them folding in the network's input and output layers, and two matrix
 * products (kernel gradient, input gradient) between consecutive hidden layers.
 */
function fusedNetworkBackward(passes: CouplingPasses, layers: Dense[], inputs: tf.Tensor2D[], dOut: Float32Array, grads: tf.NamedTensorMap): Float32Array {
  const make = (shape: number[]) => passes.output(shape);
  const n = dOut.length / 2;
  const hidden = layers.length - 1;
  const output = layers[hidden];
  const g = tf.tensor2d(dOut, [n, 2]);
  grads[output.bias.name] = tf.tensor1d(columnSums(dOut, n, 2));
  let dh: tf.Tensor | undefined;
  let dCond: Float32Array = new Float32Array(0);
  // Hidden layer i (1-based) is layers[i - 1]; its output is inputs[i].
  for (let i = hidden; i >= 1; i--) {
    const layer = layers[i - 1];
    const h = inputs[i];
    const width = h.shape[1];
    const head = i === hidden;
    const first = i === 1;
    const dPre = first ? undefined : make([n, width]);
    const scratch = head ? make([4 * width]) : undefined;
    const dx = first ? make([n]) : undefined;
    grads[layer.bias.name] = make([width]);
    if (head) grads[output.kernel.name] = make([width, 2]);
    if (first) grads[layer.kernel.name] = make([1, width]);
    passes.backward({
      h,
      db: grads[layer.bias.name],
      dh,
      dPre,
      head: scratch && { g, wOut: output.kernel, dwOut: grads[output.kernel.name], scratch },
      first: dx && { x: inputs[0], w1: layer.kernel, dw1: grads[layer.kernel.name], dx },
    });
    tf.dispose([scratch, dh].filter((t) => t !== undefined));
    if (dPre) {
      grads[layer.kernel.name] = tf.matMul(inputs[i - 1], dPre as tf.Tensor2D, true, false);
      dh = tf.matMul(dPre as tf.Tensor2D, layer.kernel as tf.Tensor2D, false, true);
      dPre.dispose();
    }
    if (dx) {
      dCond = dx.dataSync() as Float32Array;
      dx.dispose();
    }
  }
  g.dispose();
  return dCond;
}

/**
 * The flow: forward (x → z with log|det|), inverse, log p(x), and the training gradient. Its
 * couplings' networks are tfjs-layers models, saved as they are.
 */
export class RealNvpFlow {
  readonly couplings: Coupling[];
  /** Whether to use the wasm backend's fused loops where they apply (tests turn them off to check the plain path). */
  useFused = true;

  constructor(
    readonly spec: FlowSpec,
    seed: number,
    options: { randomOutput?: boolean } = {},
  ) {
    this.couplings = Array.from({ length: spec.couplings }, (_, k) => {
      const net = conditioner(k, [1, ...spec.hiddenSizes, 2], seed + 1000 * k, options.randomOutput ?? false);
      const layers = net.layers.map((layer) => {
        const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
        return { kernel, bias };
      });
      return { cond: (k % 2) as 0 | 1, net, layers };
    });
  }

  get variables(): tf.Variable[] {
    return this.couplings.flatMap((c) => c.layers.flatMap((l) => [l.kernel, l.bias]));
  }

  /** Constant part of log p: the base density's normaliser and the standardisation's log-determinant. */
  private get logConstant(): number {
    return -LOG_2PI - Math.log(this.spec.std[0]) - Math.log(this.spec.std[1]);
  }

  /** The standardised columns of x (n×2, row-major). */
  private standardise(x: ArrayLike<number>, n: number): [Float32Array, Float32Array] {
    const { mean, std } = this.spec;
    const cols: [Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n)];
    for (let r = 0; r < n; r++) {
      cols[0][r] = (x[2 * r] - mean[0]) / std[0];
      cols[1][r] = (x[2 * r + 1] - mean[1]) / std[1];
    }
    return cols;
  }

  /**
   * A coupling's network on its conditioning column: raw log-scale and shift, interleaved (n×2).
   * With `inputs`, the inputs of every layer are kept (and must be disposed by the caller).
   */
  private network(c: Coupling, cond: Float32Array, inputs?: tf.Tensor2D[]): Float32Array {
    const passes = this.useFused ? couplingPasses() : null;
    const n = cond.length;
    // A copy: `cond` is a column the next couplings move in place, and the cpu and tensorflow
    // backends keep the array a tensor is made from (wasm copies it), so the kept layer input
    // would change under the backward pass.
    const x = tf.tensor2d(Float32Array.from(cond), [n, 1]);
    const keep = (t: tf.Tensor2D) => (inputs ? inputs.push(t) : t.dispose());
    if (!passes) {
      let h = x;
      c.layers.forEach((l, i) => {
        const last = i === c.layers.length - 1;
        const next = tf.fused.matMul({ a: h, b: l.kernel as tf.Tensor2D, bias: l.bias, activation: last ? 'linear' : 'relu' }) as tf.Tensor2D;
        keep(h);
        h = next;
      });
      const out = h.dataSync() as Float32Array;
      h.dispose();
      return out;
    }
    const [first, ...rest] = c.layers;
    const output = rest.pop()!;
    let h = passes.output([n, first.bias.shape[0]]);
    passes.firstForward(x, first.kernel, first.bias, h);
    keep(x);
    for (const l of rest) {
      const next = tf.fused.matMul({ a: h, b: l.kernel as tf.Tensor2D, bias: l.bias, activation: 'relu' }) as tf.Tensor2D;
      keep(h);
      h = next;
    }
    const o = passes.output([n, 2]);
    const scratch = passes.output([2, h.shape[1]]);
    passes.headForward(h, output.kernel, output.bias, o, scratch);
    keep(h);
    const out = o.dataSync() as Float32Array;
    tf.dispose([o, scratch]);
    return out;
  }

  /**
   * x (n×2, row-major) → z columns and Σ log|det| of the couplings per point, plus what the
   * backward pass needs when `tapes` is given.
   */
  private run(x: ArrayLike<number>, n: number, tapes?: CouplingTape[]): { z: [Float32Array, Float32Array]; logDet: Float32Array } {
    const z = this.standardise(x, n);
    const logDet = new Float32Array(n);
    const bound = this.spec.scaleBound;
    for (const c of this.couplings) {
      const inputs: tf.Tensor2D[] | undefined = tapes ? [] : undefined;
      const raw = this.network(c, z[c.cond], inputs);
      const moved = z[1 - c.cond];
      const before = tapes ? moved.slice() : moved;
      const tanh = new Float32Array(tapes ? n : 0);
      const scale = new Float32Array(tapes ? n : 0);
      for (let r = 0; r < n; r++) {
        const th = Math.tanh(raw[2 * r] / bound);
        const s = bound * th;
        const e = Math.exp(s);
        moved[r] = moved[r] * e + raw[2 * r + 1];
        logDet[r] += s;
        if (tapes) {
          tanh[r] = th;
          scale[r] = e;
        }
      }
      tapes?.push({ inputs: inputs!, before, tanh, scale });
    }
    return { z, logDet };
  }

  /** log p(x) for n points (x row-major n×2), in chunks. */
  logProb(x: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n);
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const rows = Math.min(EVAL_CHUNK, n - start);
      const { z, logDet } = this.run(x.subarray(2 * start, 2 * (start + rows)), rows);
      for (let r = 0; r < rows; r++) out[start + r] = logDet[r] - 0.5 * (z[0][r] ** 2 + z[1][r] ** 2) + this.logConstant;
    }
    return out;
  }

  /** x (n×2, row-major) → z (n×2, row-major) and log|det ∂z/∂x| per point. */
  forward(x: ArrayLike<number>, n: number): { z: Float32Array; logDet: Float32Array } {
    const { z, logDet } = this.run(x, n);
    const out = new Float32Array(2 * n);
    const logStd = Math.log(this.spec.std[0]) + Math.log(this.spec.std[1]);
    for (let r = 0; r < n; r++) {
      out[2 * r] = z[0][r];
      out[2 * r + 1] = z[1][r];
      logDet[r] -= logStd;
    }
    return { z: out, logDet };
  }

  /** z (n×2, row-major) → x: the couplings undone in reverse order, then the standardisation. */
  inverse(zIn: ArrayLike<number>, n: number): Float32Array {
    const z: [Float32Array, Float32Array] = [new Float32Array(n), new Float32Array(n)];
    for (let r = 0; r < n; r++) [z[0][r], z[1][r]] = [zIn[2 * r], zIn[2 * r + 1]];
    const bound = this.spec.scaleBound;
    for (const c of [...this.couplings].reverse()) {
      const raw = this.network(c, z[c.cond]);
      const moved = z[1 - c.cond];
      for (let r = 0; r < n; r++) moved[r] = (moved[r] - raw[2 * r + 1]) * Math.exp(-bound * Math.tanh(raw[2 * r] / bound));
    }
    const { mean, std } = this.spec;
    const x = new Float32Array(2 * n);
    for (let r = 0; r < n; r++) {
      x[2 * r] = z[0][r] * std[0] + mean[0];
      x[2 * r + 1] = z[1][r] * std[1] + mean[1];
    }
    return x;
  }

  /**
   * The mean negative log-likelihood of a batch (n×2) and its gradient for every variable, keyed
   * by variable name: the forward pass, then the chain rule back through each coupling.
   */
  lossAndGradients(batch: ArrayLike<number>, n: number): { nll: number; grads: tf.NamedTensorMap } {
    const tapes: CouplingTape[] = [];
    const { z, logDet } = this.run(batch, n, tapes);
    let total = 0;
    for (let r = 0; r < n; r++) total += 0.5 * (z[0][r] ** 2 + z[1][r] ** 2) - logDet[r];
    const nll = total / n - this.logConstant;

    // d nll / d z = z / n; d nll / d logDet = -1 / n for every point.
    const grad: [Float32Array, Float32Array] = [z[0].map((v) => v / n), z[1].map((v) => v / n)];
    const dLogDet = -1 / n;
    const grads: tf.NamedTensorMap = {};
    for (let k = this.couplings.length - 1; k >= 0; k--) {
      const c = this.couplings[k];
      const tape = tapes[k];
      const gMoved = grad[1 - c.cond];
      // Through z' = z·e^s + t with s = bound·tanh(raw / bound): ds/draw = 1 - tanh².
      const dRaw = new Float32Array(2 * n);
      for (let r = 0; r < n; r++) {
        const e = tape.scale[r];
        const th = tape.tanh[r];
        dRaw[2 * r] = (gMoved[r] * tape.before[r] * e + dLogDet) * (1 - th * th);
        dRaw[2 * r + 1] = gMoved[r];
        gMoved[r] *= e;
      }
      const dCond = this.networkBackward(c, tape.inputs, dRaw, grads);
      const gCond = grad[c.cond];
      for (let r = 0; r < n; r++) gCond[r] += dCond[r];
    }
    return { nll, grads };
  }

  /**
   * Backward through a coupling's MLP from the gradient of its output (n×2, interleaved): adds
   * each layer's kernel and bias gradients to `grads`, disposes the layer inputs, and returns the
   * gradient for the conditioning column.
   */
  private networkBackward(c: Coupling, inputs: tf.Tensor2D[], dOut: Float32Array, grads: tf.NamedTensorMap): Float32Array {
    const passes = this.useFused ? couplingPasses() : null;
    const dCond = passes ? fusedNetworkBackward(passes, c.layers, inputs, dOut, grads) : plainNetworkBackward(c.layers, inputs, dOut, grads);
    tf.dispose(inputs);
    return dCond;
  }

  /**
   * log p(x) as differentiable tensor ops (x: n×2 tensor → n×1): the same density as logProb,
   * for checking the hand-written gradient against tfjs's autodiff.
   */
  logProbOps(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const { mean, std, scaleBound: bound } = this.spec;
      const u = tf.div(tf.sub(x, tf.tensor2d([mean], [1, 2])), tf.tensor2d([std], [1, 2]));
      let cols = [tf.slice(u, [0, 0], [-1, 1]), tf.slice(u, [0, 1], [-1, 1])] as tf.Tensor2D[];
      let logDet: tf.Tensor = tf.zeros([x.shape[0], 1]);
      for (const c of this.couplings) {
        let h: tf.Tensor2D = cols[c.cond];
        c.layers.forEach((l, i) => {
          h = tf.add(tf.matMul(h, l.kernel as tf.Tensor2D), l.bias);
          if (i < c.layers.length - 1) h = tf.relu(h);
        });
        const s = tf.mul(tf.tanh(tf.div(tf.slice(h, [0, 0], [-1, 1]), bound)), bound);
        const moved = tf.add(tf.mul(cols[1 - c.cond], tf.exp(s)), tf.slice(h, [0, 1], [-1, 1])) as tf.Tensor2D;
        cols = c.cond === 0 ? [cols[0], moved] : [moved, cols[1]];
        logDet = tf.add(logDet, s);
      }
      const sq = tf.add(tf.square(cols[0]), tf.square(cols[1]));
      return tf.add(tf.sub(logDet, tf.mul(0.5, sq)), this.logConstant) as tf.Tensor2D;
    });
  }

  describe(): object {
    return {
      format: 'genlab-realnvp',
      dim: 2,
      base: 'standard normal',
      standardise: { mean: this.spec.mean, std: this.spec.std },
      scaleBound: this.spec.scaleBound,
      hiddenSizes: this.spec.hiddenSizes,
      activation: 'relu',
      couplings: this.couplings.map((c, k) => ({ model: `${couplingName(k)}/model.json`, conditionOn: c.cond, transform: 1 - c.cond })),
      map:
        'From data x to latent z: u = (x - mean) / std, then each coupling in order: [raw, t] = model(u[conditionOn]), ' +
        's = scaleBound * tanh(raw / scaleBound), u[transform] = u[transform] * exp(s) + t. ' +
        'log p(x) = log N(u; 0, I) + sum of s - sum(log std). Sampling runs the couplings in reverse: u[transform] = (u[transform] - t) * exp(-s).',
    };
  }

  async save(dir: string): Promise<void> {
    for (const [k, c] of this.couplings.entries()) await saveLayersModel(c.net, path.join(dir, couplingName(k)));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'flow.json'), JSON.stringify(this.describe(), null, 2));
  }

  dispose(): void {
    for (const c of this.couplings) c.net.dispose();
  }
}

/** Per-axis mean and standard deviation of n×2 points. */
export function pointMoments(points: ArrayLike<number>, n: number): { mean: [number, number]; std: [number, number] } {
  const mean: [number, number] = [0, 0];
  const sq: [number, number] = [0, 0];
  for (let r = 0; r < n; r++) {
    for (const d of [0, 1]) {
      mean[d] += points[2 * r + d];
      sq[d] += points[2 * r + d] ** 2;
    }
  }
  const std = [0, 1].map((d) => Math.sqrt(Math.max(sq[d] / n - (mean[d] / n) ** 2, 1e-12))) as [number, number];
  return { mean: [mean[0] / n, mean[1] / n], std };
}

/** Adam (fused on wasm) whose learning rate the model sets each step. */
class RealNvp implements TrainableModel {
  readonly flow: RealNvpFlow;
  private readonly optimizer: CosineAdam;

  get networks(): Record<string, tfl.LayersModel> {
    return Object.fromEntries(this.flow.couplings.map((c, k) => [couplingName(k), c.net]));
  }

  get optimizers(): tf.Optimizer[] {
    return [this.optimizer];
  }
  /** Fixed base draws, so the density view's samples move smoothly as training goes on. */
  private readonly baseNoise: Float32Array;
  private readonly grid: Float32Array;
  readonly getState: TrainingState['getState'];
  readonly setState: TrainingState['setState'];

  constructor(
    config: TrainConfig<'realnvp'>,
    private readonly data: PointDataset,
    rng: Rng,
  ) {
    const { couplings, hiddenSizes } = config.model;
    const moments = pointMoments(data.train.points, data.train.count);
    this.flow = new RealNvpFlow({ couplings, hiddenSizes, scaleBound: SCALE_BOUND, ...moments }, Math.floor(rng.next() * 1e6));
    this.optimizer = new CosineAdam(config.learningRate, plannedSteps(config, data));
    this.baseNoise = rng.fork(1).fillNormal(new Float32Array(SAMPLES * 2));
    this.grid = gridPoints(data).points;
    ({ getState: this.getState, setState: this.setState } = trainingState([
      ...this.flow.couplings.map((c, k) => layersModelPart(couplingName(k), c.net)),
      optimizerPart('adam', this.optimizer),
      // The cosine schedule's position.
      numbersPart('step', () => [this.optimizer.position], ([step]) => (this.optimizer.position = step)),
    ]));
  }

  trainStep(batch: tf.Tensor2D): Record<string, number> {
    this.optimizer.advance();
    const { nll, grads } = this.flow.lossAndGradients(batch.dataSync(), batch.shape[0]);
    this.optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(grads));
    return { nll };
  }

  evaluate(): Record<string, number> {
    const { count, points } = this.data.test;
    const logP = this.flow.logProb(points, count);
    let sum = 0;
    for (const v of logP) sum += v;
    return { testNll: -sum / count };
  }

  density(): DensityGrid {
    const values = this.flow.logProb(this.grid, this.grid.length / 2);
    const samples = this.flow.inverse(this.baseNoise, SAMPLES);
    return densityView('log-density', this.data, values, samples);
  }

  /** Temperature scales the base distribution: z ~ N(0, T² I), then the inverse flow. */
  generate(count: number, rng: Rng, temperature: number): Float32Array {
    return this.flow.inverse(rng.fillNormal(new Float32Array(count * 2)).map((z) => z * temperature), count);
  }

  save(dir: string): Promise<void> {
    return this.flow.save(dir);
  }

  dispose(): void {
    this.flow.dispose();
    this.optimizer.dispose();
  }
}

export const realnvpFamily: ModelFamily<'realnvp'> = {
  family: 'realnvp',
  // Images arrive as grey levels, which the image flow dequantises itself.
  grayscale: true,
  create: (config, data, rng) => {
    if (data.kind === 'images') return new RealNvpImages(config, data, rng, SCALE_BOUND);
    if (data.dim !== 2) {
      throw new UserError(
        `A RealNVP coupling needs at least 2 dimensions (it transforms one coordinate given the others); ${config.dataset} is 1-D.`,
        'Use the gaussian or mixture family for 1-D data, or choose a 2-D dataset.',
      );
    }
    return new RealNvp(config, data, rng);
  },
};
