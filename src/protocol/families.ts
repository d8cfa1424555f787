/**
 * What each model family is, in words and in the taxonomy's terms, without any TensorFlow.js:
 * the CLI, the extension host and the webviews read it; the trainer's family modules implement it.
 */
import type { Family } from './config';
import type { DensityStory } from './messages';

export interface FamilyInfo {
  title: string;
  /** For tight places: the status bar, progress titles. */
  shortTitle: string;
  /** The main per-step loss among the family's streamed metrics. */
  lossKey: string;
  density: DensityStory;
}

export const FAMILY_INFO: Record<Family, FamilyInfo> = {
  vae: {
    shortTitle: 'VAE',
    title: 'Variational autoencoder',
    lossKey: 'negElbo',
    density: {
      kind: 'explicit-approximate',
      metric: 'testNegElbo',
      summary: 'Explicit, approximate density: the ELBO is a lower bound on log p(x), so the test -ELBO bounds the NLL from above.',
    },
  },
  gaussian: {
    shortTitle: 'Gaussian',
    title: 'Gaussian (maximum likelihood)',
    lossKey: 'nll',
    density: {
      kind: 'explicit-tractable',
      metric: 'testNll',
      summary: 'Explicit, tractable density: log p(x) of a Gaussian in closed form; the maximum-likelihood fit is the sample mean and the (biased) sample covariance.',
    },
  },
  mixture: {
    shortTitle: 'Mixture',
    title: 'Gaussian mixture (EM)',
    lossKey: 'nll',
    density: {
      kind: 'explicit-tractable',
      metric: 'testNll',
      summary: 'Explicit, tractable density: log p(x) = log sum_k pi_k N(x; mu_k, Sigma_k), exact; fitted by expectation-maximisation.',
    },
  },
  realnvp: {
    shortTitle: 'RealNVP',
    title: 'Normalizing flow (RealNVP)',
    lossKey: 'nll',
    density: {
      kind: 'explicit-tractable',
      metric: 'testNll',
      summary: 'Explicit, tractable density: an invertible map to a Gaussian gives log p(x) exactly by the change of variables (log-determinant of the Jacobian).',
    },
  },
};
