import type { Family } from '../../protocol/config';
import type { ModelFamily } from './family';
import { vaeFamily } from './vae';

const FAMILIES: { [F in Family]: ModelFamily<F> } = {
  vae: vaeFamily,
};

export function familyOf<F extends Family>(family: F): ModelFamily<F> {
  return FAMILIES[family];
}
