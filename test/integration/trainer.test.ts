import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { TrainerClient } from '../../src/shared/trainerClient';
import type { FileProblem } from '../../src/shared/decodedFiles';
import { readInspector, readRunRecord } from '../../src/shared/runFolder';
import { isPng, processAlive, readJsonLines, tempDir, TRAINER, until } from './helpers';

function smallConfig(runsDir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return { ...completeConfig({ family: 'vae', steps: 60, batchSize: 32, evalEvery: 30, runsDir, backend: 'wasm' }), ...overrides } as TrainConfig;
}

function startTrainer(config: TrainConfig, resumeFrom?: string) {
  const messages: TrainerMessage[] = [];
  const invalid: string[] = [];
  const client = TrainerClient.start(
    config,
    { onMessage: (m) => messages.push(m), onLog: () => {}, onInvalid: (p) => invalid.push(p) },
    TRAINER,
    resumeFrom,
  );
  const of = <T extends TrainerMessage['type']>(type: T) => messages.filter((m): m is Extract<TrainerMessage, { type: T }> => m.type === type);
  return { client, messages, invalid, of };
}

test('the trainer child process streams metrics, stops on request, exits cleanly and leaves a complete run folder', async () => {
  const runsDir = tempDir('trainer');
  const t = startTrainer(smallConfig(runsDir, { steps: 100000 } as Partial<TrainConfig>));
  await until(() => t.of('metrics').length >= 40, 60000, '40 metrics messages');
  t.client.stop();
  const exit = await t.client.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(processAlive(t.client.pid!), false);
  assert.deepEqual(t.invalid, []);

  const [ready] = t.of('ready');
  assert.match(ready.backend, /^wasm/);
  assert.ok(ready.versions['tfjs-core']);
  const [started] = t.of('started');
  assert.equal(started.totalSteps, 100000);
  const steps = t.of('metrics').map((m) => m.step);
  assert.deepEqual(steps, steps.map((_, i) => i + 1), 'one metrics message per step, in order');
  assert.ok(t.of('metrics').every((m) => m.values.negElbo > 0 && Math.abs(m.values.negElbo - m.values.recon - m.values.kl) < 0.05));
  assert.equal(t.messages.at(-1)?.type, 'done');
  const { summary } = t.of('done')[0];
  assert.equal(summary.state, 'stopped');
  assert.ok(summary.finalEval.testNegElbo > 0);
  const states = t.of('status').map((s) => s.state);
  assert.deepEqual(states.slice(0, 2), ['loading-data', 'training']);
  assert.deepEqual(states.slice(-3), ['stopping', 'evaluating', 'stopped']);
  assert.equal(t.of('status').at(-1)?.state, 'stopped');

  const record = readRunRecord(started.runDir);
  assert.equal(record.status, 'stopped');
  assert.equal(record.interrupted, false);
  assert.equal(record.progress.step, summary.steps);
  assert.match(record.backend, /^wasm/);
  assert.equal(record.finalMetrics.testNegElbo, summary.finalEval.testNegElbo);
  const lines = readJsonLines(path.join(started.runDir, 'metrics.jsonl'));
  assert.equal(lines.filter((l) => l.kind === 'train').length, summary.steps);
  assert.ok(lines.some((l) => l.kind === 'eval'));
  for (const s of t.of('samples')) assert.ok(isPng(s.path), `${s.path} is a PNG`);
  assert.ok(fs.existsSync(path.join(started.runDir, 'samples', `step-${String(summary.steps).padStart(6, '0')}.png`)));
  assert.ok(fs.existsSync(path.join(summary.checkpointDir!, 'decoder', 'model.json')));
});

