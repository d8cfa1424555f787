/**
 * A tiny variational autoencoder of binarised images with a 2-D latent space: small enough to
 * train in the tests, and to watch the whole latent plane fill with digits. Its logProb is the
 * ELBO, a lower bound on log p(x), so GenLab shows the bound (test -ELBO), never a likelihood.
 * The full starting point is GenLab: New Model from Family… → VAE; this one is kept short.
 */
import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

const LATENT = 2;

export default defineModel({
  title: 'Tiny VAE (2-D latent)',
  densityKind: 'explicit-approximate',
  data: 'images',
  options: { hidden: { default: 64, label: 'Hidden units', min: 4, max: 1024, integer: true } },
  defaults: { steps: 300, batchSize: 64, evalEvery: 100 },
  loss: 'negElbo',

  create({ data, options, learningRate, rng }) {
    const size = data.width * data.height * data.channels;
    const seeded = () => tf.initializers.glorotUniform({ seed: rng.seed() });
    const dense = (units: number, activation?: 'relu') => tf.layers.dense({ units, activation, kernelInitializer: seeded() });
    // One input, two heads: the posterior's mean and log-variance.
    const image = tf.input({ shape: [size] });
    const hidden = dense(options.hidden, 'relu').apply(image) as tf.SymbolicTensor;
    const encoder = tf.model({ name: 'encoder', inputs: image, outputs: [dense(LATENT).apply(hidden) as tf.SymbolicTensor, dense(LATENT).apply(hidden) as tf.SymbolicTensor] });
    const decoder = tf.sequential({ name: 'decoder', layers: [tf.layers.dense({ inputShape: [LATENT], units: options.hidden, activation: 'relu', kernelInitializer: seeded() }), dense(size)] });
    const optimizer = tf.train.adam(learningRate);

    /** ELBO per image, with the posterior sample drawn from `noise`. */
    const elbo = (x: tf.Tensor2D, noise: tf.Tensor2D) => {
      const [mean, logVar] = encoder.apply(x) as tf.Tensor2D[];
      const z = mean.add(logVar.mul(0.5).exp().mul(noise));
      const logits = decoder.apply(z) as tf.Tensor2D;
      const logLikelihood = x.mul(logits).sub(tf.softplus(logits)).sum(1);
      const kl = mean.square().add(logVar.exp()).sub(logVar).sub(1).sum(1).mul(0.5);
      return logLikelihood.sub(kl) as tf.Tensor1D;
    };
    const noiseFor = (rows: number, stream = rng) => tf.tensor2d(stream.normal(rows * LATENT), [rows, LATENT]);

    return {
      networks: { encoder, decoder },
      optimizers: [optimizer],
      trainStep(batch) {
        const noise = noiseFor(batch.shape[0]);
        const cost = optimizer.minimize(() => elbo(batch, noise).mean().neg() as tf.Scalar, true)!;
        const negElbo = cost.dataSync()[0];
        tf.dispose([cost, noise]);
        return { negElbo };
      },
      logProb: (x) => tf.tidy(() => elbo(x, tf.randomNormal([x.shape[0], LATENT], 0, 1, 'float32', 7) as tf.Tensor2D)),
      draw: (count, stream) => tf.tidy(() => tf.sigmoid(decoder.apply(noiseFor(count, stream)) as tf.Tensor2D) as tf.Tensor2D),
    };
  },
});
