/**
 * Install Native Backend / `genlab native install [--gpu]`: tfjs-node (or tfjs-node-gpu), matched to
 * GenLab's TensorFlow.js, into the per-user folder (location.ts), by the first route that works here:
 *
 * 1. tfjs-node's own install, when Google's storage (libtensorflow and a prebuilt addon) answers;
 * 2. else TensorFlow's wheel from the pip index (tensorflow-cpu, or for the GPU build tensorflow,
 *    which is built with CUDA; their libtensorflow_cc exports the C API tfjs-node needs), laid out
 *    as libtensorflow's tarball would be, its sha256 checked against the index, and the N-API addon
 *    built here — which needs a C++ toolchain and Node's headers, checked before anything large is
 *    downloaded.
 *
 * Everything happens in a staging folder that replaces the install only once tfjs-node has loaded
 * from it and computed, so a failed or cancelled install leaves the previous one as it was.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NATIVE_PACKAGES, nativePackageName, NATIVE_VARIANTS, type NativeManifest, type NativeVariant, TFJS_VERSION, UPSTREAM_LIBTENSORFLOW, WHEEL_PROJECTS, WHEEL_TENSORFLOW } from '../../protocol/native';
import { writeJsonAtomic } from '../atomicFile';
import { UserError } from '../userError';
import { cachedDownload, downloadCache } from './download';
import { installDir, MANIFEST_FILE, nativeRoot, tfjsNodePackage } from './location';
import { findTensorflowWheel } from './pipIndex';
import { extractEntry, zipEntries } from './zip';

export interface InstallProgress {
  /** A stage, and how far the whole install is (0..1). */
  report(message: string, fraction: number): void;
  /** A line of what the tools print, for the log. */
  log(line: string): void;
}

export interface InstallOptions {
  progress: InstallProgress;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The CPU build (the default) or tfjs-node-gpu. */
  variant?: NativeVariant;
}

const UPSTREAM_PROBE_MS = 10000;
/** npm is npm.cmd on Windows, which only a shell runs. */
const NEEDS_SHELL = process.platform === 'win32';
const PLATFORMS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const ARCHES: Record<string, string> = { x64: 'x86_64', arm64: 'arm64' };

/** Where tfjs-node's install.js downloads libtensorflow from (it honours TFJS_NODE_BASE_URI too). */
export function upstreamLibtensorflowUrl(env: NodeJS.ProcessEnv = process.env, variant: NativeVariant = 'cpu'): string {
  const base = env.TFJS_NODE_BASE_URI || 'https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-';
  const system = `${variant}-${PLATFORMS[process.platform] ?? process.platform}-${ARCHES[process.arch] ?? process.arch}`;
  return `${base}${system}-${UPSTREAM_LIBTENSORFLOW}.${process.platform === 'win32' ? 'zip' : 'tar.gz'}`;
}

export async function installNativeBackend(options: InstallOptions): Promise<{ dir: string; manifest: NativeManifest }> {
  const env = options.env ?? process.env;
  const { progress, signal } = options;
  const variant = options.variant ?? 'cpu';
  const pkg = NATIVE_PACKAGES[variant];
  const root = nativeRoot(env);
  fs.mkdirSync(root, { recursive: true });
  const staging = fs.mkdtempSync(path.join(root, '.staging-'));
  const tools = new Tools(env, progress, signal, variant);
  try {
    tools.requireNpm();
    progress.report(`Installing ${pkg} ${TFJS_VERSION} with npm`, 0.02);
    fs.writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'genlab-native-backend', private: true, dependencies: { [pkg]: TFJS_VERSION } }, null, 2));
    await tools.run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], staging);
    const upstream = upstreamLibtensorflowUrl(env, variant);
    progress.report('Looking for libtensorflow at Google’s storage', 0.15);
    const libtensorflow = (await reachable(upstream, signal))
      ? await fromUpstream(tools, staging, upstream)
      : await fromWheel(tools, staging, env, progress, signal);
    progress.report('Checking that TensorFlow loads and computes', 0.95);
    tools.verify(staging);
    const manifest: NativeManifest = { tfjsNode: TFJS_VERSION, ...libtensorflow, node: process.versions.node, installedAt: new Date().toISOString(), bytes: diskUse(staging) };
    writeJsonAtomic(path.join(staging, MANIFEST_FILE), manifest);
    const dir = installDir(env, variant);
    replaceFolder(staging, dir);
    progress.report('Installed', 1);
    return { dir, manifest };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Removes the installs (CPU and GPU) and the downloads they were made from; returns the bytes freed. */
