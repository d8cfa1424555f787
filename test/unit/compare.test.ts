import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAMILY_SPECS } from '../../src/protocol/families';
import { DENSITY_KIND_LABELS } from '../../src/protocol/families/spec';
import { alignSeries, architectureRows, differingCells, finalEval, groupByDataset, metricRows, scoreText, settingsRows } from '../../webview/compare/model';
import { summaryAfterKind } from '../../webview/shared/runState';

test('each kind of density states its score in its own terms', () => {
  assert.deepEqual(scoreText({ kind: 'explicit-tractable' }, { testNll: 2.8241 }), { score: 'test NLL 2.824 nats', note: 'exact' });
  assert.deepEqual(scoreText({ kind: 'explicit-tractable' }, { testNll: 81.234, testBitsPerDim: 0.1497 }), { score: 'test NLL 81.234 nats', note: 'exact; 0.150 bits/dim' });
  assert.deepEqual(scoreText({ kind: 'explicit-approximate' }, { testNegElbo: 3.28, testNllIwae: 3.11 }), { score: 'test -ELBO 3.280 nats', note: 'an upper bound on the NLL; importance-weighted 3.110' });
  assert.deepEqual(scoreText({ kind: 'implicit' }, { js: 0.071, kl: 0.3 }), { score: 'NLL not available: implicit model', note: 'histogram JS 0.071 nats' });
  assert.deepEqual(scoreText({ kind: 'implicit' }, {}), { score: 'NLL not available: implicit model' }, 'an image GAN has no histogram');
  assert.deepEqual(scoreText({ kind: 'diffusion' }, { js: 0.0123 }), { score: 'NLL not computed here', note: 'histogram JS 0.012 nats' });
  assert.deepEqual(scoreText({ kind: 'explicit-tractable' }, {}), { score: 'no evaluation yet' });
  assert.deepEqual(
    scoreText({ kind: 'explicit-tractable' }, { testNll: 1470.4, testBitsPerDim: 2.7056 }, FAMILY_SPECS.realnvp.imageLikelihood),
    { score: 'test NLL 1470.4 nats', note: 'exact; 2.706 bits/dim; of dequantised 8-bit pixels' },
    "a flow's 8-bit figure says so, beside PixelCNN's binarised one",
  );
  assert.notEqual(FAMILY_SPECS.realnvp.imageLikelihood, FAMILY_SPECS.pixelcnn.imageLikelihood);
  assert.deepEqual(scoreText({ kind: 'explicit-approximate' }, { js: 0.2 }), { score: 'no evaluation yet' }, 'a VAE is not scored by its samples');
});

test("a script's run is scored by the metric it names, in the terms it declares", () => {
  const story = { kind: 'explicit-approximate', metric: 'val_nelbo' } as const;
  assert.deepEqual(scoreText({ ...story, scoreKind: 'bound' }, { val_nelbo: 101.234 }), { score: 'val_nelbo 101.2', note: 'an upper bound on the NLL' });
  assert.deepEqual(scoreText({ ...story, scoreKind: 'exact' }, { val_nelbo: 1.5 }), { score: 'val_nelbo 1.500', note: 'exact' });
  assert.deepEqual(scoreText({ kind: 'implicit', metric: 'fid', scoreKind: 'samples' }, { fid: 32.1 }, 'binarised pixels'), { score: 'fid 32.100', note: 'sample-based: not a likelihood; of binarised pixels' });
  assert.deepEqual(scoreText({ ...story, scoreKind: 'bound' }, {}), { score: 'no evaluation yet' });
  assert.deepEqual(scoreText({ kind: 'implicit', scoreKind: 'samples' }, { fid: 3 }), { score: 'no score named', note: 'the script names none in its evaluations' });
});

test('every family is scored by the metric it declares', () => {
  const values: Record<string, number> = { testNll: 1, testNegElbo: 1, js: 1 };
  for (const [family, spec] of Object.entries(FAMILY_SPECS)) {
    const { score, note } = scoreText(spec.density, values);
    const metric = spec.density.metric;
    // The NLL and the -ELBO are in the score itself; the histogram JS of samples-only models in its note.
    const said = metric === 'js' ? note : score;
    assert.match(said ?? '', metric === 'js' ? /histogram JS/ : metric === 'testNll' ? /^test NLL/ : /^test -ELBO/, family);
  }
});

test('runs are grouped by dataset in the order the datasets first appear, each group keeping the runs\' order', () => {
  const runs = [
    { id: 'a', dataset: 'moons' },
    { id: 'b', dataset: 'mnist' },
    { id: 'c', dataset: 'moons' },
    { id: 'd', dataset: '8gaussians' },
    { id: 'e', dataset: 'mnist' },
  ];
  assert.deepEqual(
    groupByDataset(runs).map((g) => [g.dataset, g.runs.map((r) => r.id)]),
    [
      ['moons', ['a', 'c']],
      ['mnist', ['b', 'e']],
      ['8gaussians', ['d']],
    ],
  );
  assert.equal(groupByDataset([{ dataset: 'moons' }, { dataset: 'moons' }]).length, 1, 'one dataset, one group: no warning');
});

