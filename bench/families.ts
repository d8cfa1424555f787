/**
 * The benchmark's taxonomy sections: every family's training step time in the real trainer
 * process (with PyTorch references for the conv families), and the quality each family reaches
 * with its defaults, against the targets of issue #4.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig, type ConfigInput, type TrainConfig } from '../src/protocol/config';
import type { RunSummary, TrainerMessage } from '../src/protocol/messages';
import { initBackend } from '../src/trainer/backend/select';
import { TrainerClient } from '../src/shared/trainerClient';
import { Batcher, loadDataset } from '../src/trainer/data/dataset';
import { familyOf } from '../src/trainer/families/registry';
import { Rng } from '../src/trainer/rng';
import { findNativeInstall } from '../src/shared/native/location';
import { torchConvStep } from './torchReference';

const TRAINER = path.join(__dirname, 'trainer.js');

/**
 * Median milliseconds per training step over steps (warmup, warmup + timed], read from the
 * trainer's own metrics stream; the trainer is killed right after (no final evaluation).
 */
function stepTime(config: TrainConfig, warmup: number, timed: number): Promise<{ msPerStep: number; backend: string }> {
  return new Promise((resolve, reject) => {
    const at = new Map<number, number>();
    let backend = '';
    let error = '';
    const client = TrainerClient.start(
      { ...config, steps: warmup + timed + 1000, epochs: undefined, evalEvery: 1_000_000 } as TrainConfig,
      {
        onMessage: (m: TrainerMessage) => {
          if (m.type === 'ready') backend = m.backend;
          if (m.type === 'error') error = `${m.message} ${m.hint}`;
          if (m.type !== 'metrics') return;
          at.set(m.step, m.elapsedMs);
          if (m.step === warmup + timed) client.kill();
        },
        onLog: () => {},
        onInvalid: (p) => (error = p),
      },
      TRAINER,
    );
    void client.exited.then(() => {
      const gaps = Array.from({ length: timed }, (_, i) => at.get(warmup + i + 1)! - at.get(warmup + i)!).filter(Number.isFinite);
      if (gaps.length < timed) return reject(new Error(`${config.family} on ${config.dataset}: the trainer stopped early. ${error}`));
      gaps.sort((a, b) => a - b);
      resolve({ msPerStep: Math.round(gaps[Math.floor(gaps.length / 2)] * 10) / 10, backend });
    });
  });
}

/** Trains `input` to the end (with its final evaluation) and returns the summary and the run folder. */
export function trainToEnd(input: ConfigInput): Promise<RunSummary> {
  return new Promise((resolve, reject) => {
    let summary: RunSummary | undefined;
    let error = '';
    const client = TrainerClient.start(
      completeConfig(input),
      {
        onMessage: (m) => {
          if (m.type === 'eval') process.stdout.write(`  ${input.family} on ${input.dataset ?? 'default data'}, step ${m.step}: ${Object.entries(m.values).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}\n`);
          if (m.type === 'error') error = `${m.message} ${m.hint}`;
          if (m.type === 'done') summary = m.summary;
        },
        onLog: () => {},
        onInvalid: (p) => (error = p),
      },
      TRAINER,
    );
    void client.exited.then(() => (summary ? resolve(summary) : reject(new Error(`${input.family}: ${error}`))));
  });
}

/**
 * Where a training step's time goes, kernel by kernel (tf.profile over a few steps, in this
 * process on the wasm backend as the trainer sets it up), so that the report shows whether conv
 * training runs GenLab's replacement kernels or falls back to stock ones.
 */
