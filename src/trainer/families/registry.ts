import type { Family } from '../../protocol/config';
import type { ModelFamily } from './family';
import { vaeFamily } from './vae';
import { gaussianFamily } from './gaussian';
import { mixtureFamily } from './mixture';
import { realnvpFamily } from './realnvp';
import { pixelcnnFamily } from './pixelcnn';
import { ganFamily } from './gan';
import { ddpmFamily } from './ddpm';

const FAMILIES: { [F in Family]: ModelFamily<F> } = {
  vae: vaeFamily,
  gaussian: gaussianFamily,
  mixture: mixtureFamily,
  pixelcnn: pixelcnnFamily,
  realnvp: realnvpFamily,
  gan: ganFamily,
  ddpm: ddpmFamily,
};

export function familyOf<F extends Family>(family: F): ModelFamily<F> {
  return FAMILIES[family];
}