test('the cells that differ are those apart from the value most runs share, or all when none is shared by more', () => {
  assert.deepEqual(differingCells(['8', '8', '8']), [false, false, false]);
  assert.deepEqual(differingCells(['8', '8', '16']), [false, false, true]);
  assert.deepEqual(differingCells(['16', '8', '8', '8']), [true, false, false, false]);
  assert.deepEqual(differingCells(['mixture', 'gaussian']), [true, true]);
  assert.deepEqual(differingCells(['a', 'a', 'b', 'b']), [true, true, true, true]);
  assert.deepEqual(differingCells(['a', 'b', 'c']), [true, true, true]);
  assert.deepEqual(differingCells(['x']), [false]);
});

test('the settings table flattens nested options, marks the differing cells and leaves out where runs are kept', () => {
  const rows = settingsRows([
    { config: { family: 'mixture', dataset: '8gaussians', seed: 0, runsDir: '/a', runName: 'mine', model: { components: 8 } } },
    { config: { family: 'gan', dataset: '8gaussians', seed: 0, runsDir: '/b', model: { hiddenSizes: [128, 128] } } },
    { config: { family: 'gan', dataset: '8gaussians', seed: 1, runsDir: '/c', model: { hiddenSizes: [128, 128] } } },
  ]);
  assert.deepEqual(rows, [
    { key: 'family', values: ['mixture', 'gan', 'gan'], differs: [true, false, false] },
    { key: 'dataset', values: ['8gaussians', '8gaussians', '8gaussians'], differs: [false, false, false] },
    { key: 'seed', values: ['0', '0', '1'], differs: [false, false, true] },
    { key: 'model.components', values: ['8', '—', '—'], differs: [true, false, false] },
    { key: 'model.hiddenSizes', values: ['—', '128, 128', '128, 128'], differs: [true, false, false] },
  ]);
});

test('a setting the family has no use for is not shown as its value', () => {
  // The mixture fits by EM on the whole set (no learning rate, no batches); the Gaussian by full-batch gradient ascent.
  const rows = settingsRows([
    { config: { family: 'mixture', learningRate: 0.001, batchSize: 128 }, without: FAMILY_SPECS.mixture.without },
    { config: { family: 'gaussian', learningRate: 0.05, batchSize: 128 }, without: FAMILY_SPECS.gaussian.without },
  ]);
  assert.deepEqual(
    rows.map((r) => [r.key, r.values, r.differs]),
    [
      ['family', ['mixture', 'gaussian'], [true, true]],
      ['learningRate', ['—', '0.05'], [true, true]],
    ],
    'batchSize applies to neither: no row',
  );
});

test('final metrics: each run\'s last value of every metric any run has, a dash where a run has none', () => {
  const finals = [finalEval([{ values: { testNll: 3.5 } }, { values: { testNll: 2.8241, gapToClosedForm: 0.5 } }]), finalEval([{ values: { testNll: 2.8241 } }])];
  assert.deepEqual(finals[0], { testNll: 2.8241, gapToClosedForm: 0.5 }, 'the newest value wins');
  assert.deepEqual(metricRows(finals), [
    { key: 'final test NLL', values: ['2.824', '2.824'], differs: [false, false] },
    { key: 'final gap to closed form', values: ['0.5', '—'], differs: [true, true] },
  ]);
});

test('the taxonomy line does not say the kind twice when the summary opens with it', () => {
  const lead = DENSITY_KIND_LABELS['explicit-approximate'];
  assert.equal(summaryAfterKind(lead, FAMILY_SPECS.vae.density.summary), 'the ELBO is a lower bound on log p(x), so the test -ELBO bounds the NLL from above.');
  const diffusion = FAMILY_SPECS.ddpm.density.summary;
  assert.equal(summaryAfterKind(DENSITY_KIND_LABELS.diffusion, diffusion), diffusion, 'a summary that opens otherwise is kept whole');
});

test('loss curves share one x axis: every run\'s steps, gaps where a run has none', () => {
  assert.deepEqual(alignSeries([{ steps: [1, 2, 3], values: [5, 4, 3] }, { steps: [2, 4], values: [9, null] }]), {
    steps: [1, 2, 3, 4],
    columns: [
      [5, 4, 3, null],
      [null, 9, null, null],
    ],
  });
  assert.deepEqual(alignSeries([{ steps: [1, 2, 3], values: [0.5, -0.2, 0] }], true).columns, [[0.5, null, null]], 'a log scale has no place for values ≤ 0');
});

test('architectures side by side: totals, networks and layers, the changed hidden size marked; a run without one shows dashes', () => {
  const arch = (hidden: number) => ({
    parameters: 2 * hidden + hidden + hidden + 1,
    networks: [{ name: 'net', parameters: 2 * hidden + hidden + hidden + 1, layers: [{ name: 'd0', className: 'Dense', outputShape: `[null,${hidden}]`, parameters: 3 * hidden }, { name: 'd1', className: 'Dense', outputShape: '[null,1]', parameters: hidden + 1 }] }],
  });
  const rows = architectureRows([arch(64), arch(128), undefined]);
  assert.deepEqual(rows.map((r) => r.key), ['parameters', 'net', 'net · d0', 'net · d1']);
  assert.deepEqual(rows[0].values, ['257', '513', '—']);
  assert.deepEqual(rows[2].values, ['Dense [null,64], 192', 'Dense [null,128], 384', '—']);
  assert.deepEqual(rows[2].differs, [true, true, true]);
  assert.deepEqual(architectureRows([undefined, undefined]), [], 'no section when no run has an architecture');
});
