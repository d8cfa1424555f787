/**
 * RealNVP (Dinh et al. 2017) of 2-D points: a normalizing flow, an explicit density model whose
 * log-likelihood is exact. An invertible map f sends a point x to z = f(x), a standard normal
 * is the density of z, and the change of variables gives
 *   log p(x) = log N(f(x); 0, I) + log |det df/dx|.
 * f is a stack of affine couplings: each leaves one coordinate as it is and, from it, a small
 * network gives a log-scale s and a shift t for the other, y = x·exp(s) + t. That is invertible
 * whatever the network computes, and its log-determinant is just s.
 *
 * Because logProb is exact, GenLab draws it over the plane as a heatmap and scores the run by its
 * test negative log-likelihood. Written by GenLab: New Model from Family… as a starting point.
 */
import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

const LOG_2PI = Math.log(2 * Math.PI);
/** Each coupling scales by at most e^±2 (s = B·tanh(raw / B)): an unbounded s can blow up in the first steps. */
const SCALE_BOUND = 2;

export default defineModel({
  title: 'My RealNVP',
  densityKind: 'explicit-tractable',
  data: 'points',
  summary: 'A flow gives the exact log p(x) by the change of variables: the test NLL is the true one.',
  loss: 'nll',
  options: {
    couplings: { default: 6, label: 'Couplings', description: 'Affine coupling layers; they alternate which coordinate they transform', min: 2, max: 16, integer: true },
    hiddenSize: { default: 64, label: 'Hidden units', description: 'Units of each of the two hidden layers of each coupling network', min: 4, max: 512, integer: true },
  },
  // About 2,000 steps a minute on two CPU cores.
  defaults: { steps: 2000, learningRate: 3e-3, batchSize: 256, evalEvery: 250 },

  create({ data, options, learningRate, rng }) {
    if (data.kind !== 'points' || data.dim !== 2) throw new Error('This flow models 2-D points: choose a 2-D dataset such as moons.');
    // A fixed affine map first, u = (x - centre) / halfWidth, puts the data near [-1, 1]², where
    // the couplings start; its log-determinant is a constant, -log(halfWidth) per coordinate.
    const [xMin, xMax, yMin, yMax] = data.extent;
    const centre = tf.tensor1d([(xMin + xMax) / 2, (yMin + yMax) / 2]);
    const halfWidth = tf.tensor1d([(xMax - xMin) / 2, (yMax - yMin) / 2]);
    const standardLogDet = -Math.log(((xMax - xMin) / 2) * ((yMax - yMin) / 2));

    const nets = Array.from({ length: options.couplings }, (_, k) =>
      tf.sequential({
        name: `coupling_${k}`,
        layers: [
          tf.layers.dense({ inputShape: [1], units: options.hiddenSize, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: rng.seed() }) }),
          tf.layers.dense({ units: options.hiddenSize, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: rng.seed() }) }),
          // Zeros: every coupling starts as the identity, so the flow starts as a plain Gaussian.
          tf.layers.dense({ units: 2, kernelInitializer: 'zeros' }),
        ],
      }),
    );
    const optimizer = tf.train.adam(learningRate);

    /** Coupling k's log-scale and shift for the coordinate it transforms, from the one it keeps. */
    const scaleShift = (k: number, kept: tf.Tensor2D) => {
      const out = nets[k].apply(kept) as tf.Tensor2D;
      const s = tf.mul(SCALE_BOUND, tf.tanh(tf.div(tf.slice(out, [0, 0], [-1, 1]), SCALE_BOUND)));
      return { s, t: tf.slice(out, [0, 1], [-1, 1]) };
    };
    // Even couplings keep x0 and transform x1, odd ones the reverse, so both coordinates change.
    const split = (u: tf.Tensor2D, k: number) => {
      const [a, b] = tf.split(u, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return k % 2 === 0 ? { kept: a, moved: b } : { kept: b, moved: a };
    };
    const join = (kept: tf.Tensor2D, moved: tf.Tensor2D, k: number) => (k % 2 === 0 ? tf.concat([kept, moved], 1) : tf.concat([moved, kept], 1)) as tf.Tensor2D;

    const logProb = (x: tf.Tensor2D) =>
      tf.tidy(() => {
        let u = tf.div(tf.sub(x, centre), halfWidth) as tf.Tensor2D;
        let logDet: tf.Tensor = tf.fill([x.shape[0]], standardLogDet);
        for (let k = 0; k < nets.length; k++) {
          const { kept, moved } = split(u, k);
          const { s, t } = scaleShift(k, kept);
          u = join(kept, tf.add(tf.mul(moved, tf.exp(s)), t), k);
          logDet = tf.add(logDet, tf.reshape(s, [-1]));
        }
        const logNormal = tf.sub(tf.mul(-0.5, tf.sum(tf.square(u), 1)), LOG_2PI);
        return tf.add(logNormal, logDet) as tf.Tensor1D;
      });

    return {
      networks: Object.fromEntries(nets.map((net) => [net.name, net])),
      optimizers: [optimizer],

      // Maximum likelihood: minimise the mean negative log-density of the batch, in nats.
      trainStep(batch) {
        const loss = optimizer.minimize(() => tf.neg(tf.mean(logProb(batch))) as tf.Scalar, true)!;
        const nll = loss.dataSync()[0];
        loss.dispose();
        return { nll };
      },

      logProb,

      // Sampling runs the flow backwards: z ~ N(0, I), then each coupling undone in reverse
      // order, x = (y - t)·exp(-s), then the fixed map undone.
      draw(count, stream) {
        const z = tf.tensor2d(stream.normal(count * 2), [count, 2]);
        const points = tf.tidy(() => {
          let u: tf.Tensor2D = z;
          for (let k = nets.length - 1; k >= 0; k--) {
            const { kept, moved } = split(u, k);
            const { s, t } = scaleShift(k, kept);
            u = join(kept, tf.mul(tf.sub(moved, t), tf.exp(tf.neg(s))), k);
          }
          return tf.add(tf.mul(u, halfWidth), centre) as tf.Tensor2D;
        });
        z.dispose();
        return points;
      },

      dispose() {
        tf.dispose([centre, halfWidth]);
      },
    };
  },
});
