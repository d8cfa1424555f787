import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignSeries, scoreText, settingsRows } from '../../webview/compare/model';

test('each kind of density states its score in its own terms', () => {
  assert.deepEqual(scoreText('explicit-tractable', { testNll: 2.8241 }), { score: 'test NLL 2.824 nats', note: 'exact' });
  assert.deepEqual(scoreText('explicit-approximate', { testNegElbo: 3.28, testNllIwae: 3.11 }), { score: 'test -ELBO 3.280 nats', note: 'an upper bound on the NLL; importance-weighted 3.110' });
  assert.deepEqual(scoreText('implicit', { js: 0.071, kl: 0.3 }), { score: 'NLL not available: implicit model', note: 'histogram JS 0.071 nats' });
  assert.deepEqual(scoreText('diffusion', {}), { score: 'NLL not computed here' });
  assert.deepEqual(scoreText('explicit-tractable', {}), { score: 'no evaluation yet' });
});

test('the settings table flattens nested options, marks what differs and leaves out where runs are kept', () => {
  const rows = settingsRows([
    { family: 'mixture', dataset: '8gaussians', seed: 0, runsDir: '/a', model: { components: 8 } },
    { family: 'gan', dataset: '8gaussians', seed: 0, runsDir: '/b', model: { hiddenSizes: [128, 128] } },
  ]);
  assert.deepEqual(rows, [
    { key: 'family', values: ['mixture', 'gan'], differs: true },
    { key: 'dataset', values: ['8gaussians', '8gaussians'], differs: false },
    { key: 'seed', values: ['0', '0'], differs: false },
    { key: 'model.components', values: ['8', '—'], differs: true },
    { key: 'model.hiddenSizes', values: ['—', '128, 128'], differs: true },
  ]);
});

test('loss curves share one x axis: every run\'s steps, gaps where a run has none', () => {
  assert.deepEqual(alignSeries([{ steps: [1, 2, 3], values: [5, 4, 3] }, { steps: [2, 4], values: [9, null] }]), {
    steps: [1, 2, 3, 4],
    columns: [
      [5, 4, 3, null],
      [null, 9, null, null],
    ],
  });
});