export async function stepKernelProfile(input: ConfigInput, profiledSteps = 3): Promise<{ kernel: string; msPerStep: number; callsPerStep: number; replaced: boolean }[]> {
  const info = await initBackend('wasm');
  const config = completeConfig({ ...input, steps: 1000 });
  const data = await loadDataset(config.dataset, config.data);
  const family = familyOf(config.family);
  const model = family.create(config, data, new Rng(0));
  const batches = new Batcher(data, config.batchSize, new Rng(1), family.grayscale);
  const step = () => {
    const x = batches.next();
    model.trainStep(x);
    x.dispose();
  };
  step();
  const totals = new Map<string, { ms: number; calls: number }>();
  for (let s = 0; s < profiledSteps; s++) {
    const profile = await tf.profile(step);
    // Only registered kernels: the profile also lists the ops and custom gradients that wrap them.
    for (const k of profile.kernels.filter((k) => tf.getKernel(k.name, 'wasm'))) {
      const t = totals.get(k.name) ?? { ms: 0, calls: 0 };
      t.ms += (await k.kernelTimeMs) as number;
      t.calls++;
      totals.set(k.name, t);
    }
  }
  model.dispose();
  return [...totals]
    .map(([kernel, t]) => ({ kernel, msPerStep: Math.round((t.ms / profiledSteps) * 100) / 100, callsPerStep: Math.round((t.calls / profiledSteps) * 10) / 10, replaced: info.replacedKernels.includes(kernel) }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
}

/** Conv kernels whose stock wasm versions are slow for training; the report flags them where they run. */
const SLOW_STOCK_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Sum'];

const STEP_CASES: { name: string; input: ConfigInput; warmup: number; timed: number; torch?: { model: 'dcgan' | 'pixelcnn'; batch: number }; profile?: boolean }[] = [
  { name: 'gaussian (full batch, 50k points)', input: { family: 'gaussian' }, warmup: 5, timed: 30 },
  { name: 'mixture (one EM iteration, 50k points)', input: { family: 'mixture' }, warmup: 3, timed: 20 },
  { name: 'realnvp (batch 256)', input: { family: 'realnvp' }, warmup: 20, timed: 200 },
  { name: 'vae, 2-D (batch 256)', input: { family: 'vae', dataset: '8gaussians' }, warmup: 20, timed: 200 },
  { name: 'vae, MNIST (batch 128)', input: { family: 'vae' }, warmup: 10, timed: 100 },
  { name: 'gan, 2-D (batch 256)', input: { family: 'gan' }, warmup: 20, timed: 200 },
  { name: 'gan, DCGAN on MNIST (batch 64)', input: { family: 'gan', dataset: 'mnist' }, warmup: 5, timed: 30, torch: { model: 'dcgan', batch: 64 }, profile: true },
  { name: 'ddpm, 2-D (batch 256)', input: { family: 'ddpm' }, warmup: 20, timed: 200 },
  { name: 'ddpm, conv on MNIST (batch 64)', input: { family: 'ddpm', dataset: 'mnist' }, warmup: 5, timed: 20, profile: true },
  { name: 'realnvp, MNIST (batch 64)', input: { family: 'realnvp', dataset: 'mnist' }, warmup: 5, timed: 50 },
  { name: 'pixelcnn, MNIST (batch 32)', input: { family: 'pixelcnn' }, warmup: 3, timed: 30, torch: { model: 'pixelcnn', batch: 32 }, profile: true },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/**
 * Each family's step on wasm and, where GenLab's native backend is installed, on tensorflow, with
 * PyTorch on one thread for the cases it has a reference for: `rounds` rounds, the backends
 * interleaved within each, so that a machine getting busier slows them alike. Ratios are of the
 * medians, with their range over the rounds. `profileInWorker` runs stepKernelProfile in a fresh
 * process (one backend set-up per case).
 */
export async function familyStepTimes(runsDir: string, profileInWorker: (input: ConfigInput) => Record<string, unknown>, rounds = 3): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const backends = findNativeInstall().ok ? (['wasm', 'tensorflow'] as const) : (['wasm'] as const);
  for (const c of STEP_CASES) {
    process.stdout.write(`  step time: ${c.name} (${backends.join(', ')}${c.torch ? ', PyTorch' : ''}; ${rounds} rounds)\n`);
    const times: Record<string, number[]> = { wasm: [], tensorflow: [], pytorch: [] };
    const labels: Record<string, string> = {};
    let reference: Awaited<ReturnType<typeof torchConvStep>> | undefined;
    for (let round = 0; round < rounds; round++) {
      for (const backend of backends) {
        const step = await stepTime(completeConfig({ ...c.input, backend, runsDir }), c.warmup, c.timed);
        times[backend].push(step.msPerStep);
        labels[backend] = step.backend;
      }
      if (c.torch) {
        reference = await torchConvStep(c.torch.model, c.torch.batch);
        if ('msPerStep' in reference) times.pytorch.push(reference.msPerStep);
      }
    }
    const summary = (backend: 'wasm' | 'tensorflow') => {
      const ms = times[backend];
      const perRound = (other: number[]) => ms.map((m, i) => ratio(m, other[i]));
      return {
        msPerStep: median(ms),
        rounds: ms,
        backend: labels[backend],
        ...(times.pytorch.length === ms.length ? { overPyTorch: ratio(median(ms), median(times.pytorch)), overPyTorchRange: [Math.min(...perRound(times.pytorch)), Math.max(...perRound(times.pytorch))] } : {}),
        ...(backend === 'tensorflow' ? { overWasm: ratio(median(ms), median(times.wasm)), overWasmRange: [Math.min(...perRound(times.wasm)), Math.max(...perRound(times.wasm))] } : {}),
      };
    };
    const profile = c.profile ? profileInWorker(c.input) : undefined;
    const kernels = profile && 'kernels' in profile ? (profile.kernels as { kernel: string; replaced: boolean }[]) : undefined;
    out[c.name] = {
      ...summary('wasm'),
      ...(times.tensorflow.length ? { tensorflow: summary('tensorflow') } : {}),
      ...(reference ? { pytorchOneThread: { ...reference, ...(times.pytorch.length ? { msPerStep: median(times.pytorch), rounds: times.pytorch } : {}) } } : {}),
      ...(profile ? { kernels: kernels ?? profile, stockConvKernels: kernels?.filter((k) => !k.replaced && SLOW_STOCK_KERNELS.includes(k.kernel)).map((k) => k.kernel) } : {}),
    };
  }
  fs.rmSync(runsDir, { recursive: true, force: true });
  return out;
}

/** 8gaussians' centres: 8 points every 45° at radius 4/√2. */
const CENTRES = Array.from({ length: 8 }, (_, k) => [(4 * Math.cos((k * Math.PI) / 4)) / Math.SQRT2, (4 * Math.sin((k * Math.PI) / 4)) / Math.SQRT2]);

/**
 * Modes of 8gaussians a model covers: a mode counts when at least 2% of the points (an eighth
 * would be 12.5%) fall within 3 standard deviations (3 × 0.354) of its centre.
 */
export function modesCovered(points: ArrayLike<number>): number {
  const n = points.length / 2;
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < n; i++) {
    const k = CENTRES.findIndex(([cx, cy]) => Math.hypot(points[2 * i] - cx, points[2 * i + 1] - cy) < 3 * 0.354);
    if (k >= 0) counts[k]++;
  }
  return counts.filter((c) => c >= 0.02 * n).length;
}

/** 4,000 points drawn from a finished run's last checkpoint (Sample from Run, headless). */
function drawPoints(runDir: string): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    let file: string | undefined;
    const client = TrainerClient.generate(runDir, { type: 'samples', count: 4000, seed: 1 }, { onMessage: (m) => m.type === 'generated' && (file = m.path), onLog: () => {}, onInvalid: () => {} }, TRAINER);
    void client.exited.then(() => {
      if (!file) return reject(new Error(`drawing from ${runDir} failed`));
      const rows = fs.readFileSync(file, 'utf8').trim().split('\n').slice(1);
      resolve(Float32Array.from(rows.flatMap((r) => r.split(',').map(Number))));
    });
  });
}

