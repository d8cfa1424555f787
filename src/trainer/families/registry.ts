import type { Family } from '../../protocol/config';
import type { ModelFamily } from './family';
import { vaeFamily } from './vae';
import { gaussianFamily } from './gaussian';
import { mixtureFamily } from './mixture';
import { realnvpFamily } from './realnvp';

const FAMILIES: { [F in Family]: ModelFamily<F> } = {
  vae: vaeFamily,
  gaussian: gaussianFamily,
  mixture: mixtureFamily,
  realnvp: realnvpFamily,
};

export function familyOf<F extends Family>(family: F): ModelFamily<F> {
  return FAMILIES[family];
}
