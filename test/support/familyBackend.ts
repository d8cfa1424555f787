/**
 * The backend the family tests train on: wasm, or the one GENLAB_TEST_BACKEND names (`npm run
 * test:native` sets tensorflow), so that the same tests check that every family trains alike on both.
 */
import type { BackendChoice } from '../../src/protocol/config';
import { type BackendInfo, initBackend } from '../../src/trainer/backend/select';

export const FAMILY_BACKEND = (process.env.GENLAB_TEST_BACKEND ?? 'wasm') as Exclude<BackendChoice, 'auto'>;

/** Initialises it, and refuses to carry on elsewhere: a test meant for tensorflow must not pass on wasm. */
export async function initFamilyBackend(): Promise<BackendInfo> {
  const info = await initBackend(FAMILY_BACKEND);
  if (info.name !== FAMILY_BACKEND) throw new Error(`asked for ${FAMILY_BACKEND}, got ${info.name}`);
  return info;
}
