import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeConfig } from '../../src/protocol/config';
import { decode } from '../../src/protocol/decode';
import { hostMessage, trainerMessage } from '../../src/protocol/messages';

const config = completeConfig({ family: 'vae', steps: 10 });

test('defaults give the documented VAE: MNIST, batch 128, Adam 1e-3, z=20, one hidden layer of 400', () => {
  const c = completeConfig({ family: 'vae' });
  assert.equal(c.dataset, 'mnist');
  assert.equal(c.batchSize, 128);
  assert.equal(c.learningRate, 1e-3);
  assert.equal(c.epochs, 10);
  assert.equal(c.steps, undefined);
  assert.deepEqual(c.model, { latentDim: 20, hiddenSizes: [400] });
});

test('valid host messages decode to themselves', () => {
  for (const m of [{ type: 'start', config }, { type: 'stop' }, { type: 'sampleNow' }]) {
    const r = decode(hostMessage, m);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.deepEqual(r.value, m);
  }
});

test('invalid host messages are rejected with the path of the problem', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{ type: 'launch' }, /message\.type: expected one of start, stop, sampleNow, generate, describe, got "launch"/],
    [{ type: 'start' }, /message\.config: is required/],
    [{ type: 'start', config: { ...config, batchSize: -5 } }, /message\.config\.batchSize: must be at least 1, got -5/],
    [{ type: 'start', config: { ...config, batchSize: 1.5 } }, /batchSize: expected a whole number/],
    [{ type: 'start', config: { ...config, dataset: 'cifar' } }, /config\.dataset: expected one of "mnist", "fashion-mnist"/],
    [{ type: 'start', config: { ...config, model: { latentDim: 0, hiddenSizes: [400] } } }, /config\.model\.latentDim: must be at least 1/],
    [{ type: 'start', config: { ...config, learningRate: 0 } }, /learningRate: must be greater than 0/],
    [{ type: 'start', config: { ...config, epochs: 3 } }, /give exactly one of epochs or steps/],
    [{ type: 'start', config: { ...config, lr: 0.1 } }, /config\.lr: is not a known field/],
    [{ type: 'stop', force: true }, /message\.force: is not a known field/],
  ];
  for (const [input, pattern] of cases) {
    const r = decode(hostMessage, input, 'message');
    assert.equal(r.ok, false, `accepted ${JSON.stringify(input)}`);
    assert.match(r.ok ? '' : r.error, pattern);
  }
});

test('trainer messages: valid ones pass, NaN and missing fields do not', () => {
  const metrics = { type: 'metrics', step: 3, epoch: 0.01, values: { negElbo: 150.2 }, elapsedMs: 40, sentAt: 1 };
  assert.ok(decode(trainerMessage, metrics).ok);
  assert.match(
    (decode(trainerMessage, { ...metrics, values: { negElbo: NaN } }) as { error: string }).error,
    /values\.negElbo: expected a finite number, got NaN/,
  );
  assert.match((decode(trainerMessage, { type: 'error', message: 'x' }) as { error: string }).error, /hint: is required/);
  assert.ok(decode(trainerMessage, { type: 'status', state: 'training' }).ok);
  assert.equal(decode(trainerMessage, { type: 'status', state: 'sleeping' }).ok, false);
});