const seconds = (s: RunSummary) => Math.round(s.wallMs / 1000);
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** The taxonomy's quality targets with every family's defaults (the mixture, RealNVP and VAE ones are in bench.ts). */
export async function taxonomyQuality(runsDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const gans = [];
  for (const seed of [0, 1, 2]) {
    const s = await trainToEnd({ family: 'gan', seed, runsDir });
    gans.push({ seed, js: round3(s.finalEval.js), kl: round3(s.finalEval.kl), modesCovered: modesCovered(await drawPoints(s.runDir)), wallSeconds: seconds(s) });
  }
  out.gan8gaussians = { runs: gans, target: 'all 8 modes covered and histogram JS < 0.1 (nats) within 180 s', met: gans.every((g) => g.modesCovered === 8 && g.js < 0.1 && g.wallSeconds <= 180) };
  for (const dataset of ['8gaussians', 'checkerboard'] as const) {
    const s = await trainToEnd({ family: 'ddpm', dataset, runsDir });
    out[`ddpm${dataset === '8gaussians' ? '8gaussians' : 'Checkerboard'}`] = { js: round3(s.finalEval.js), kl: round3(s.finalEval.kl), target: 'histogram JS < 0.1 (nats)', met: s.finalEval.js < 0.1, wallSeconds: seconds(s), steps: s.steps };
  }
  const vae = await trainToEnd({ family: 'vae', dataset: '8gaussians', runsDir });
  out.vae8gaussians = { testNegElbo: round3(vae.finalEval.testNegElbo), testNllIwae: round3(vae.finalEval.testNllIwae), wallSeconds: seconds(vae), note: 'upper bounds on the NLL; compare the mixture (exact) on the same data' };
  const pixel = await trainToEnd({ family: 'pixelcnn', runsDir });
  out.pixelcnnMnist = {
    testNll: round3(pixel.finalEval.testNll),
    testBitsPerDim: round3(pixel.finalEval.testBitsPerDim),
    target: 95,
    met: pixel.finalEval.testNll <= 95 && pixel.wallMs <= 15 * 60 * 1000,
    wallSeconds: seconds(pixel),
    steps: pixel.steps,
    note: 'exact NLL in nats per image on the fixed-seed stochastically binarised MNIST test set; wall time includes the evaluations and sample grids',
  };
  const flow = await trainToEnd({ family: 'realnvp', dataset: 'mnist', runsDir });
  out.realnvpMnist = {
    testBitsPerDim: round3(flow.finalEval.testBitsPerDim),
    testNll: round3(flow.finalEval.testNll),
    wallSeconds: seconds(flow),
    steps: flow.steps,
    note: 'exact NLL of uniformly dequantized 8-bit MNIST, in nats per image on [0, 256)^784 and bits per dimension; not comparable with the PixelCNN figure, which is on stochastically binarised MNIST',
  };
  return out;
}
