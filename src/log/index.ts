/**
 * genlab/log: a Node script's own training loop (TensorFlow.js or anything else) logged into a
 * GenLab run folder, which the extension shows live beside its own runs. The same shape as the
 * Python logger (python/genlab):
 *
 *   import { init } from 'genlab/log';
 *   const run = init({ name: 'my-vae', family: 'vae', dataset: 'mnist', config: { lr: 1e-3 } });
 *   run.log(step, { loss });
 *   run.eval(step, { testNelbo }, { score: 'testNelbo', scoreKind: 'bound' });
 *   run.samples(step, imagesTensor); // N x H x W [x C] in [0, 1]
 *   run.finish();
 *
 * Written through the shared layer's RunFolder, as GenLab's trainer writes its runs: run.json
 * atomically, one metrics line per write call, sample grids and density views in their files.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAGE_DATASETS, POINT_DATASETS } from '../protocol/datasets';
import { decode } from '../protocol/decode';
import { EXTERNAL, type ExternalConfig, externalConfig, type ExternalDeclaration, type ScoreKind } from '../protocol/external';
import { FAMILY_SPECS, type Family } from '../protocol/families';
import type { DensityKind } from '../protocol/families/spec';
import type { DensityField, DensityGrid } from '../protocol/messages';
import { gridPoints as sharedGrid, histogram, roundForView } from '../shared/densityValues';
import { gridToPng } from '../shared/png';
import { RunFolder } from '../shared/runFolder';
import { version as VERSION } from '../../package.json';
import { type ArrayInput, type Flat, toArray } from './arrays';
import { runsRoot } from './runsRoot';

export type { ArrayInput } from './arrays';
export { runsRoot } from './runsRoot';

/** File names hold six digits of step (samples/step-NNNNNN.png), as GenLab's own runs do. */
const MAX_FILE_STEP = 999_999;
const SAMPLE_KIND = /^[a-z]+(-[a-z]+)*$/;
/** run.json's progress is rewritten at most this often between evaluations. */
const PROGRESS_EVERY_MS = 2000;
const TEST_POINTS = 600;
const HISTOGRAM_BINS = 40;

export interface InitOptions {
  /** The run's own name, shown instead of its model's. */
  name?: string;
  /** The kind of model ("vae", "My flow"); a GenLab family's key also gives densityKind and the family's title. */
  family?: string;
  densityKind?: DensityKind;
  /** The script's settings, shown in Compare. */
  config?: Record<string, unknown>;
  /** The data; a GenLab dataset's name ("mnist", "moons") puts the run beside GenLab's on it and gives `data`. */
  dataset?: string;
  data?: 'images' | 'points';
  /** Where runs go; else GENLAB_RUNS_DIR, the workspace's genlab.runsDirectory, .genlab/runs in the workspace folder. */
  runsDir?: string;
  /** How long the run will be, if known. */
  steps?: number;
  /** The chart's main loss; the first value logged when unset. */
  loss?: string;
  /** The evaluation value that scores the run (lower is better), and what it is. */
  score?: string;
  scoreKind?: ScoreKind;
  summary?: string;
  /** What trains, e.g. "TensorFlow.js 4.22 (tensorflow)"; Node's version when unset. */
  backend?: string;
  seed?: number;
}

export interface DensityOptions {
  /** The field on gridPoints(extent): one value per point, row by row from the top for 2-D data (an H x W array, or flat with height x width points). */
  values?: ArrayInput;
  /** [xMin, xMax] for 1-D data, [xMin, xMax, yMin, yMax] for 2-D. */
  extent: readonly number[];
  /** Points drawn from the model and held-out points, N x dim. */
  samples?: ArrayInput;
  test?: ArrayInput;
  /** 'log-density' (exact log p(x)), 'elbo' (a lower bound), 'discriminator' (a GAN's, not a density) or 'none'. */
  field?: DensityField;
}

type EndStatus = 'finished' | 'stopped' | 'failed';

function wholeStep(step: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`${what}: expected a step of 0 or more (a whole number), got ${step}`);
  if (step > max) throw new RangeError(`${what}: step ${step} is above ${max}, the largest a file name holds; log images at fewer steps`);
  return step;
}

/** JSON has no NaN or infinity: a diverged value is written as null, a gap in the chart. */
function values(given: Record<string, unknown>, what: string): Record<string, number> {
  const keys = Object.keys(given ?? {});
  if (!keys.length) throw new TypeError(`${what}: give at least one value, e.g. ${what}(step, { loss: 0.5 })`);
  for (const key of keys) if (typeof given[key] !== 'number') throw new TypeError(`${what}: ${key}: expected a number, got ${JSON.stringify(given[key])}`);
  return given as Record<string, number>;
}

