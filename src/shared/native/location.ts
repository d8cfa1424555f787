/**
 * Where the native backend lives: one per-user folder shared by the extension, the CLI and the
 * trainer, outside the extension's own folder so that it survives updates and needs no write
 * access to the install. GENLAB_NATIVE_DIR moves it (a shared cache on a cluster, a test's
 * temporary folder).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NATIVE_PACKAGES, nativePackageName, NATIVE_VARIANTS, type NativeManifest, nativeManifest, type NativeVariant, TFJS_VERSION } from '../../protocol/native';
import { problemText, readJsonFile } from '../decodedFiles';

export const MANIFEST_FILE = 'native.json';
/** findNativeInstall's problem when there is no install at all (rather than a damaged or mismatched one). */
export const NOT_INSTALLED = 'not installed';

/** GenLab's per-user folder of a kind: the platform's data or cache folder (XDG's variables respected on Linux). */
export function userFolder(kind: 'data' | 'cache', env: NodeJS.ProcessEnv = process.env): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'GenLab', ...(kind === 'cache' ? ['cache'] : []));
  if (process.platform === 'darwin') return path.join(home, 'Library', kind === 'cache' ? 'Caches' : 'Application Support', 'GenLab');
  const xdg = kind === 'cache' ? env.XDG_CACHE_HOME || path.join(home, '.cache') : env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  return path.join(xdg, 'genlab');
}

/** The folder that holds every native install: GENLAB_NATIVE_DIR, else the per-user data folder's native/. */
export function nativeRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.GENLAB_NATIVE_DIR ? path.resolve(env.GENLAB_NATIVE_DIR) : path.join(userFolder('data', env), 'native');
}

/**
 * The install of a build (CPU or GPU) for a TensorFlow.js version: a folder for each, so that one
 * GenLab's install never breaks another's and both builds can be kept.
 */
export function installDir(env: NodeJS.ProcessEnv = process.env, variant: NativeVariant = 'cpu', version = TFJS_VERSION): string {
  return path.join(nativeRoot(env), `${nativePackageName(variant)}-${version}`);
}

/** The tfjs-node (or tfjs-node-gpu) package folder inside an install. */
export function tfjsNodePackage(dir: string, variant: NativeVariant = 'cpu'): string {
  return path.join(dir, 'node_modules', ...NATIVE_PACKAGES[variant].split('/'));
}

export type NativeInstall = { ok: true; dir: string; variant: NativeVariant; manifest: NativeManifest } | { ok: false; dir: string; variant: NativeVariant; problem: string };

/** The install of `variant` this GenLab can load, or why there is none. A folder without its manifest is an install that never finished. */
export function findNativeInstall(env: NodeJS.ProcessEnv = process.env, variant: NativeVariant = 'cpu'): NativeInstall {
  const dir = installDir(env, variant);
  const name = nativePackageName(variant);
  if (!fs.existsSync(dir)) return { ok: false, dir, variant, problem: NOT_INSTALLED };
  const read = readJsonFile(path.join(dir, MANIFEST_FILE), nativeManifest);
  if (!read.ok) return { ok: false, dir, variant, problem: `damaged (${problemText(read.problem)})` };
  if (read.value.tfjsNode !== TFJS_VERSION) return { ok: false, dir, variant, problem: `${name} ${read.value.tfjsNode}, not GenLab's TensorFlow.js ${TFJS_VERSION}` };
  if (!fs.existsSync(path.join(tfjsNodePackage(dir, variant), 'package.json'))) return { ok: false, dir, variant, problem: `damaged (${name} is missing from it)` };
  return { ok: true, dir, variant, manifest: read.value };
}

/** Every build that has a folder (installed, damaged or mismatched), GPU first; the CPU build's "not installed" when there is none. */
export function nativeInstalls(env: NodeJS.ProcessEnv = process.env): NativeInstall[] {
  const present = [...NATIVE_VARIANTS].reverse().map((variant) => findNativeInstall(env, variant)).filter((i) => i.ok || i.problem !== NOT_INSTALLED);
  return present.length ? present : [findNativeInstall(env, 'cpu')];
}

/** Whether a build the trainer can load is installed: `auto` then trains on it, with the families' native defaults. */
export const nativeBackendInstalled = (env: NodeJS.ProcessEnv = process.env) => nativeInstalls(env).some((i) => i.ok);