export function removeNativeBackend(env: NodeJS.ProcessEnv = process.env): number {
  const folders = [...NATIVE_VARIANTS.map((variant) => installDir(env, variant)), path.join(downloadCache(env), 'downloads')].filter((dir) => fs.existsSync(dir));
  const bytes = folders.reduce((sum, dir) => sum + diskUse(dir), 0);
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}

async function reachable(url: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.any([AbortSignal.timeout(UPSTREAM_PROBE_MS), ...(signal ? [signal] : [])]) });
    return response.ok;
  } catch {
    if (signal?.aborted) throw signal.reason;
    return false;
  }
}

/** tfjs-node's own install script: it downloads libtensorflow and its prebuilt addon (or builds one). */
async function fromUpstream(tools: Tools, staging: string, url: string): Promise<Pick<NativeManifest, 'libtensorflow' | 'addon'>> {
  tools.progress.report('Downloading libtensorflow and the addon (tfjs-node’s own install)', 0.2);
  await tools.run('npm', ['rebuild', NATIVE_PACKAGES[tools.variant], '--foreground-scripts'], staging);
  const pkg = tfjsNodePackage(staging, tools.variant);
  return { libtensorflow: { version: UPSTREAM_LIBTENSORFLOW, source: 'upstream', url }, addon: fs.readdirSync(pkg).some((name) => name.startsWith('build')) ? 'built' : 'prebuilt' };
}

/** libtensorflow from TensorFlow's wheel, placed where tfjs-node's install expects its own, then the addon built against it. */
async function fromWheel(tools: Tools, staging: string, env: NodeJS.ProcessEnv, progress: InstallProgress, signal?: AbortSignal): Promise<Pick<NativeManifest, 'libtensorflow' | 'addon'>> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new UserError(
      `Google's storage, where tfjs-node downloads libtensorflow, did not answer, and the other route (TensorFlow's wheel from the pip index) serves Linux x86_64 only, not ${process.platform} ${process.arch}.`,
      'Run Install Native Backend again where Google’s storage is reachable, or keep training on wasm.',
    );
  }
  const nodedir = tools.requireBuildTools();
  const project = WHEEL_PROJECTS[tools.variant];
  progress.report(`Finding ${project} ${WHEEL_TENSORFLOW} in the pip index`, 0.17);
  const wheel = await findTensorflowWheel(project, WHEEL_TENSORFLOW, env, signal);
  const megabytes = (n: number) => `${Math.round(n / 1e6)} MB`;
  let shown = 0;
  const { file, reused } = await cachedDownload(wheel.url, wheel.filename, {
    sha256: wheel.sha256,
    signal,
    onProgress: (received, total) => {
      const fraction = total ? received / total : 0;
      if (fraction - shown < 0.02) return;
      shown = fraction;
      progress.report(`Downloading ${wheel.filename} (${megabytes(received)}${total ? ` of ${megabytes(total)}` : ''})`, 0.2 + 0.45 * fraction);
    },
  }, env);
  progress.log(`${reused ? 'Reused' : 'Downloaded'} ${file} (sha256 ${wheel.sha256}, as the index gives it)`);
  progress.report('Unpacking libtensorflow from the wheel', 0.66);
  await layOutLibtensorflow(file, path.join(tfjsNodePackage(staging, tools.variant), 'deps'), signal);
  if (tools.variant === 'gpu') keepLaidOutLibtensorflow(tfjsNodePackage(staging, 'gpu'));
  progress.report(`Building the ${nativePackageName(tools.variant)} addon against it (about a minute)`, 0.72);
  await tools.run('npm', ['rebuild', NATIVE_PACKAGES[tools.variant], '--foreground-scripts'], staging, { npm_config_nodedir: nodedir });
  return { libtensorflow: { version: WHEEL_TENSORFLOW, source: 'pypi', url: wheel.url, sha256: wheel.sha256 }, addon: 'built' };
}

