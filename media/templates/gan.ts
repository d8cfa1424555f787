/**
 * A generative adversarial network (Goodfellow et al. 2014) of 2-D points: an implicit density
 * model. A generator maps noise z ~ N(0, I) to points, a discriminator learns to tell real points
 * from generated ones, and each improves against the other. The generator has no log p(x) at all:
 * it can only draw, so GenLab judges it by its samples.
 *
 * Written by GenLab: New Model from Family… as a starting point. Change anything; saving the file
 * while a run of it trains offers to restart it with the new code.
 */
import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

/** Adam's beta1 of 0.5 rather than 0.9, as DCGAN found steadier for the two-player game. */
const BETA1 = 0.5;

export default defineModel({
  title: 'My GAN',
  densityKind: 'implicit',
  data: 'points',
  summary: 'A GAN only draws samples: it has no density to evaluate, so it is judged by how its samples spread.',
  // The key of trainStep's result charted as the loss.
  loss: 'discriminator',
  options: {
    latentDim: { default: 2, label: 'Noise size', description: 'Dimensions of the noise z the generator maps to points', min: 1, max: 64, integer: true },
    hiddenSize: { default: 128, label: 'Hidden units', description: 'Units of each of the two hidden layers of both networks', min: 8, max: 1024, integer: true },
  },
  // About 3,000 steps a minute on two CPU cores: the modes separate after a thousand or so.
  defaults: { steps: 3000, learningRate: 1e-3, batchSize: 256, evalEvery: 250 },

  create({ data, options, learningRate, rng }) {
    if (data.kind !== 'points' || data.dim !== 2) throw new Error('This GAN draws 2-D points: choose a 2-D dataset such as 8gaussians.');
    const { latentDim, hiddenSize } = options;
    const mlp = (name: string, sizes: number[]) =>
      tf.sequential({
        name,
        layers: sizes.slice(1).map((units, i) =>
          tf.layers.dense({
            ...(i === 0 ? { inputShape: [sizes[0]] } : {}),
            units,
            // The last layer is linear: points anywhere in the plane, and logits for the discriminator.
            activation: i < sizes.length - 2 ? 'relu' : 'linear',
            kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }),
          }),
        ),
      });
    const generator = mlp('generator', [latentDim, hiddenSize, hiddenSize, 2]);
    const discriminator = mlp('discriminator', [2, hiddenSize, hiddenSize, 1]);
    // Two optimisers, one per player: each step updates only its own network's weights.
    const gOptimizer = tf.train.adam(learningRate, BETA1);
    const dOptimizer = tf.train.adam(learningRate, BETA1);
    const weightsOf = (model: tf.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable);

    const noise = (rows: number, stream = rng) => tf.tensor2d(stream.normal(rows * latentDim), [rows, latentDim]);

    return {
      networks: { generator, discriminator },
      optimizers: [gOptimizer, dOptimizer],

      // One discriminator step, then one generator step on fresh noise. The losses are the
      // non-saturating ones on the discriminator's logits l: softplus(-l) is -log sigmoid(l).
      trainStep(batch) {
        const rows = batch.shape[0];
        const fake = tf.tidy(() => generator.apply(noise(rows)) as tf.Tensor2D);
        const d = dOptimizer.minimize(
          () => {
            const real = discriminator.apply(batch) as tf.Tensor2D;
            const generated = discriminator.apply(fake) as tf.Tensor2D;
            return tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(generated))) as tf.Scalar;
          },
          true,
          weightsOf(discriminator),
        )!;
        const z = noise(rows);
        // The generator wants its points called real: it maximises log D(G(z)), which keeps a
        // strong gradient early on, when the discriminator rejects every generated point.
        const g = gOptimizer.minimize(() => tf.mean(tf.softplus(tf.neg(discriminator.apply(generator.apply(z)) as tf.Tensor2D))) as tf.Scalar, true, weightsOf(generator))!;
        const losses = { discriminator: d.dataSync()[0], generator: g.dataSync()[0] };
        tf.dispose([fake, z, d, g]);
        return losses;
      },

      draw(count, stream) {
        const z = noise(count, stream);
        const points = tf.tidy(() => generator.apply(z) as tf.Tensor2D);
        z.dispose();
        return points;
      },
    };
  },
});
