/**
 * Where the native backend lives: one per-user folder shared by the extension, the CLI and the
 * trainer, outside the extension's own folder so that it survives updates and needs no write
 * access to the install. GENLAB_NATIVE_DIR moves it (a shared cache on a cluster, a test's
 * temporary folder).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type NativeManifest, nativeManifest, TFJS_VERSION } from '../../protocol/native';
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

/** The install for a TensorFlow.js version: a folder per version, so that one GenLab's install never breaks another's. */
export function installDir(env: NodeJS.ProcessEnv = process.env, version = TFJS_VERSION): string {
  return path.join(nativeRoot(env), `tfjs-node-${version}`);
}

/** tfjs-node's package folder inside an install. */
export function tfjsNodePackage(dir: string): string {
  return path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node');
}

export type NativeInstall = { ok: true; dir: string; manifest: NativeManifest } | { ok: false; dir: string; problem: string };

/** The install this GenLab can load, or why there is none. A folder without its manifest is an install that never finished. */
export function findNativeInstall(env: NodeJS.ProcessEnv = process.env): NativeInstall {
  const dir = installDir(env);
  if (!fs.existsSync(dir)) return { ok: false, dir, problem: NOT_INSTALLED };
  const read = readJsonFile(path.join(dir, MANIFEST_FILE), nativeManifest);
  if (!read.ok) return { ok: false, dir, problem: `damaged (${problemText(read.problem)})` };
  if (read.value.tfjsNode !== TFJS_VERSION) return { ok: false, dir, problem: `tfjs-node ${read.value.tfjsNode}, not GenLab's TensorFlow.js ${TFJS_VERSION}` };
  if (!fs.existsSync(path.join(tfjsNodePackage(dir), 'package.json'))) return { ok: false, dir, problem: 'damaged (tfjs-node is missing from it)' };
  return { ok: true, dir, manifest: read.value };
}
