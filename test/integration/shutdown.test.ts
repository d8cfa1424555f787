/**
 * The trainer when its host goes away (the window closes): the IPC channel closing is a stop
 * after the current step, the final checkpoint is written, the run reads as stopped, the process
 * exits cleanly on its own, and the run resumes from that checkpoint.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { TrainerClient } from '../../src/shared/trainerClient';
import { latestResumableCheckpoint, readRunRecord } from '../../src/shared/runFolder';
import { processAlive, readJsonLines, tempDir, TRAINER, until } from './helpers';

function vaeConfig(runsDir: string): TrainConfig {
  return completeConfig({ family: 'vae', steps: 100000, batchSize: 32, evalEvery: 25, runsDir, backend: 'wasm' });
}

function startTrainer(config: TrainConfig, resumeFrom?: string) {
  const messages: TrainerMessage[] = [];
  const stderr: string[] = [];
  const client = TrainerClient.start(
    config,
    { onMessage: (m) => messages.push(m), onLog: (line, stream) => stream === 'stderr' && stderr.push(line), onInvalid: (p) => assert.fail(p) },
    TRAINER,
    resumeFrom,
  );
  const of = <T extends TrainerMessage['type']>(type: T) => messages.filter((m): m is Extract<TrainerMessage, { type: T }> => m.type === type);
  return { client, stderr, of };
}

test('a trainer whose IPC channel closes mid-run stops after its step, checkpoints it, exits 0 and resumes from there', async () => {
  const runsDir = tempDir('disconnect');
  const t = startTrainer(vaeConfig(runsDir));
  // Past the first periodic checkpoint (step 25), so that the final one is a different step.
  await until(() => t.of('metrics').length >= 40, 60000, '40 metrics messages');
  const [started] = t.of('started');
  const received = t.of('metrics').length;
  t.client.disconnect();
  const exit = await t.client.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `the trainer ended cleanly; its stderr: ${t.stderr.join('\n')}`);
  assert.equal(processAlive(t.client.pid!), false);
  assert.equal(t.of('metrics').length, received, 'nothing arrives once the channel is closed');

  const record = readRunRecord(started.runDir);
  assert.equal(record.status, 'stopped');
  assert.equal(record.interrupted, false);
  assert.ok(record.finishedAt);
  const step = record.progress.step;
  assert.ok(step >= received && step < 100000, `stopped at step ${step}, after the ${received} steps reported`);
  const trainSteps = readJsonLines(path.join(started.runDir, 'metrics.jsonl')).filter((l) => l.kind === 'train');
  assert.equal(trainSteps.at(-1)?.step, step, 'metrics.jsonl ends at the step the run stopped at');
  const checkpoint = latestResumableCheckpoint(started.runDir);
  assert.equal(checkpoint?.step, step, 'the final checkpoint is at the step it stopped at');
  assert.ok(fs.existsSync(path.join(checkpoint.dir, 'decoder', 'model.json')));
  assert.ok(fs.existsSync(path.join(started.runDir, 'samples', `step-${String(step).padStart(6, '0')}.png`)), 'final samples');

  const resumed = startTrainer(vaeConfig(runsDir), started.runDir);
  await until(() => resumed.of('metrics').length >= 5, 60000, '5 metrics messages after resuming');
  resumed.client.stop();
  assert.equal((await resumed.client.exited).code, 0);
  assert.equal(resumed.of('started')[0].resumedFromStep, step);
  assert.equal(resumed.of('metrics')[0].step, step + 1, 'training continues at the next step');
  assert.equal(readRunRecord(started.runDir).status, 'stopped');
});

test('a trainer whose host goes away before training starts exits at once and leaves no run folder', async () => {
  const runsDir = tempDir('disconnect-early');
  const t = startTrainer(vaeConfig(runsDir));
  t.client.disconnect();
  const exit = await t.client.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `its stderr: ${t.stderr.join('\n')}`);
  assert.deepEqual(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [], []);
});
