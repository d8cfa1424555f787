/**
 * `npm run bench`: speed, memory and quality figures, written to bench/results.json with a short
 * table. Each backend is measured in its own process (so peak RSS is its own), and the PyTorch
 * reference runs in the same session on the same machine, so ratios compare like with like.
 *
 *   node dist/bench.js [--quick] [--no-quality] [--steps-only] [--install-only]
 *     --quick         fewer timed steps, no quality run (a smoke check of the bench itself)
 *     --no-quality    skip the 10-epoch VAE quality run (about 4 minutes)
 *     --steps-only    only every family's step on each backend and thread count, and in PyTorch
 *                     (about 30 minutes with the native backend installed); --steps-only='NAME;…'
 *                     measures the cases whose names start so again, into the results there
 *     --install-only  only Install Native Backend from nothing to the first native step (about a minute)
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, completeConfig, type TrainConfig } from '../src/protocol/config';
import type { RunSummary } from '../src/protocol/messages';
import { initBackend } from '../src/trainer/backend/select';
import { benchConvKernels } from '../src/trainer/backend/kernelBench';
import { diskUse, installNativeBackend } from '../src/shared/native/install';
import { TrainerClient } from '../src/shared/trainerClient';
import { UserError } from '../src/shared/userError';
import { binarizeBatch, loadImageDataset } from '../src/trainer/data/imageDatasets';
import { vaeFamily } from '../src/trainer/families/vae';
import { Rng } from '../src/trainer/rng';
import { familyStepTimes, mergeStepTimes, type StepTimes, stepKernelProfile, taxonomyQuality } from './families';
import { INSPECTOR_CASES, inspectorOverhead } from './inspector';
import { withProcessEnv } from './processEnv';
import { torchModelStep } from './torchReference';
import { vsixFigures } from './vsix';
import { manyRunsFigures } from './manyRuns';
import { measureChartFrames } from './webviewFrames';

const ROOT = path.resolve(__dirname, '..');
const RESULTS = path.join(ROOT, 'bench', 'results.json');
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Worker: one backend, one process. Prints one JSON line. */
async function vaeStepWorker(backend: BackendName, timedSteps: number): Promise<void> {
  const t0 = performance.now();
  const data = await loadImageDataset('mnist');
  const mnistLoadMs = performance.now() - t0;
  const info = await initBackend(backend);
  const batch = 128;
  const config = completeConfig({ family: 'vae', steps: timedSteps, batchSize: batch });
  const model = vaeFamily.create(config, data, new Rng(0));
  const rng = new Rng(1);
  const buffer = new Float32Array(batch * 784);
  const times: number[] = [];
  const warmup = 10;
  for (let s = 0; s < warmup + timedSteps; s++) {
    const idx = Array.from({ length: batch }, () => Math.floor(rng.next() * data.train.count));
    const start = performance.now();
    // Batch preparation is part of a real step, so it is inside the timing.
    const x = tf.tensor2d(binarizeBatch(data.train.pixels, idx, rng, buffer), [batch, 784]);
    model.trainStep(x);
    x.dispose();
    if (s >= warmup) times.push(performance.now() - start);
  }
  model.dispose();
  const ms = median(times);
  const result = {
    backend: info.label,
    threads: 1,
    msPerStep: round(ms),
    samplesPerSecond: Math.round((batch * 1000) / ms),
    stepsTimed: timedSteps,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    mnistLoadMs: Math.round(mnistLoadMs),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function kernelsWorker(): Promise<void> {
  await initBackend('wasm');
  process.stdout.write(`${JSON.stringify(await benchConvKernels())}\n`);
}

function runWorker(workerArgs: string[]): Record<string, unknown> | { unavailable: string } {
  try {
    const out = execFileSync(process.execPath, [__filename, '--worker', ...workerArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? err);
    return { unavailable: stderr.trim().split('\n').slice(-3).join(' ') };
  }
}

/** Runs the trainer process as the CLI and the extension do; resolves with timings and the summary. */
function trainerRun(config: TrainConfig, env: Record<string, string> = {}): Promise<{ readyMs: number; firstStepMs: number; summary: RunSummary }> {
  const t0 = performance.now();
  let readyMs = NaN;
  let firstStepMs = NaN;
  let summary: RunSummary | undefined;
  let error = '';
  const client = withProcessEnv(env, () => TrainerClient.start(
    config,
    {
      onMessage: (m) => {
        if (m.type === 'ready') readyMs = performance.now() - t0;
        if (m.type === 'metrics' && Number.isNaN(firstStepMs)) firstStepMs = performance.now() - t0;
        if (m.type === 'eval') process.stdout.write(`  ${config.family} step ${m.step}: ${Object.entries(m.values).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}\n`);
        if (m.type === 'error') error = `${m.message} ${m.hint}`;
        if (m.type === 'done') summary = m.summary;
      },
      onLog: () => {},
      onInvalid: (p) => (error = p),
    },
    path.join(__dirname, 'trainer.js'),
  ));
  return client.exited.then(() => {
    if (!summary) throw new Error(`trainer run failed: ${error}`);
    return { readyMs: Math.round(readyMs), firstStepMs: Math.round(firstStepMs), summary };
  });
}

/**
 * Install Native Backend from nothing (no install, no cached download) to the first step trained
 * on it, and the disk it takes, in temporary folders removed afterwards. Skipped (`skipped`, with
 * why) where the machine cannot install it: no toolchain, no pip index.
 */
async function nativeInstallFigures(): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-native-'));
  const env = { GENLAB_NATIVE_DIR: path.join(root, 'native'), GENLAB_CACHE_DIR: path.join(root, 'cache') };
  const stages: { stage: string; atSeconds: number }[] = [];
  const t0 = performance.now();
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  try {
    const { manifest } = await installNativeBackend({
      env: { ...process.env, ...env },
      progress: {
        report: (message) => {
          const stage = message.split(' (')[0];
          if (stages.at(-1)?.stage !== stage) stages.push({ stage, atSeconds: seconds(performance.now() - t0) });
        },
        log: () => {},
      },
    });
    const installedMs = performance.now() - t0;
    const run = await trainerRun(completeConfig({ family: 'vae', backend: 'tensorflow', steps: 3, evalEvery: 1000, runsDir: path.join(root, 'runs') }), env);
    return {
      route: manifest.libtensorflow.source,
      installSeconds: seconds(installedMs),
      toFirstNativeStepSeconds: seconds(installedMs + run.firstStepMs),
      installedMb: Math.round(manifest.bytes / 1e6),
      downloadCacheMb: Math.round(diskUse(env.GENLAB_CACHE_DIR) / 1e6),
      stages,
    };
  } catch (err) {
    if (err instanceof UserError) return { skipped: `${err.message} ${err.hint}` };
    throw err;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Bundle sizes are measured here (the minified size is what the .vsix ships). Activation time and
 * metrics latency can only be measured in a real VS Code: the e2e tests write them to
 * test-output/e2e/perf.json, and they are copied from there with the time they were taken.
 */
function extensionFigures(): Record<string, unknown> {
  const size = (file: string) => (fs.existsSync(file) ? Math.round(fs.statSync(file).size / 1024) : null);
  const minified = execFileSync(
    path.join(ROOT, 'node_modules', '.bin', 'esbuild'),
    ['src/extension/extension.ts', '--bundle', '--platform=node', '--format=cjs', '--external:vscode', '--minify'],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  const perfFile = path.join(ROOT, 'test-output', 'e2e', 'perf.json');
  return {
    bundleKb: { extensionMinified: Math.round(minified.length / 1024), extension: size(path.join(__dirname, 'extension.js')), trainer: size(path.join(__dirname, 'trainer.js')), dashboardWebview: size(path.join(__dirname, 'webview', 'dashboard.js')) },
    fromE2e: fs.existsSync(perfFile) ? JSON.parse(fs.readFileSync(perfFile, 'utf8')) : { unavailable: 'run `npm run test:e2e` first: activation time and metrics latency are measured in a real VS Code' },
  };
}

function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine() };
  const only = [...args].find((a) => a.startsWith('--steps-only='))?.slice('--steps-only='.length).split(';');
  if (args.has('--steps-only') || only) {
    const steps = await familyStepTimes(fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-steps-')), (input) => runWorker(['profile', JSON.stringify(input)]), only);
    const earlier = only && fs.existsSync(RESULTS) ? (JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as { date: string; familySteps?: StepTimes }) : undefined;
    results.familySteps = earlier?.familySteps ? mergeStepTimes(earlier.familySteps, steps) : steps;
    if (earlier?.familySteps) Object.assign(results, { date: earlier.date, remeasured: { date: results.date, cases: Object.keys(steps.cases) } });
    fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    printRows(stepRows(results));
    return;
  }
  if (args.has('--install-only')) {
    // Added to the figures already there, as it measures one thing.
    const earlier = fs.existsSync(RESULTS) ? (JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : results;
    results.nativeInstall = await nativeInstallFigures();
    fs.writeFileSync(RESULTS, `${JSON.stringify({ ...earlier, nativeInstall: { date: results.date, ...(results.nativeInstall as object) } }, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results.nativeInstall, null, 2)}\n`);
    return;
  }
  const timedSteps = quick ? 5 : 100;

  process.stdout.write('VAE training step (batch 128), one process per backend…\n');
  const vaeStep: Record<string, unknown> = {};
  for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
    vaeStep[backend] = runWorker(['vae-step', backend, String(backend === 'cpu' ? Math.min(5, timedSteps) : timedSteps)]);
  }
  results.vaeStep = vaeStep;

  process.stdout.write('PyTorch reference (same VAE, same machine)…\n');
  const torch1 = await torchModelStep('vae', 128, 1);
  const torch2 = await torchModelStep('vae', 128, os.cpus().length);
  const wasmMs = (vaeStep.wasm as { msPerStep?: number }).msPerStep;
  const torchMs = 'msPerStep' in torch1 ? torch1.msPerStep : undefined;
  results.torchReference = { oneThread: torch1, allThreads: torch2, wasmOverTorchOneThread: wasmMs && torchMs ? round(wasmMs / torchMs) : null };

  process.stdout.write('Replacement wasm kernels vs stock…\n');
  results.wasmKernels = runWorker(['kernels']);

  process.stdout.write('Trainer process start-up…\n');
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-'));
  const startup = await trainerRun(completeConfig({ family: 'vae', steps: 3, evalEvery: 1000, runsDir }));
  results.trainerStartup = { readyMs: startup.readyMs, timeToFirstStepMs: startup.firstStepMs };

  process.stdout.write('Extension: bundle sizes, and figures from the last `npm run test:e2e`…\n');
  results.extension = extensionFigures();
  process.stdout.write('The .vsix: packaged from dist/ with npm run package:vsix…\n');
  results.vsix = vsixFigures(path.join(runsDir, 'genlab.vsix'));

  process.stdout.write('Dashboard chart: frame times with 50k points while 2,000 more stream in…\n');
  results.dashboardFrames = await measureChartFrames({ points: 50000 });

  process.stdout.write('A workspace of 1,000 runs: the run catalog, the gallery, Compare of 20…\n');
  results.manyRuns = await manyRunsFigures();

  process.stdout.write('Every family\'s training step on each backend and thread count, with PyTorch references…\n');
  results.familySteps = await familyStepTimes(fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-steps-')), (input) => runWorker(['profile', JSON.stringify(input)]));

  process.stdout.write('Install Native Backend from nothing to the first native step…\n');
  results.nativeInstall = await nativeInstallFigures();

  process.stdout.write('The Model tab: what recording norms and activations costs, at each family\'s default evaluation interval…\n');
  results.inspectorOverhead = Object.fromEntries(INSPECTOR_CASES.map((c) => [c.name, runWorker(['inspector', JSON.stringify(c.input), quick ? '2' : '7'])]));

  if (!quick && !args.has('--no-quality')) {
    process.stdout.write('Quality: density models on toy data, defaults…\n');
    const toy = async (family: 'mixture' | 'realnvp', dataset: '8gaussians' | 'checkerboard', target: number) => {
      const r = await trainerRun(completeConfig({ family, dataset, runsDir }));
      const nll = r.summary.finalEval.testNll;
      return { testNll: round(nll, 3), target, met: nll <= target, wallSeconds: Math.round(r.summary.wallMs / 1000), steps: r.summary.steps };
    };
    const densities = {
      mixture8gaussians: await toy('mixture', '8gaussians', 2.9),
      realnvp8gaussians: await toy('realnvp', '8gaussians', 2.95),
      realnvpCheckerboard: await toy('realnvp', 'checkerboard', 3.6),
    };
    process.stdout.write('Quality: VAE, defaults, 10 epochs on MNIST…\n');
    const q = await trainerRun(completeConfig({ family: 'vae', epochs: 10, runsDir }));
    process.stdout.write('Quality: GAN, diffusion, VAE on 2-D data and PixelCNN, defaults…\n');
    const taxonomy = await taxonomyQuality(runsDir);
    results.quality = {
      ...densities,
      ...taxonomy,
      vaeMnist10Epochs: {
        testNegElbo: round(q.summary.finalEval.testNegElbo),
        target: 105,
        met: q.summary.finalEval.testNegElbo < 105,
        wallSeconds: Math.round(q.summary.wallMs / 1000),
        stepsPerSecond: round(q.summary.stepsPerSecond),
        backend: q.summary.backend,
        note: 'test -ELBO in nats per image on the fixed-seed stochastically binarised MNIST test set',
      },
    };
  }
  fs.rmSync(runsDir, { recursive: true, force: true });

  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  process.stdout.write(`\nWrote ${path.relative(process.cwd(), RESULTS)}\n`);
}

function printTable(results: Record<string, unknown>): void {
  const rows: [string, string][] = [];
  for (const [backend, r] of Object.entries(results.vaeStep as Record<string, Record<string, unknown>>)) {
    rows.push([`VAE step, ${backend}`, 'unavailable' in r ? `unavailable: ${String(r.unavailable).slice(0, 80)}` : `${r.msPerStep} ms (${r.samplesPerSecond} samples/s, peak RSS ${r.peakRssMb} MB)`]);
  }
  const torch = results.torchReference as { oneThread: Record<string, unknown>; allThreads: Record<string, unknown>; wasmOverTorchOneThread: number | null };
  for (const [label, r] of [['1 thread', torch.oneThread], ['all threads', torch.allThreads]] as const) {
    rows.push([`PyTorch step, ${label}`, 'unavailable' in r ? `unavailable: ${r.unavailable}` : `${round(Number(r.msPerStep))} ms (torch ${r.torch}, ${r.blas})`]);
  }
  rows.push(['wasm / PyTorch (1 thread)', torch.wasmOverTorchOneThread === null ? 'n/a' : `${torch.wasmOverTorchOneThread}x`]);
  const startup = results.trainerStartup as Record<string, number>;
  rows.push(['trainer ready / first step', `${startup.readyMs} ms / ${startup.timeToFirstStepMs} ms`]);
  const ext = results.extension as { bundleKb: Record<string, number | null>; fromE2e: Record<string, unknown> };
  rows.push(['extension bundle (minified)', `${ext.bundleKb.extensionMinified} KB`]);
  const vsix = results.vsix as { megabytes: number; files: number; build: string; ceiling: { megabytes: number; files: number } };
  rows.push([`.vsix (${vsix.build} build)`, `${vsix.megabytes} MB, ${vsix.files} files (ceiling ${vsix.ceiling.megabytes} MB, ${vsix.ceiling.files} files)`]);
  if ('activationMs' in ext.fromE2e) rows.push(['activation (real VS Code)', `${ext.fromE2e.activationMs} ms`]);
  const latency = ext.fromE2e.metricsLatencyMs as { p50: number; p95: number } | undefined;
  if (latency) rows.push(['metrics → chart latency', `p50 ${latency.p50} ms, p95 ${latency.p95} ms`]);
  const frames = results.dashboardFrames as Record<string, number | string>;
  rows.push(['chart frames, 50k points', 'unavailable' in frames ? `unavailable: ${frames.unavailable}` : `p50 ${frames.p50FrameMs} ms, p95 ${frames.p95FrameMs} ms, max ${frames.maxFrameMs} ms`]);
  const many = results.manyRuns as Record<string, { ms: number; longestSliceMs: number }> & { compare: Record<string, { ms: number; longestSliceMs: number }> };
  const slices = (t: { ms: number; longestSliceMs: number }) => `${t.ms} ms (longest slice ${t.longestSliceMs} ms)`;
  rows.push(['1,000 runs: first listing, one changed', `${slices(many.firstListing)}; ${slices(many.listingAfterOneChange)}`]);
  rows.push(['1,000 runs: gallery images, Compare of 20', `${slices(many.galleryImagesFirst)}; ${slices(many.compare.hostHistories)} + model ${many.compare.model.ms} ms`]);
  const quality = (results.quality as { vaeMnist10Epochs?: Record<string, unknown> } | undefined)?.vaeMnist10Epochs;
  if (quality) rows.push(['VAE 10 epochs, test -ELBO', `${quality.testNegElbo} nats in ${quality.wallSeconds} s (target < 105)`]);
  for (const [name, r] of Object.entries((results.quality ?? {}) as Record<string, { testNll?: number; testBitsPerDim?: number; target?: number; wallSeconds: number }>)) {
    if (r.testNll === undefined) continue;
    const bits = r.testBitsPerDim === undefined ? '' : ` (${r.testBitsPerDim} bits/dim)`;
    rows.push([`${name}, test NLL`, `${r.testNll} nats${bits} in ${r.wallSeconds} s${r.target === undefined ? '' : ` (target <= ${r.target})`}`]);
  }
  rows.push(...stepRows(results));
  for (const [name, r] of Object.entries((results.inspectorOverhead ?? {}) as Record<string, { overheadPercent?: number; overheadPercentRange?: number[]; evalEvery?: number; unavailable?: string }>)) {
    rows.push([`Model tab recording: ${name}`, r.unavailable ? `unavailable: ${r.unavailable.slice(0, 80)}` : `${r.overheadPercent} % of training time (range ${r.overheadPercentRange?.join('–')} %, evalEvery ${r.evalEvery}; budget 5 %)`]);
  }
  const q = (results.quality ?? {}) as Record<string, Record<string, unknown>>;
  if (q.gan8gaussians) rows.push(['GAN 8gaussians (seeds 0-2)', (q.gan8gaussians.runs as { js: number; modesCovered: number; wallSeconds: number }[]).map((g) => `JS ${g.js}, ${g.modesCovered}/8 modes, ${g.wallSeconds} s`).join('; ')]);
  for (const k of ['ddpm8gaussians', 'ddpmCheckerboard']) if (q[k]) rows.push([`${k}, histogram JS`, `${q[k].js} in ${q[k].wallSeconds} s (target < 0.1)`]);
  if (q.vae8gaussians) rows.push(['VAE 8gaussians, test -ELBO / IWAE', `${q.vae8gaussians.testNegElbo} / ${q.vae8gaussians.testNllIwae} nats in ${q.vae8gaussians.wallSeconds} s`]);
  printRows(rows);
}

function printRows(rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
}

/** Each family's step in every lane, the ratios with their range over the rounds, then the targets. */
function stepRows(results: Record<string, unknown>): [string, string][] {
  const rows: [string, string][] = [];
  type Case = { lanes: Record<string, { msPerStep?: number; note?: string }>; ratios: Record<string, { ratio: number; range: number[] }> };
  const steps = (results.familySteps ?? { cases: {}, targets: [] }) as { cases: Record<string, Case>; targets: { case: string; target: string; ratio: number; met: boolean }[] };
  for (const [name, c] of Object.entries(steps.cases)) {
    const lanes = Object.entries(c.lanes).map(([lane, l]) => `${lane} ${l.msPerStep === undefined ? `unavailable (${l.note})` : `${round(l.msPerStep)} ms`}`);
    const ratios = Object.entries(c.ratios).map(([k, r]) => `${k} ${r.ratio}x (${r.range.join('-')})`);
    rows.push([`step: ${name}`, [...lanes, ...ratios].join('; ')]);
  }
  for (const t of steps.targets) rows.push([`target: ${t.case}`, `${t.target}: ${t.ratio}x, ${t.met ? 'met' : 'not met'}`]);
  return rows;
}

if (process.argv[2] === '--worker') {
  const [, , , kind, backend, steps] = process.argv;
  const job =
    kind === 'kernels'
      ? kernelsWorker()
      : kind === 'profile'
        ? stepKernelProfile(JSON.parse(backend)).then((kernels) => void process.stdout.write(`${JSON.stringify({ kernels })}\n`))
        : kind === 'inspector'
          ? inspectorOverhead(JSON.parse(backend), Number(steps)).then((r) => void process.stdout.write(`${JSON.stringify(r)}\n`))
          : vaeStepWorker(backend as BackendName, Number(steps));
  job.catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