test('a run trains to its step budget, then reports finished with eval, samples and a loadable checkpoint', async () => {
  const runsDir = tempDir('finish');
  const t = startTrainer(smallConfig(runsDir));
  const exit = await t.client.exited;
  assert.equal(exit.code, 0);
  const { summary } = t.of('done')[0];
  assert.equal(summary.state, 'finished');
  assert.equal(summary.steps, 60);
  assert.deepEqual(t.of('eval').map((e) => e.step), [30, 60]);
  assert.deepEqual(
    t.of('samples').map((s) => [s.step, s.kind]),
    [
      [30, 'samples'],
      [30, 'reconstruction'],
      [60, 'samples'],
      [60, 'reconstruction'],
    ],
  );
  const record = readRunRecord(summary.runDir);
  assert.equal(record.status, 'finished');

  // The Model tab's records, live and on disk alike.
  const [{ architecture }] = t.of('architecture');
  assert.deepEqual(architecture.networks.map((n) => [n.name, n.layers.length]), [['encoder', 2], ['decoder', 2]]);
  assert.equal(architecture.parameters, record.parameters, "the architecture's total is the run's parameter count");
  const norms = t.of('norms').map((m) => m.record);
  assert.deepEqual(norms.map((r) => r.step), [1, ...Array.from({ length: 20 }, (_, i) => 3 * (i + 1))], 'step 1, then every evalEvery/10 = 3 steps');
  for (const r of norms) {
    assert.equal(r.layers.length, 4);
    for (const l of r.layers) assert.ok(l.weightNorm > 0 && l.gradientNorm! > 0 && l.updateRatio! > 0 && l.updateRatio! < 1, JSON.stringify(l));
  }
  const activations = t.of('activations').map((m) => m.record);
  assert.deepEqual(activations.map((r) => r.step), [30, 60], 'at each evaluation');
  const units = new Map(architecture.networks.flatMap((n) => n.layers.map((l) => [l.name, (JSON.parse(l.outputShape) as number[])[1]])));
  for (const l of activations[0].layers) assert.equal(l.counts.reduce((a, b) => a + b, 0), 64 * units.get(l.layer)!, `every output of ${l.layer} on the 64 fixed rows is counted`);
  const problems: FileProblem[] = [];
  assert.deepEqual(readInspector(summary.runDir, problems), { architecture, norms, activations });
  assert.deepEqual(problems, []);
  // A later process can load the checkpoint in TensorFlow.js layers format and decode with it.
  const { loadLayersModel } = await import('../../src/trainer/runs/layersFormat');
  const { initBackend } = await import('../../src/trainer/backend/select');
  await initBackend('cpu');
  const tf = await import('@tensorflow/tfjs-core');
  const decoder = await loadLayersModel(path.join(summary.checkpointDir!, 'decoder'));
  const out = decoder.predict(tf.zeros([2, 20])) as import('@tensorflow/tfjs-core').Tensor;
  assert.deepEqual(out.shape, [2, 784]);
});

