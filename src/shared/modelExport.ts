/**
 * Exporting a run's model: the newest checkpoint's model files (never the training state, never a
 * link or anything outside the run folder) and a README on loading them, into a new folder. The
 * extension writes through VS Code's file system (remote windows); the CLI with writeModelExport.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTitle, specOf } from '../protocol/families';
import { STATE_FILE } from '../protocol/runFormat';
import { readTrainedRunRecord, type RunRecord } from './runFolder';
import { createFreshFolder, insideRoot, safeComponent } from './safePaths';
import { UserError } from './userError';

/**
 * What exported files are named after: the run folder's own name, never run.json's `id`, which a
 * copied folder could set to `../..`.
 */
export function exportName(runDir: string): string {
  return safeComponent(path.basename(runDir), 'The run folder name');
}

/** The run's newest step checkpoint, if it has one. */
export function newestCheckpoint(runDir: string): { step: number; dir: string } | undefined {
  const root = path.join(runDir, 'checkpoints');
  const newest = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => /^step-\d{6}$/.test(n)).sort().at(-1) : undefined;
  return newest ? { step: Number(newest.slice(5)), dir: path.join(root, newest) } : undefined;
}

/** The files of a checkpoint folder that an export copies, relative to it. */
export function modelFiles(runDir: string, checkpoint: string, sub = ''): string[] {
  return fs.readdirSync(path.join(checkpoint, sub), { withFileTypes: true }).flatMap((d) => {
    const rel = path.join(sub, d.name);
    const full = path.join(checkpoint, rel);
    // Optimiser moments are not the model.
    if (d.isSymbolicLink() || !insideRoot(runDir, full) || d.name.startsWith(path.basename(STATE_FILE, '.json'))) return [];
    if (d.isDirectory()) return modelFiles(runDir, checkpoint, rel);
    return d.isFile() ? [rel] : [];
  });
}

export function exportReadme(runDir: string, record: RunRecord, step: number): string {
  const spec = specOf(record.config);
  return [
    `# ${runTitle(record.config)}`,
    '',
    `${spec.title} trained by GenLab on ${record.config.dataset}, exported at step ${step}. Run \`${exportName(runDir)}\`.`,
    '',
    '## Files',
    spec.exportNote ?? '- One folder per network, in TensorFlow.js layers format (model.json + weights.bin).',
    '',
    '## Loading a layers model',
    'In Node (any tfjs backend), as an ES module (load.mjs):',
    '```js',
    "import * as tf from '@tensorflow/tfjs';",
    "import * as fs from 'node:fs';",
    "const dir = 'decoder'; // a folder that holds model.json",
    "const json = JSON.parse(fs.readFileSync(`${dir}/model.json`, 'utf8'));",
    'const model = await tf.loadLayersModel(tf.io.fromMemory({',
    '  modelTopology: json.modelTopology,',
    '  weightSpecs: json.weightsManifest[0].weights,',
    "  weightData: new Uint8Array(fs.readFileSync(`${dir}/weights.bin`)).buffer,",
    '}));',
    '```',
    "With `@tensorflow/tfjs-node` installed, `tf.loadLayersModel('file://decoder/model.json')` does the same; in a browser, serve the folder and pass its URL.",
    '',
    '## In Python',
    "GenLab's Python package (`pip install python/` from a GenLab clone; it needs numpy) reads this folder:",
    '```python',
    'import genlab',
    "model = genlab.load('path/to/this/folder')",
    'x = model.sample(64)',
    '```',
    'The Gaussian, the mixture, RealNVP and PixelCNN also have `log_prob(x)` (exact), the VAE `elbo(x)` (a lower bound on log p(x)), the GAN `decode(z)`, DDPM `predict_noise(x_t, t)` and `noise_mse(x)` (its training loss).',
    '',
    '## Training configuration',
    '```json',
    JSON.stringify(record.config, null, 2),
    '```',
    '',
  ].join('\n');
}

/** Writes the export into a new folder `<parent>/<run folder name>-model[-N]/`; returns it. A folder that is not a run is refused before anything is written. */
export function writeModelExport(runDir: string, parent: string): { dir: string; step: number } {
  const record = readTrainedRunRecord(runDir);
  const checkpoint = newestCheckpoint(runDir);
  if (!checkpoint) throw new UserError(`${runDir} has no checkpoint yet.`, 'Checkpoints are written every evalEvery steps and at the end of training; export once the run has one.');
  fs.mkdirSync(parent, { recursive: true });
  const dir = createFreshFolder(parent, `${exportName(runDir)}-model`);
  for (const file of modelFiles(runDir, checkpoint.dir)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(checkpoint.dir, file), path.join(dir, file));
  }
  fs.writeFileSync(path.join(dir, 'README.md'), exportReadme(runDir, record, checkpoint.step));
  return { dir, step: checkpoint.step };
}