/** Count, height, width and channels of N x H x W, N x H x W x C, or N x C x H x W (C = 1, 3 or 4). */
function imageLayout(shape: number[]): { count: number; height: number; width: number; channels: number; channelsFirst: boolean } {
  if (shape.length === 3) return { count: shape[0], height: shape[1], width: shape[2], channels: 1, channelsFirst: false };
  if (shape.length === 4) {
    const [n, a, b, c] = shape;
    if ([1, 3, 4].includes(c)) return { count: n, height: a, width: b, channels: c, channelsFirst: false };
    if ([1, 3, 4].includes(a)) return { count: n, height: b, width: c, channels: a, channelsFirst: true };
  }
  throw new RangeError(`samples: expected N x H x W (grayscale), N x H x W x C or N x C x H x W with C = 1, 3 or 4, got shape [${shape.join(', ')}]`);
}

/** The images as the PNG grid wants them: each H x W x (1 or 3), a 4th channel dropped, NaN as black. */
function pixelsOf({ shape, data }: Flat): { pixels: Float32Array; count: number; width: number; height: number; channels: 1 | 3 } {
  const { count, height, width, channels, channelsFirst } = imageLayout(shape);
  if (!count || !height || !width) throw new RangeError(`samples: nothing to draw (shape [${shape.join(', ')}])`);
  const colour = channels === 1 ? 1 : 3;
  const plane = height * width;
  const pixels = new Float32Array(count * plane * colour);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < plane; p++) {
      for (let k = 0; k < colour; k++) {
        const v = data[channelsFirst ? (i * channels + k) * plane + p : (i * plane + p) * channels + k];
        pixels[(i * plane + p) * colour + k] = Number.isNaN(v) ? 0 : v;
      }
    }
  }
  return { pixels, count, width, height, channels: colour };
}

function points(value: ArrayInput | undefined, dim: number, name: string): number[] {
  if (value === undefined) return [];
  const { shape, data } = toArray(value, name);
  const ok = dim === 1 ? shape.length === 1 || (shape.length === 2 && shape[1] === 1) : shape.length === 2 && shape[1] === 2;
  if (!ok) throw new RangeError(`${name}: expected N x ${dim} points for ${dim}-D data, got shape [${shape.join(', ')}]`);
  return Array.from(data, roundForView);
}

function densityGrid({ values: field, extent, samples, test, field: kind = 'log-density' }: DensityOptions): DensityGrid {
  if (extent?.length !== 2 && extent?.length !== 4) throw new RangeError('density: give extent [xMin, xMax] for 1-D data or [xMin, xMax, yMin, yMax] for 2-D data');
  if (!extent.every(Number.isFinite) || extent[0] >= extent[1] || (extent.length === 4 && extent[2] >= extent[3])) throw new RangeError(`density: extent [${extent.join(', ')}] must be finite, each minimum below its maximum`);
  const dim = extent.length === 2 ? 1 : 2;
  let width = 0;
  let height = 0;
  let grid: number[] = [];
  if (kind !== 'none') {
    if (field === undefined) throw new TypeError(`density: field '${kind}' needs values on gridPoints(extent); give field: 'none' for samples only`);
    const { shape, data } = toArray(field, 'density: values');
    if (dim === 1 && shape.length !== 1) throw new RangeError(`density: for 1-D data, values are one per grid point, got shape [${shape.join(', ')}]`);
    if (dim === 2 && shape.length !== 2) throw new RangeError(`density: for 2-D data, values are an H x W array (first row at the top), got shape [${shape.join(', ')}]`);
    [height, width] = dim === 1 ? [1, shape[0]] : shape;
    grid = Array.from(data, roundForView);
  }
  const held = points(test, dim, 'density: test');
  return {
    field: kind,
    dim,
    extent: dim === 1 ? [...extent, 0, 0] : [...extent],
    width,
    height,
    values: grid,
    samples: points(samples, dim, 'density: samples'),
    test: held.slice(0, TEST_POINTS * dim),
    ...(dim === 1 && test !== undefined ? { histogram: histogram(held, extent[0], extent[1], HISTOGRAM_BINS) } : {}),
  };
}

/**
 * Where to evaluate a model for run.density(): for 2-D data (an extent of 4) size x size cell
 * centres (64 by default), row by row from the top (the largest y), each row from xMin to xMax;
 * for 1-D data `size` evenly spaced points (200 by default), each as [x].
 */
export function gridPoints(extent: readonly number[], size?: number): number[][] {
  if (extent.length !== 2 && extent.length !== 4) throw new RangeError('gridPoints: give extent [xMin, xMax] or [xMin, xMax, yMin, yMax]');
  const dim = extent.length === 2 ? 1 : 2;
  const { points } = sharedGrid(extent, dim, size);
  return Array.from({ length: points.length / dim }, (_, i) => Array.from(points.subarray(i * dim, (i + 1) * dim)));
}