test('an invalid message gets an error reply and the trainer keeps going', async () => {
  const child = fork(TRAINER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const replies: Record<string, unknown>[] = [];
  child.on('message', (m) => replies.push(m as Record<string, unknown>));
  child.send({ type: 'launch', config: {} });
  child.send({ type: 'start', config: { family: 'vae', batchSize: -1 } });
  await until(() => replies.length >= 2, 10000, 'two error replies');
  assert.deepEqual(
    replies.map((r) => [r.type, r.fatal]),
    [
      ['error', false],
      ['error', false],
    ],
  );
  assert.match(String(replies[0].message), /message\.type: expected one of start, stop, sampleNow, generate, describe, got "launch"/);
  assert.match(String(replies[1].message), /message\.config\./);
  assert.equal(child.exitCode, null, 'still running');
  child.send({ type: 'stop' });
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
});

test('a trainer killed with SIGKILL mid-run leaves every earlier metrics line intact and run.json unfinished', async () => {
  const runsDir = tempDir('kill');
  const t = startTrainer(smallConfig(runsDir, { steps: 100000, evalEvery: 25 } as Partial<TrainConfig>));
  await until(() => t.of('metrics').length >= 60, 60000, '60 metrics messages');
  t.client.kill();
  const exit = await t.client.exited;
  assert.equal(exit.signal, 'SIGKILL');
  const received = t.of('metrics').length;
  const [started] = t.of('started');
  const lines = readJsonLines(path.join(started.runDir, 'metrics.jsonl'));
  const trainLines = lines.filter((l) => l.kind === 'train');
  assert.ok(trainLines.length >= received, `${trainLines.length} lines on disk, ${received} messages received`);
  assert.deepEqual(
    trainLines.map((l) => l.step),
    trainLines.map((_, i) => i + 1),
  );
  const record = readRunRecord(started.runDir);
  assert.equal(record.status, 'running');
  assert.equal(record.finishedAt, undefined);
  assert.equal(record.interrupted, true);
  assert.ok(record.progress.step >= 50, 'progress recorded at the last eval');
  for (const f of fs.readdirSync(path.join(started.runDir, 'samples'))) assert.ok(isPng(path.join(started.runDir, 'samples', f)), f);
});

test('resume continues a run from its last checkpoint: one continuous history, the loss picks up where it was', async () => {
  const runsDir = tempDir('resume');
  const flow = (steps: number) => ({ ...completeConfig({ family: 'realnvp', steps, batchSize: 128, evalEvery: 150, runsDir, backend: 'wasm' }) }) as TrainConfig;
  const first = startTrainer(flow(300));
  assert.equal((await first.client.exited).code, 0);
  const { runDir } = first.of('done')[0].summary;
  // A kill between checkpoints leaves lines past the last one (step 300); resuming must drop them.
  fs.appendFileSync(path.join(runDir, 'metrics.jsonl'), `${JSON.stringify({ kind: 'train', step: 301, epoch: 0, elapsedMs: 1, values: { nll: 99 } })}\n{"kind":"tr`);
  fs.appendFileSync(path.join(runDir, 'inspector', 'norms.jsonl'), `${JSON.stringify({ step: 315, layers: [] })}\n`);

  const again = startTrainer(flow(450), runDir);
  assert.equal((await again.client.exited).code, 0);
  const [started] = again.of('started');
  assert.equal(started.runDir, runDir);
  assert.equal(started.resumedFromStep, 300);

  const lines = readJsonLines(path.join(runDir, 'metrics.jsonl')) as { kind: string; step: number; elapsedMs: number; values: Record<string, number> }[];
  const train = lines.filter((l) => l.kind === 'train');
  assert.deepEqual(train.map((l) => l.step), Array.from({ length: 450 }, (_, i) => i + 1), 'one line per step, none repeated or lost');
  assert.ok(train[300].elapsedMs >= train[299].elapsedMs, 'elapsed time keeps counting');
  const mean = (from: number, to: number) => train.slice(from, to).reduce((s, l) => s + l.values.nll, 0) / (to - from);
  const start = mean(0, 20);
  const beforeStop = mean(280, 300);
  const afterResume = mean(300, 320);
  // From scratch the NLL would be back near its first values; resumed, it stays near where it stopped.
  assert.ok(start - beforeStop > 0.5, `training had progressed: ${start} → ${beforeStop}`);
  assert.ok(Math.abs(afterResume - beforeStop) < 0.25 * (start - beforeStop), `resumed at ${afterResume}, stopped at ${beforeStop}, began at ${start}`);
  const record = readRunRecord(runDir);
  assert.equal(record.status, 'finished');
  assert.equal(record.progress.step, 450);
  assert.deepEqual(record.resumedAt?.map((r) => r.step), [300]);
  const inspector = readInspector(runDir, []);
  assert.deepEqual(inspector.norms.map((r) => r.step), [1, ...Array.from({ length: 30 }, (_, i) => 15 * (i + 1))], 'norms once per step recorded, across the resume');
  assert.deepEqual(inspector.activations.map((r) => r.step), [150, 300, 450]);
  const evals = lines.filter((l) => l.kind === 'eval');
  const lowest = Math.min(...evals.map((l) => l.values.testNll));
  assert.deepEqual(record.best, { step: evals.find((l) => l.values.testNll === lowest)!.step, metric: 'testNll', value: lowest }, 'the best across both parts of the run');
});

test('a flow that overfits a tiny CSV keeps its best checkpoint and, with a patience, stops early: finished, with the best beside the final', async () => {
  const runsDir = tempDir('early-stop');
  // 40 points: 36 to train on and 4 held out, which a flow of 8 couplings memorises in a few hundred steps.
  const csv = path.join(runsDir, 'tiny.csv');
  const rows = Array.from({ length: 40 }, (_, i) => {
    const angle = (Math.floor(i % 8) * Math.PI) / 4;
    const jitter = Math.sin(7.3 * i) * 0.35;
    return `${(2.8 * Math.cos(angle) + jitter).toFixed(4)},${(2.8 * Math.sin(angle) - jitter).toFixed(4)}`;
  });
  fs.writeFileSync(csv, `x,y\n${rows.join('\n')}\n`);
  const patience = 3;
  const config = completeConfig({ family: 'realnvp', dataset: 'csv', data: { type: 'csv', path: csv, columns: ['x', 'y'] }, steps: 6000, evalEvery: 100, patience, runsDir, backend: 'wasm' });
  const t = startTrainer(config);
  assert.equal((await t.client.exited).code, 0);
  assert.deepEqual(t.invalid, []);
  const { summary } = t.of('done')[0];
  const evals = t.of('eval').map((e) => ({ step: e.step, value: e.values.testNll }));
  const best = evals.reduce((a, b) => (b.value < a.value ? b : a));
  assert.equal(summary.state, 'finished');
  assert.ok(summary.steps < 6000, `stopped before its budget, at ${summary.steps}`);
  assert.equal(summary.steps, best.step + patience * 100, 'after `patience` evaluations without a better one');
  assert.deepEqual(summary.best, { step: best.step, metric: 'testNll', value: best.value });
  assert.ok(summary.finalEval.testNll > best.value, `overfitted past its best: ${best.value} → ${summary.finalEval.testNll}`);
  assert.match(summary.note ?? '', new RegExp(`^Stopped early at step ${summary.steps}: the test NLL had not improved for 3 evaluations; the best, .* at step ${best.step}, is kept in checkpoints/best/\\.$`));
  assert.deepEqual(t.of('status').at(-1), { type: 'status', state: 'finished', detail: summary.note });

  const record = readRunRecord(summary.runDir);
  assert.equal(record.status, 'finished');
  assert.deepEqual(record.best, summary.best);
  assert.ok(record.notes?.includes(summary.note!), 'the note is kept with the run');
  // checkpoints/best/ is the model of that evaluation, loadable like any checkpoint.
  const bestDir = path.join(summary.runDir, 'checkpoints', 'best');
  assert.equal(JSON.parse(fs.readFileSync(path.join(bestDir, 'training-state.json'), 'utf8')).step, best.step);
  assert.ok(fs.existsSync(path.join(bestDir, 'flow.json')));
  assert.ok(fs.readdirSync(path.join(summary.runDir, 'checkpoints')).includes(`step-${String(summary.steps).padStart(6, '0')}`), 'the last checkpoint too');
});

test('resuming a run without a resumable checkpoint fails with the fix named', async () => {
  const runsDir = tempDir('resume-none');
  const empty = path.join(runsDir, 'not-a-run');
  fs.mkdirSync(empty);
  const t = startTrainer(completeConfig({ family: 'gaussian', runsDir, backend: 'cpu' }), empty);
  assert.notEqual((await t.client.exited).code, 0);
  const [error] = t.of('error');
  assert.match(error.message, /has no checkpoint to resume from/);
  assert.match(error.hint, /start a new run/);
});
