/**
 * A mixture of K Gaussians on 2-D points, fitted by gradient descent on the exact negative
 * log-likelihood: an explicit, tractable density in a few lines. GenLab draws its logProb as the
 * heatmap and scores the run by the test NLL. Train it from the CodeLens above defineModel, or
 * with `genlab train --model examples/models/mixture-2d.ts --dataset 8gaussians`.
 */
import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

export default defineModel({
  title: 'Gaussian mixture (gradient descent)',
  densityKind: 'explicit-tractable',
  data: 'points',
  options: {
    components: { default: 8, label: 'Components', description: 'Gaussians in the mixture', min: 1, max: 64, integer: true },
  },
  // About 3 seconds on one core; EM (the built-in mixture) gets there in fewer, costlier steps.
  defaults: { steps: 2000, learningRate: 0.03, batchSize: 256, evalEvery: 250 },
  loss: 'nll',

  create({ data, options, learningRate, rng }) {
    const k = options.components;
    const [xMin, xMax, yMin, yMax] = data.extent;
    // Means start spread over the data's extent, so no component begins far from every point.
    const starts = Array.from({ length: k * 2 }, (_, i) => (i % 2 === 0 ? xMin + rng.next() * (xMax - xMin) : yMin + rng.next() * (yMax - yMin)));
    const means = tf.variable(tf.tensor2d(starts, [k, 2]), true, 'means');
    const logStds = tf.variable(tf.fill([k, 2], Math.log((xMax - xMin) / 8)) as tf.Tensor2D, true, 'log_stds');
    const logits = tf.variable(tf.zeros([k]) as tf.Tensor1D, true, 'logits');
    const optimizer = tf.train.adam(learningRate);

    /** log Σ_k π_k N(x; μ_k, diag σ_k²), per row of x. */
    const logProb = (x: tf.Tensor2D) =>
      tf.tidy(() => {
        const z = x.expandDims(1).sub(means).div(logStds.exp()); // [n, k, 2]
        const perComponent = z.square().mul(-0.5).sub(logStds).sum(2).sub(Math.log(2 * Math.PI)); // [n, k]
        return perComponent.add(tf.logSoftmax(logits)).logSumExp(1) as tf.Tensor1D;
      });

    return {
      optimizers: [optimizer],
      trainStep(batch) {
        const loss = optimizer.minimize(() => logProb(batch).mean().neg() as tf.Scalar, true)!;
        const nll = loss.dataSync()[0];
        loss.dispose();
        return { nll };
      },
      logProb,
      draw(count, stream) {
        // Ancestral sampling: a component by its weight, then a point from it.
        const weights = tf.tidy(() => tf.softmax(logits).dataSync());
        const picks = Array.from({ length: count }, () => {
          let u = stream.next();
          let j = 0;
          while (j < k - 1 && u >= weights[j]) u -= weights[j++];
          return j;
        });
        return tf.tidy(() => {
          const index = tf.tensor1d(picks, 'int32');
          const noise = tf.tensor2d(stream.normal(count * 2), [count, 2]);
          return tf.gather(means, index).add(noise.mul(tf.gather(logStds, index).exp())) as tf.Tensor2D;
        });
      },
    };
  },
});
