/**
 * A variational autoencoder (Kingma & Welling 2014) of binarised images, such as MNIST: an
 * explicit but approximate density model. An encoder maps an image x to a Gaussian q(z | x) over a
 * small latent space, a decoder maps z back to a Bernoulli probability for each pixel, and training
 * maximises the evidence lower bound
 *   ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || N(0, I))  <=  log p(x),
 * so every figure here is a bound in nats per image, never the exact log-likelihood.
 *
 * Written by GenLab: New Model from Family… as a starting point. Change anything; saving the file
 * while a run of it trains offers to restart it with the new code.
 */
import * as tf from '@tensorflow/tfjs';
import { defineModel } from 'genlab';

export default defineModel({
  title: 'My VAE',
  densityKind: 'explicit-approximate',
  data: 'images',
  summary: 'The ELBO is a lower bound on log p(x): the test -ELBO is an upper bound on the true NLL.',
  // The key of trainStep's result charted as the loss.
  loss: 'negElbo',
  options: {
    latentDim: { default: 16, label: 'Latent size', description: 'Dimensions of z', min: 1, max: 256, integer: true },
    hiddenSize: { default: 256, label: 'Hidden units', description: 'Units of the hidden layer of the encoder and of the decoder', min: 8, max: 2048, integer: true },
  },
  // About 2,000 steps a minute on two CPU cores: digits appear after a few hundred.
  defaults: { steps: 2000, learningRate: 1e-3, batchSize: 128, evalEvery: 250 },

  create({ data, options, learningRate, rng }) {
    if (data.kind !== 'images') throw new Error('This VAE models images: choose an image dataset such as mnist.');
    const pixels = data.width * data.height * data.channels;
    const { latentDim, hiddenSize } = options;
    const init = () => tf.initializers.glorotUniform({ seed: rng.seed() });

    // The encoder outputs the mean and the log-variance of q(z | x) side by side: [mu | logVar].
    const encoder = tf.sequential({
      name: 'encoder',
      layers: [
        tf.layers.dense({ inputShape: [pixels], units: hiddenSize, activation: 'relu', kernelInitializer: init() }),
        tf.layers.dense({ units: 2 * latentDim, kernelInitializer: init() }),
      ],
    });
    // The decoder outputs logits; the Bernoulli likelihood is computed from them directly, which
    // stays finite where sigmoid(logit) rounds to 0 or 1.
    const decoder = tf.sequential({
      name: 'decoder',
      layers: [
        tf.layers.dense({ inputShape: [latentDim], units: hiddenSize, activation: 'relu', kernelInitializer: init() }),
        tf.layers.dense({ units: pixels, kernelInitializer: init() }),
      ],
    });
    const optimizer = tf.train.adam(learningRate);

    const normal = (rows: number, stream = rng) => tf.tensor2d(stream.normal(rows * latentDim), [rows, latentDim]);

    /** Per image: -log p(x | z) for one z ~ q(z | x) drawn with `eps` (the reparameterisation trick, so gradients reach the encoder), and the KL term in closed form. */
    const terms = (x: tf.Tensor2D, eps: tf.Tensor2D) => {
      const h = encoder.apply(x) as tf.Tensor2D;
      const mu = tf.slice(h, [0, 0], [-1, latentDim]);
      const logVar = tf.slice(h, [0, latentDim], [-1, latentDim]);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
      const logits = decoder.apply(z) as tf.Tensor2D;
      // -log Bernoulli(x | sigmoid(l)) = softplus(l) - x·l, summed over pixels.
      const recon = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 1);
      const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1));
      return { recon, kl };
    };

    // One fixed noise draw for every evaluation, so a change in the test -ELBO between two
    // evaluations is the model's, not the noise's.
    const evalSeed = rng.seed();

    return {
      networks: { encoder, decoder },
      optimizers: [optimizer],

      trainStep(batch) {
        const eps = normal(batch.shape[0]);
        let recon = 0;
        let kl = 0;
        const loss = optimizer.minimize(() => {
          const t = terms(batch, eps);
          const meanRecon = tf.mean(t.recon);
          const meanKl = tf.mean(t.kl);
          // Read here: minimize frees the tensors made inside this function when it returns.
          recon = meanRecon.dataSync()[0];
          kl = meanKl.dataSync()[0];
          return tf.add(meanRecon, meanKl) as tf.Scalar;
        }, true)!;
        const negElbo = loss.dataSync()[0];
        tf.dispose([loss, eps]);
        return { negElbo, recon, kl };
      },

      // The ELBO of each image: GenLab scores the run by its mean over the test set (testNegElbo).
      logProb(x) {
        return tf.tidy(() => {
          const eps = tf.randomNormal([x.shape[0], latentDim], 0, 1, 'float32', evalSeed) as tf.Tensor2D;
          const { recon, kl } = terms(x, eps);
          return tf.neg(tf.add(recon, kl)) as tf.Tensor1D;
        });
      },

      // Pixel probabilities rather than coin flips: the grid shows what the decoder believes.
      draw(count, stream) {
        const z = normal(count, stream);
        const images = tf.tidy(() => tf.sigmoid(decoder.apply(z) as tf.Tensor2D) as tf.Tensor2D);
        z.dispose();
        return images;
      },
    };
  },
});
