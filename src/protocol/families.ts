/**
 * What each model family is, in words and in the taxonomy's terms, without any TensorFlow.js:
 * the CLI, the extension host and the webviews read it; the trainer's family modules implement it.
 */
import type { Family } from './config';
import type { DensityStory } from './messages';

export interface FamilyInfo {
  title: string;
  /** The main per-step loss among the family's streamed metrics. */
  lossKey: string;
  density: DensityStory;
}

export const FAMILY_INFO: Record<Family, FamilyInfo> = {
  vae: {
    title: 'Variational autoencoder',
    lossKey: 'negElbo',
    density: {
      kind: 'explicit-approximate',
      metric: 'testNegElbo',
      summary: 'Explicit, approximate density: the ELBO is a lower bound on log p(x), so the test -ELBO bounds the NLL from above.',
    },
  },
};
