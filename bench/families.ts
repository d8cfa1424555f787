/**
 * The benchmark's taxonomy sections: every family's training step time in the real trainer
 * process on each backend and thread count (with PyTorch references for the image models), and the quality each family reaches
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
import { withProcessEnv } from './processEnv';
import { type TorchModel, torchModelStep } from './torchReference';

const TRAINER = path.join(__dirname, 'trainer.js');

/**
 * Median milliseconds per training step over steps (warmup, warmup + timed], read from the
 * trainer's own metrics stream; the trainer is killed right after (no final evaluation).
 */
function stepTime(config: TrainConfig, warmup: number, timed: number, env: Record<string, string> = {}): Promise<{ msPerStep: number; backend: string }> {
  return new Promise((resolve, reject) => {
    const at = new Map<number, number>();
    let backend = '';
    let error = '';
    const client: TrainerClient = withProcessEnv(env, () => TrainerClient.start(
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
    ));
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

type StepCase = { name: string; input: ConfigInput; warmup: number; timed: number; torch?: { model: TorchModel; batch: number }; profile?: boolean; wasmTarget?: boolean };

const STEP_CASES: StepCase[] = [
  { name: 'gaussian (full batch, 50k points)', input: { family: 'gaussian' }, warmup: 5, timed: 30 },
  { name: 'mixture (one EM iteration, 50k points)', input: { family: 'mixture' }, warmup: 3, timed: 20 },
  { name: 'realnvp (batch 256)', input: { family: 'realnvp' }, warmup: 20, timed: 200 },
  { name: 'vae, 2-D (batch 256)', input: { family: 'vae', dataset: '8gaussians' }, warmup: 20, timed: 200 },
  { name: 'vae, MNIST (batch 128)', input: { family: 'vae' }, warmup: 10, timed: 100, torch: { model: 'vae', batch: 128 }, wasmTarget: true },
  { name: 'gan, 2-D (batch 256)', input: { family: 'gan' }, warmup: 20, timed: 200 },
  { name: 'gan, DCGAN on MNIST (batch 64)', input: { family: 'gan', dataset: 'mnist' }, warmup: 5, timed: 30, torch: { model: 'dcgan', batch: 64 }, profile: true, wasmTarget: true },
  { name: 'ddpm, 2-D (batch 256)', input: { family: 'ddpm' }, warmup: 20, timed: 200 },
  { name: 'ddpm, conv on MNIST (batch 64)', input: { family: 'ddpm', dataset: 'mnist' }, warmup: 5, timed: 20, torch: { model: 'ddpm', batch: 64 }, profile: true, wasmTarget: true },
  { name: 'realnvp, MNIST (batch 64)', input: { family: 'realnvp', dataset: 'mnist' }, warmup: 5, timed: 50, torch: { model: 'realnvp', batch: 64 }, wasmTarget: true },
  { name: 'pixelcnn, MNIST (batch 32)', input: { family: 'pixelcnn' }, warmup: 3, timed: 30, torch: { model: 'pixelcnn', batch: 32 }, profile: true },
];

/** Issue #14's targets: on tensorflow every family at most PyTorch's time at the same thread count; on wasm at most 1.5x for the cases marked. */
const TENSORFLOW_TARGET = 1.0;
const WASM_TARGET = 1.5;

/** One way of running a step: a backend (or PyTorch) on a number of threads. */
interface Lane {
  name: string;
  kind: 'wasm' | 'tensorflow' | 'pytorch';
  threads: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** The lanes of a case: wasm on its one thread, tensorflow (where installed) and PyTorch (where it has a reference) on 1 and 2. */
function lanesOf(c: StepCase, native: boolean): Lane[] {
  const threaded = (kind: 'tensorflow' | 'pytorch', label: string) => [1, 2].map((threads) => ({ name: `${label}, ${threads} thread${threads > 1 ? 's' : ''}`, kind, threads }));
  return [{ name: 'wasm, 1 thread', kind: 'wasm', threads: 1 }, ...(native ? threaded('tensorflow', 'tensorflow') : []), ...(c.torch ? threaded('pytorch', 'PyTorch') : [])];
}

/** One lane's step time: tensorflow's thread pools are sized by libtensorflow's environment variables, read when it starts in the trainer. */
async function laneStep(c: StepCase, lane: Lane, runsDir: string): Promise<{ msPerStep: number; backend?: string } | { unavailable: string }> {
  if (lane.kind === 'pytorch') return torchModelStep(c.torch!.model, c.torch!.batch, lane.threads);
  // The same model in every lane: the defaults wasm takes, not the native ones tuned to tensorflow.
  const config = { ...completeConfig({ ...c.input, backend: 'wasm', runsDir }), backend: lane.kind };
  if (lane.kind === 'wasm') return stepTime(config, c.warmup, c.timed);
  const pools = { TF_NUM_INTRAOP_THREADS: String(lane.threads), TF_NUM_INTEROP_THREADS: String(lane.threads) };
  return stepTime(config, c.warmup, c.timed, pools);
}

/**
 * Each family's step in every lane: `rounds` rounds, the lanes interleaved within each, so that a
 * machine getting busier slows them alike. Ratios are of the medians, with their range over the
 * rounds (a round's ratio is of that round's two times). `profileInWorker` runs stepKernelProfile
 * in a fresh process (one backend set-up per case). wasm has one lane: its threaded build cannot
 * link GenLab's kernels yet.
 */
export async function familyStepTimes(runsDir: string, profileInWorker: (input: ConfigInput) => Record<string, unknown>, only?: string[], rounds = 3): Promise<StepTimes> {
  const cases: Record<string, unknown> = {};
  const native = findNativeInstall().ok;
  const targets: StepTarget[] = [];
  for (const c of STEP_CASES.filter((c) => !only || only.some((name) => c.name.startsWith(name)))) {
    const lanes = lanesOf(c, native);
    process.stdout.write(`  step time: ${c.name} (${lanes.map((l) => l.name).join('; ')}; ${rounds} rounds)\n`);
    const times = new Map<string, number[]>(lanes.map((l) => [l.name, []]));
    const notes: Record<string, string> = {};
    for (let round = 0; round < rounds; round++) {
      for (const lane of lanes) {
        const step = await laneStep(c, lane, runsDir);
        if ('unavailable' in step) notes[lane.name] = step.unavailable;
        else {
          times.get(lane.name)!.push(step.msPerStep);
          if ('backend' in step && step.backend) notes[lane.name] = step.backend;
        }
      }
    }
    const timed = lanes.filter((l) => times.get(l.name)!.length === rounds);
    const compare = (a: Lane, b: Lane) => {
      const [x, y] = [times.get(a.name)!, times.get(b.name)!];
      const perRound = x.map((v, i) => ratio(v, y[i]));
      return { ratio: ratio(median(x), median(y)), range: [Math.min(...perRound), Math.max(...perRound)] };
    };
    const ratios: Record<string, { ratio: number; range: number[] }> = {};
    const find = (kind: Lane['kind'], threads: number) => timed.find((l) => l.kind === kind && l.threads === threads);
    for (const threads of [1, 2]) {
      const [tfl, torch] = [find('tensorflow', threads), find('pytorch', threads)];
      if (tfl && torch) {
        ratios[`tensorflow / PyTorch, ${threads} thread${threads > 1 ? 's' : ''}`] = compare(tfl, torch);
        targets.push({ case: c.name, target: `tensorflow ≤ ${TENSORFLOW_TARGET}x PyTorch, ${threads} thread${threads > 1 ? 's' : ''}`, ratio: compare(tfl, torch).ratio, met: compare(tfl, torch).ratio <= TENSORFLOW_TARGET });
      }
      const wasm = find('wasm', 1);
      if (tfl && wasm) ratios[`tensorflow, ${threads} thread${threads > 1 ? 's' : ''} / wasm`] = compare(tfl, wasm);
    }
    const [wasm, torch1] = [find('wasm', 1), find('pytorch', 1)];
    if (wasm && torch1) {
      ratios['wasm / PyTorch, 1 thread'] = compare(wasm, torch1);
      if (c.wasmTarget) targets.push({ case: c.name, target: `wasm ≤ ${WASM_TARGET}x PyTorch, 1 thread`, ratio: compare(wasm, torch1).ratio, met: compare(wasm, torch1).ratio <= WASM_TARGET });
    }
    const profile = c.profile ? profileInWorker(c.input) : undefined;
    const kernels = profile && 'kernels' in profile ? (profile.kernels as { kernel: string; replaced: boolean }[]) : undefined;
    cases[c.name] = {
      lanes: Object.fromEntries(lanes.map((l) => [l.name, { ...(times.get(l.name)!.length === rounds ? { msPerStep: median(times.get(l.name)!), rounds: times.get(l.name) } : {}), ...(notes[l.name] ? { note: notes[l.name] } : {}) }])),
      ratios,
      ...(profile ? { kernels: kernels ?? profile, stockConvKernels: kernels?.filter((k) => !k.replaced && SLOW_STOCK_KERNELS.includes(k.kernel)).map((k) => k.kernel) } : {}),
    };
  }
  fs.rmSync(runsDir, { recursive: true, force: true });
  return { cases, targets, ...(native ? {} : { tensorflow: 'not installed: `genlab native install` adds it, and its lanes' }) };
}

export interface StepTarget {
  case: string;
  target: string;
  ratio: number;
  met: boolean;
}
export interface StepTimes {
  cases: Record<string, unknown>;
  targets: StepTarget[];
  tensorflow?: string;
}

/** `fresh` cases measured again, in place of their figures in `before` (a whole run's). */
export function mergeStepTimes(before: StepTimes, fresh: StepTimes): StepTimes {
  const remeasured = Object.keys(fresh.cases);
  return { ...before, cases: { ...before.cases, ...fresh.cases }, targets: [...before.targets.filter((t) => !remeasured.includes(t.case)), ...fresh.targets] };
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