/** One run folder being written. Make one with init(). */
export class Run {
  readonly dir: string;
  readonly id: string;
  private readonly folder: RunFolder;
  private readonly config: ExternalConfig;
  private readonly started = performance.now();
  private epoch = 0;
  private step = 0;
  private savedAt = -Infinity;
  private totalSteps: number;
  private finalMetrics: Record<string, number> = {};
  private best?: { step: number; metric: string; value: number };
  private ended = false;

  /** @internal init() makes runs. */
  constructor(config: ExternalConfig, backend: string, totalSteps: number, seed: number) {
    this.config = config;
    this.totalSteps = totalSteps;
    this.folder = RunFolder.create(config, backend, { node: process.versions.node, genlab: VERSION }, totalSteps, seed);
    this.dir = this.folder.dir;
    this.id = this.folder.id;
    live.add(this);
  }

  private get declared(): ExternalDeclaration {
    return this.config.external;
  }

  private open(what: string): void {
    if (this.ended) throw new Error(`${what}: the run ${this.id} is finished; start another with init()`);
  }

  private advance(step: number): void {
    this.step = Math.max(this.step, step);
    if (this.totalSteps) this.totalSteps = Math.max(this.totalSteps, this.step);
  }

  private save(patch: Parameters<RunFolder['update']>[0] = {}): void {
    this.folder.update({
      config: this.config,
      progress: { step: this.step, epoch: this.epoch, totalSteps: this.totalSteps },
      finalMetrics: this.finalMetrics,
      ...(this.best ? { best: this.best } : {}),
      ...patch,
    });
    this.savedAt = performance.now();
  }

  private append(kind: 'train' | 'eval', step: number, recorded: Record<string, number>): void {
    this.folder.appendMetrics({ kind, step, epoch: this.epoch, elapsedMs: Math.round((performance.now() - this.started) * 10) / 10, values: recorded });
  }

  /** Training values at `step`, losses by name. A value that is not finite (a diverged loss) is written as null: a gap in the chart. */
  log(step: number, losses: Record<string, number>, { epoch }: { epoch?: number } = {}): void {
    this.open('log');
    wholeStep(step, 'log');
    const recorded = values(losses, 'log');
    if (epoch !== undefined) this.epoch = Math.max(0, epoch);
    if (this.declared.loss === undefined) {
      // The chart's main loss: the first one logged unless init named it.
      this.declared.loss = Object.keys(recorded)[0];
      this.savedAt = -Infinity;
    }
    this.append('train', step, recorded);
    this.advance(step);
    if (performance.now() - this.savedAt >= PROGRESS_EVERY_MS) this.save();
  }

  /**
   * Evaluation values at `step` (on held-out data). `score` names the value that scores the run
   * (lower is better), `scoreKind` what it is: 'exact' (a log-likelihood), 'bound' (such as the
   * negative ELBO) or 'samples' (computed from samples, like an FID).
   */
  eval(step: number, metrics: Record<string, number>, { score, scoreKind }: { score?: string; scoreKind?: ScoreKind } = {}): void {
    this.open('eval');
    wholeStep(step, 'eval');
    const recorded = values(metrics, 'eval');
    if (score !== undefined) this.declared.metric = score;
    if (scoreKind !== undefined) this.declared.metricKind = scoreKind;
    this.append('eval', step, recorded);
    this.advance(step);
    for (const [key, v] of Object.entries(recorded)) if (Number.isFinite(v)) this.finalMetrics[key] = v;
    const metric = this.declared.metric;
    const value = metric === undefined ? undefined : recorded[metric];
    if (metric !== undefined && value !== undefined && Number.isFinite(value) && (this.best?.metric !== metric || value < this.best.value)) this.best = { step, metric, value };
    this.save();
  }

  /**
   * A grid of images in [0, 1] at `step`: N x H x W (grayscale), N x H x W x C or N x C x H x W
   * (C = 1 or 3; a 4th channel is dropped), as a tensor, nested arrays or { data, shape }.
   * `kind` names the grid ('samples' is the main one). Returns the PNG's path.
   */
  samples(step: number, images: ArrayInput, { kind = 'samples', columns }: { kind?: string; columns?: number } = {}): string {
    this.open('samples');
    wholeStep(step, 'samples', MAX_FILE_STEP);
    if (!SAMPLE_KIND.test(kind)) throw new RangeError(`samples: kind '${kind}' must be lowercase letters and dashes, e.g. 'samples' or 'reconstruction'`);
    const grid = pixelsOf(toArray(images, 'samples: images'));
    const cols = columns ?? Math.ceil(Math.sqrt(grid.count));
    const file = this.folder.writeSample(step, kind, gridToPng({ ...grid, cols }).png);
    this.advance(step);
    return file;
  }

