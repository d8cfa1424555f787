/**
 * Drawing from a trained run: the trainer process loads the run's last checkpoint (the model as
 * training left it) and writes new samples, an interpolation or a latent traversal into the run's
 * samples/generated/ folder, listed in index.jsonl with a caption for the gallery.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { specOf, type TrainConfig } from '../protocol/config';
import type { GenerateRequest } from '../protocol/messages';
import type { GeneratedRecord } from '../protocol/runFormat';
import { type Dataset, loadDataset } from './data/dataset';
import { UserError } from '../shared/userError';
import type { SampleGrid, TrainableModel } from './families/family';
import { resolveFamily } from './modules/modelFamily';
import { restoreCheckpoint } from './families/trainingState';
import { gridToPng } from '../shared/png';
import { latentScatterPng } from './image/scatter';
import { Rng } from './rng';
import { writeFileAtomic } from '../shared/atomicFile';
import { GENERATED_DIR, GENERATED_INDEX, latestResumableCheckpoint, readTrainedRunRecord } from '../shared/runFolder';

/** The run's model as its last checkpoint left it. */
export async function loadTrainedModel(runDir: string): Promise<{ config: TrainConfig; model: TrainableModel; step: number; data: Dataset }> {
  // readTrainedRunRecord decodes the settings, and says what is wrong when another GenLab version wrote them.
  const { config } = readTrainedRunRecord(runDir);
  const checkpoint = latestResumableCheckpoint(runDir);
  if (!checkpoint) throw new UserError('This run has no checkpoint with a training state yet.', 'Checkpoints are written every evalEvery steps and at the end; wait for one, or train a new run.');
  const data = await loadDataset(config.dataset, config.data);
  const model = resolveFamily(config, runDir).family.create(config, data, new Rng(config.seed).fork(1));
  await restoreCheckpoint(model, checkpoint.dir);
  return { config, model, step: checkpoint.step, data };
}

function cannot(config: TrainConfig, what: string): never {
  throw new UserError(`${specOf(config).title} models cannot draw ${what}.`, what === 'samples' ? 'Only the families that generate data can.' : 'Latent tools work with the VAE and the GAN on images.');
}

function render(model: TrainableModel, config: TrainConfig, request: GenerateRequest, data: Dataset): { grid?: SampleGrid; png?: Buffer; points?: { values: Float32Array; dim: number }; caption: string } {
  switch (request.type) {
    case 'samples': {
      if (!model.generate) cannot(config, 'samples');
      const temperature = request.temperature ?? 1;
      const out = model.generate(request.count, new Rng(request.seed), temperature);
      const caption = `${request.count} samples, seed ${request.seed}${temperature === 1 ? '' : `, temperature ${temperature}`}`;
      return out instanceof Float32Array ? { points: { values: out, dim: out.length / request.count }, caption } : { grid: out, caption };
    }
    case 'interpolation': {
      if (!model.latentTools) cannot(config, 'interpolations');
      return { grid: model.latentTools.interpolate(new Rng(request.seed), request.steps, request.rows), caption: `Interpolation: ${request.rows} × ${request.steps} between prior draws, seed ${request.seed}` };
    }
    case 'traversal': {
      const tools = model.latentTools ?? cannot(config, 'latent traversals');
      const [i, j] = request.dims;
      if (i === j || Math.max(i, j) >= tools.latentDim) {
        throw new UserError(`Latent dimensions ${i} and ${j} do not fit: pick two different ones below ${tools.latentDim}.`, `This model's latent code has ${tools.latentDim} dimensions, numbered from 0.`);
      }
      return { grid: tools.traverse([i, j], request.steps, request.range), caption: `Traversal of z${i} (across) and z${j} (down), ±${request.range}` };
    }
    case 'latentScatter': {
      const encode = model.latentTools?.encodeTest;
      if (!encode || model.latentTools?.latentDim !== 2 || data.kind !== 'images') {
        throw new UserError('Only a VAE on images with a 2-D latent space can draw its encoded test set as a scatter.', 'Train a VAE with latentDim 2 (the Latent dimension setting, or --latent-dim 2).');
      }
      const { labels } = data.test;
      if (!labels) throw new UserError('Your own images carry no labels to colour the latent space by.', 'Use interpolations and traversals for this run, or a VAE trained on MNIST or Fashion-MNIST for the scatter.');
      const points = encode(request.count);
      // The legend: the first test image of each label.
      const size = data.width * data.height;
      const glyphs = Array.from({ length: 10 }, (_, k) => {
        const i = labels.indexOf(k);
        return Float32Array.from(data.test.pixels.subarray(i * size, (i + 1) * size), (v) => v / 255);
      });
      return { png: latentScatterPng(points, labels.subarray(0, points.length / 2), glyphs), caption: `Latent space: ${request.count} test images encoded (their means), coloured by label` };
    }
  }
}

function pointsCsv(points: Float32Array, dim: number): string {
  const header = dim === 1 ? 'x' : 'x,y';
  const rows = Array.from({ length: points.length / dim }, (_, r) => Array.from(points.subarray(r * dim, (r + 1) * dim), (v) => String(v)).join(','));
  return `${[header, ...rows].join('\n')}\n`;
}

/** Draws what `request` asks from the run in `runDir` and returns where it went. */
export async function generateFromRun(runDir: string, request: GenerateRequest): Promise<GeneratedRecord> {
  const { config, model, step, data } = await loadTrainedModel(runDir);
  try {
    const out = render(model, config, request, data);
    const dir = path.join(runDir, GENERATED_DIR);
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const base = `${stamp}-${request.type}-${Math.random().toString(36).slice(2, 6)}`;
    let file: string;
    if (out.grid || out.png) {
      file = `${base}.png`;
      writeFileAtomic(path.join(dir, file), out.png ?? gridToPng(out.grid!).png);
    } else {
      file = `${base}.csv`;
      writeFileAtomic(path.join(dir, file), pointsCsv(out.points!.values, out.points!.dim));
    }
    const record: GeneratedRecord = { file, caption: `${out.caption} (step ${step})`, step, createdAt: new Date().toISOString() };
    fs.appendFileSync(path.join(dir, GENERATED_INDEX), `${JSON.stringify(record)}\n`);
    return record;
  } finally {
    model.dispose();
  }
}
