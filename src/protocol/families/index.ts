/**
 * The registry of model families as the protocol knows them. Adding a family adds its spec file
 * here, its trainer module in src/trainer/families/registry.ts, and its command in package.json.
 */
import { ddpmSpec } from './ddpm';
import { ganSpec } from './gan';
import { gaussianSpec } from './gaussian';
import { mixtureSpec } from './mixture';
import { pixelcnnSpec } from './pixelcnn';
import { realnvpSpec } from './realnvp';
import { vaeSpec } from './vae';

export const FAMILY_SPECS = {
  vae: vaeSpec,
  gaussian: gaussianSpec,
  mixture: mixtureSpec,
  pixelcnn: pixelcnnSpec,
  realnvp: realnvpSpec,
  gan: ganSpec,
  ddpm: ddpmSpec,
};
export type Family = keyof typeof FAMILY_SPECS;
export const FAMILIES = Object.keys(FAMILY_SPECS) as Family[];