  /** The density view of a model of 1-D or 2-D points at `step` (see DensityOptions). Returns the file's path. */
  density(step: number, options: DensityOptions): string {
    this.open('density');
    wholeStep(step, 'density', MAX_FILE_STEP);
    const file = this.folder.writeDensity(step, densityGrid(options));
    this.advance(step);
    return file;
  }

  /** Records where the script saved a checkpoint, so the run says where its model is. */
  checkpointNote(file: string, step?: number): void {
    this.open('checkpointNote');
    const note = { path: path.resolve(file), at: new Date().toISOString(), ...(step === undefined ? {} : { step: wholeStep(step, 'checkpointNote') }) };
    this.declared.checkpoints = [...(this.declared.checkpoints ?? []), note];
    this.save();
  }

  /** Ends the run: 'finished', 'stopped' (interrupted on purpose) or 'failed' (with the error). Later calls do nothing. */
  finish(status: EndStatus = 'finished', error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    live.delete(this);
    const failure = status === 'failed' ? { error: { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error ?? 'The script failed.'), hint: "The script raised this; its output has the stack trace." } } : {};
    this.save({ status, finishedAt: new Date().toISOString(), ...failure });
    this.folder.close();
  }
}

/**
 * Starts a run folder in the workspace's runs folder and returns its Run. Bad options throw with
 * what to change, before anything is written.
 */
export function init(options: InitOptions = {}): Run {
  const family = options.family?.trim() || 'model';
  const known = Object.hasOwn(FAMILY_SPECS, family.toLowerCase()) ? FAMILY_SPECS[family.toLowerCase() as Family] : undefined;
  const densityKind = options.densityKind ?? known?.density.kind;
  if (!densityKind) throw new TypeError('init: give densityKind: one of explicit-tractable, explicit-approximate, implicit, diffusion (the taxonomy of generative models)');
  const dataset = options.dataset?.trim() || 'data';
  const data = options.data ?? ((IMAGE_DATASETS as readonly string[]).includes(dataset) ? 'images' : (POINT_DATASETS as readonly string[]).includes(dataset) ? 'points' : undefined);
  if (!data) throw new TypeError(`init: say what the model learns with data: 'images' or 'points' (the dataset '${dataset}' is not one of GenLab's)`);
  const script = process.argv[1];
  const declared = {
    family,
    densityKind,
    data,
    writer: { language: 'node', host: os.hostname(), ...(script ? { script: path.resolve(script) } : {}) },
    ...(options.loss ? { loss: options.loss } : {}),
    ...(options.score ? { metric: options.score } : {}),
    ...(options.scoreKind ? { metricKind: options.scoreKind } : {}),
    ...(options.summary ? { summary: options.summary } : {}),
  };
  // Through the run format's own decoder: a config it would not read back is refused here, with its reason.
  const checked = decode(externalConfig, JSON.parse(JSON.stringify({ family: EXTERNAL, dataset, runsDir: runsRoot(options.runsDir), external: declared, settings: options.config ?? {}, ...(options.name ? { runName: options.name } : {}) })), 'init');
  if (!checked.ok) throw new TypeError(checked.error);
  const steps = options.steps === undefined ? 0 : wholeStep(options.steps, 'init: steps');
  const seed = options.seed ?? (options.config as { seed?: unknown } | undefined)?.seed;
  hookProcess();
  return new Run(checked.value, options.backend ?? `Node ${process.versions.node}`, steps, typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32 ? seed : 0);
}

/**
 * Runs not finished when the script ends: an uncaught error marks them failed, Ctrl+C (or Stop in
 * GenLab, which sends SIGINT) and SIGTERM stopped, a normal exit finished. A killed process does
 * none of these, and GenLab shows the run as interrupted because its pid is gone.
 */
const live = new Set<Run>();
let hooked = false;

function endAll(status: EndStatus, error?: unknown): void {
  for (const run of [...live]) run.finish(status, error);
}

function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  // A monitor only watches: Node still prints the error and exits as it would have.
  process.on('uncaughtExceptionMonitor', (error) => endAll('failed', error));
  process.on('exit', () => endAll('finished'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // A script that handles the signal itself decides; it calls finish('stopped') if it stops.
    if (process.listenerCount(signal)) continue;
    process.once(signal, () => {
      endAll('stopped');
      // The listener is gone, so the signal does again what it does to any Node process.
      process.kill(process.pid, signal);
    });
  }
}
