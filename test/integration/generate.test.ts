import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { completeConfig } from '../../src/protocol/config';
import type { GenerateRequest, TrainerMessage } from '../../src/protocol/messages';
import { TrainerClient } from '../../src/shared/trainerClient';
import { listGenerated } from '../../src/shared/runFolder';
import { tempDir, TRAINER } from './helpers';

async function run(start: (handlers: Parameters<typeof TrainerClient.start>[1]) => TrainerClient): Promise<{ code: number | null; messages: TrainerMessage[] }> {
  const messages: TrainerMessage[] = [];
  const client = start({ onMessage: (m) => messages.push(m), onLog: () => {}, onInvalid: () => {} });
  const { code } = await client.exited;
  return { code, messages };
}

const csvPoints = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));

test('a trained run draws new samples from its checkpoint: seeded, temperature-scaled, listed for the gallery', async () => {
  const runsDir = tempDir('generate');
  const trained = await run((h) => TrainerClient.start(completeConfig({ family: 'gaussian', dataset: 'moons', runsDir, backend: 'cpu' }), h, TRAINER));
  assert.equal(trained.code, 0);
  const done = trained.messages.find((m) => m.type === 'done');
  assert.ok(done?.type === 'done');
  const { runDir } = done.summary;

  const draw = async (request: GenerateRequest) => {
    const r = await run((h) => TrainerClient.generate(runDir, request, h, TRAINER));
    assert.equal(r.code, 0);
    const generated = r.messages.find((m) => m.type === 'generated');
    assert.ok(generated?.type === 'generated', JSON.stringify(r.messages.filter((m) => m.type === 'error')));
    return generated;
  };
  const warm = await draw({ type: 'samples', count: 3000, seed: 7 });
  const again = await draw({ type: 'samples', count: 3000, seed: 7 });
  const cool = await draw({ type: 'samples', count: 3000, seed: 7, temperature: 0.5 });
  assert.equal(fs.readFileSync(warm.path, 'utf8'), fs.readFileSync(again.path, 'utf8'), 'the same seed draws the same points');
  assert.match(cool.caption, /3000 samples, seed 7, temperature 0\.5 \(step 300\)/);

  const a = csvPoints(warm.path);
  const b = csvPoints(cool.path);
  assert.equal(a.length, 3000);
  assert.equal(a[0].length, 2);
  // Same noise, half the temperature: every point lies halfway between the mean and its T = 1 twin.
  const mean = [0, 1].map((d) => a.reduce((s, p) => s + p[d], 0) / a.length);
  for (let i = 0; i < a.length; i += 97) {
    for (const d of [0, 1]) assert.ok(Math.abs(b[i][d] - (mean[d] + 0.5 * (a[i][d] - mean[d]))) < 0.05, `point ${i}`);
  }
  assert.deepEqual(
    listGenerated(runDir).map((g) => g.path),
    [warm.path, again.path, cool.path],
  );

  const latent = await run((h) => TrainerClient.generate(runDir, { type: 'interpolation', seed: 1, steps: 5, rows: 2 }, h, TRAINER));
  assert.notEqual(latent.code, 0);
  const error = latent.messages.find((m) => m.type === 'error');
  assert.ok(error?.type === 'error');
  assert.match(error.message, /Gaussian \(maximum likelihood\) models cannot draw interpolations/);
  assert.match(error.hint, /VAE and the GAN/);
});