/**
 * tfjs-node-gpu's install script is told to download libtensorflow even when it is in place
 * (`install.js gpu download`; tfjs-node's is not); without that word it builds the addon against
 * the libtensorflow laid out in deps/.
 */
function keepLaidOutLibtensorflow(pkg: string): void {
  const file = path.join(pkg, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { scripts: Record<string, string> };
  manifest.scripts.install = manifest.scripts.install.replace(/ download$/, '');
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/** What libtensorflow's tarball holds, from the wheel: lib/ with the names tfjs-node links and looks for, include/ with the C API's headers. */
export async function layOutLibtensorflow(wheel: string, deps: string, signal?: AbortSignal): Promise<void> {
  const lib = path.join(deps, 'lib');
  const include = path.join(deps, 'include');
  const headers = /^tensorflow\/include\/((tensorflow\/c\/|tsl\/|tensorflow\/core\/platform\/ctstring).*\.h)$/;
  const libraries = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
  fs.mkdirSync(lib, { recursive: true });
  let found = 0;
  for (const entry of zipEntries(wheel)) {
    const library = libraries.find((name) => entry.name === `tensorflow/${name}`);
    const header = headers.exec(entry.name)?.[1];
    if (!library && !header) continue;
    const relative = path.posix.normalize(header ?? library!);
    if (relative.startsWith('../') || path.posix.isAbsolute(relative)) throw new Error(`the wheel names a member outside its folder: ${entry.name}`);
    const dest = library ? path.join(lib, library) : path.join(include, ...relative.split('/'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    await extractEntry(wheel, entry, dest, signal);
    if (library) found++;
  }
  if (found !== libraries.length) throw new UserError(`${path.basename(wheel)} does not hold ${libraries.join(' and ')}.`, `GenLab expects TensorFlow ${WHEEL_TENSORFLOW}'s wheel; check what the pip index serves under that name.`);
  // tfjs-node's install looks for libtensorflow.so.2.9.1 and its addon links -ltensorflow; both are the wheel's libtensorflow_cc.
  for (const [link, target] of [
    ['libtensorflow.so', libraries[0]],
    ['libtensorflow.so.2', libraries[0]],
    [`libtensorflow.so.${UPSTREAM_LIBTENSORFLOW}`, libraries[0]],
    ['libtensorflow_framework.so', libraries[1]],
    [`libtensorflow_framework.so.${UPSTREAM_LIBTENSORFLOW}`, libraries[1]],
  ]) {
    fs.symlinkSync(target, path.join(lib, link));
  }
}

/** Bytes on disk under `dir`, symlinks counted as links. */
export function diskUse(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += fs.lstatSync(path.join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

/** Swaps the staged install in; the old one is moved aside first, so there is never a half of each. */
function replaceFolder(staging: string, dir: string): void {
  const old = `${staging}-old`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  try {
    fs.renameSync(staging, dir);
  } catch (err) {
    if (fs.existsSync(old)) fs.renameSync(old, dir);
    throw err;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** The programs the install runs, with cancellation and their output kept for the log and for errors. */
class Tools {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly progress: InstallProgress,
    private readonly signal: AbortSignal | undefined,
    readonly variant: NativeVariant,
  ) {}

  private found(command: string, args = ['--version']): boolean {
    return spawnSync(command, args, { env: this.env, stdio: 'ignore', shell: NEEDS_SHELL, timeout: 20000 }).status === 0;
  }

  requireNpm(): void {
    if (!this.found('npm')) {
      throw new UserError('Installing the native backend needs npm, and there is none on this machine’s PATH.', 'Install Node.js (it comes with npm), then run Install Native Backend again.');
    }
  }

  /** The C++ toolchain, Python (node-gyp's) and Node's headers the addon's build needs; returns the headers' Node prefix. */
  requireBuildTools(): string {
    const missing: string[] = [];
    if (!(this.env.CXX ? this.found(this.env.CXX) : this.found('c++') || this.found('g++'))) missing.push('a C++ compiler');
    if (!this.found('make')) missing.push('make');
    if (!this.found('python3')) missing.push('Python 3 (node-gyp runs it)');
    const nodedir = this.nodeHeaders();
    if (!nodedir) missing.push("Node.js's headers (include/node/node_api.h beside a Node install)");
    if (missing.length) {
      throw new UserError(
        `No prebuilt tfjs-node addon can be downloaded here, so it must be built, and this machine lacks ${missing.join(', ')}.`,
        'Debian or Ubuntu: sudo apt install g++ make python3 (Debian’s nodejs brings the headers; elsewhere, libnode-dev). Fedora: sudo dnf install gcc-c++ make python3 nodejs-devel. Then run Install Native Backend again.',
      );
    }
    return nodedir!;
  }

  /** A Node install prefix with headers: npm's nodedir setting, the `node` on PATH, or the one running this. */
  private nodeHeaders(): string | undefined {
    const node = spawnSync('node', ['-p', 'process.execPath'], { env: this.env, encoding: 'utf8', shell: NEEDS_SHELL, timeout: 20000 });
    const candidates = [this.env.npm_config_nodedir, node.status === 0 ? path.dirname(path.dirname(node.stdout.trim())) : undefined, path.dirname(path.dirname(process.execPath))];
    return candidates.find((dir) => dir && fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
  }

  run(command: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const shown = `${command} ${args.join(' ')}`;
    this.progress.log(`$ ${shown}`);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env: { ...this.env, ...extraEnv }, signal: this.signal, shell: NEEDS_SHELL, stdio: ['ignore', 'pipe', 'pipe'] });
      const tail: string[] = [];
      const take = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split(/\r?\n/)) {
          if (!line.trim()) continue;
          this.progress.log(line);
          tail.push(line);
          if (tail.length > 12) tail.shift();
        }
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('error', (err) => reject(this.signal?.aborted ? this.signal.reason : err));
      child.on('close', (code) => {
        if (code === 0) return resolve();
        if (this.signal?.aborted) return reject(this.signal.reason);
        reject(new UserError(`\`${shown}\` failed (exit ${code}): ${tail.slice(-4).join(' / ')}`, 'The whole output is in the log (GenLab’s output channel, or above); fix what it names and run Install Native Backend again.'));
      });
    });
  }

  /** Loads tfjs-node from the staging folder in a fresh Node and multiplies two small matrices on it. */
  verify(staging: string): void {
    const script = `const tf = require(${JSON.stringify(tfjsNodePackage(staging, this.variant))}); const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]])); console.log(JSON.stringify({ backend: tf.getBackend(), y: Array.from(y.dataSync()) }));`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...this.env, ELECTRON_RUN_AS_NODE: '1', TF_CPP_MIN_LOG_LEVEL: '2' }, encoding: 'utf8', timeout: 120000 });
    const line = r.stdout?.trim().split('\n').at(-1) ?? '';
    let result: { backend?: string; y?: number[] } = {};
    try {
      result = JSON.parse(line) as typeof result;
    } catch {
      // Reported below with what the process printed.
    }
    if (result.backend !== 'tensorflow' || result.y?.join() !== '3,7') {
      const said = (r.stderr || r.stdout || r.error?.message || '').trim().split('\n').slice(-3).join(' / ');
      throw new UserError(`tfjs-node was installed but does not load and compute: ${said || `exit ${r.status}`}.`, 'The log has the install’s whole output; report it with the Node version and the platform.');
    }
  }
}
