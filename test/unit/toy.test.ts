import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadToyDataset, sampleToy, TOY_DATASETS, TOY_SPECS, TOY_TEST_COUNT, TOY_TEST_SEED, TOY_TRAIN_COUNT, type ToyName } from '../../src/trainer/data/toy';
import { Rng } from '../../src/trainer/rng';

// Each set is generated once: 60,000 points of each take a few milliseconds, but there is no need to repeat them.
const loaded = new Map<ToyName, ReturnType<typeof loadToyDataset>>();
function load(name: ToyName): ReturnType<typeof loadToyDataset> {
  let d = loaded.get(name);
  if (!d) loaded.set(name, (d = loadToyDataset(name)));
  return d;
}

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    s2 += values[i] * values[i];
  }
  const mean = s / values.length;
  return { mean, variance: s2 / values.length - mean * mean };
}

/** Relative difference |a - b| / |b|. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

test('every toy set has a spec', () => {
  assert.deepEqual(Object.keys(TOY_SPECS).sort(), [...TOY_DATASETS].sort());
});

for (const name of TOY_DATASETS) {
  describe(`${name} toy set`, () => {
    const spec = TOY_SPECS[name];

    test('has train and test splits of finite points of its dimension', () => {
      const d = load(name);
      assert.equal(d.name, name);
      assert.equal(d.dim, spec.dim);
      assert.deepEqual(d.extent, spec.extent);
      assert.equal(d.description, spec.description);
      assert.ok(spec.description.length > 0 && !spec.description.includes('\n'));
      for (const [split, count] of [
        [d.train, TOY_TRAIN_COUNT],
        [d.test, TOY_TEST_COUNT],
      ] as const) {
        assert.equal(split.count, count);
        assert.equal(split.points.length, count * spec.dim);
        assert.ok(split.points.every(Number.isFinite));
      }
      assert.equal(sampleToy(name, 7, new Rng(1)).length, 7 * spec.dim);
    });

    test('is reproducible from the seed, and differs between seeds', () => {
      assert.deepEqual(sampleToy(name, 500, new Rng(7)), sampleToy(name, 500, new Rng(7)));
      assert.notDeepEqual(sampleToy(name, 500, new Rng(7)), sampleToy(name, 500, new Rng(8)));
    });

    test('draws the test split from a fixed seed, apart from the training draw', () => {
      const a = loadToyDataset(name, 11);
      const b = loadToyDataset(name, 12);
      assert.deepEqual(a.test.points, load(name).test.points);
      assert.deepEqual(a.test.points, b.test.points);
      assert.notDeepEqual(a.train.points, b.train.points);
      // Even a run seeded with the test seed trains on other points than it is tested on.
      const same = loadToyDataset(name, TOY_TEST_SEED);
      assert.notDeepEqual(same.train.points.subarray(0, 100), same.test.points.subarray(0, 100));
    });

    test('keeps at least 99.5% of its points within its extent', () => {
      const [x0, x1, y0, y1] = spec.extent;
      const { count, points } = load(name).train;
      let inside = 0;
      for (let i = 0; i < count; i++) {
        const x = points[i * spec.dim];
        const y = spec.dim === 2 ? points[i * 2 + 1] : (y0 + y1) / 2;
        if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inside++;
      }
      assert.ok(inside / count >= 0.995, `${inside} of ${count} inside`);
    });
  });
}

test('8gaussians: eight equal clusters on the circle of radius 2√2, per-axis variance 1/8', () => {
  const { count, points } = load('8gaussians').train;
  const centres = Array.from({ length: 8 }, (_, k) => [2 * Math.SQRT2 * Math.cos((k * Math.PI) / 4), 2 * Math.SQRT2 * Math.sin((k * Math.PI) / 4)]);
  const members = centres.map(() => 0);
  const dx: number[] = [];
  const dy: number[] = [];
  for (let i = 0; i < count; i++) {
    const [x, y] = [points[2 * i], points[2 * i + 1]];
    let best = 0;
    for (let k = 1; k < 8; k++) if (Math.hypot(x - centres[k][0], y - centres[k][1]) < Math.hypot(x - centres[best][0], y - centres[best][1])) best = k;
    members[best]++;
    dx.push(x - centres[best][0]);
    dy.push(y - centres[best][1]);
  }
  // About 6250 each, binomial std 74: 5% is over 4 standard deviations.
  for (const m of members) assert.ok(rel(m, count / 8) < 0.05, `cluster sizes ${members}`);
  for (const offsets of [dx, dy]) {
    const { mean, variance } = moments(offsets);
    assert.ok(Math.abs(mean) < 0.01, `mean offset ${mean}`);
    assert.ok(rel(variance, 1 / 8) < 0.1, `per-axis variance ${variance}`);
  }
});

test('checkerboard: uniform over the 8 black 2x2 squares of [-4, 4]²', () => {
  const { count, points } = load('checkerboard').train;
  // Half-unit cells, 16 per axis: 128 of them black, about 390 points each (std 20).
  const cells = new Array<number>(256).fill(0);
  for (let i = 0; i < count; i++) {
    const [x, y] = [points[2 * i], points[2 * i + 1]];
    assert.ok(x >= -4 && x <= 4 && y >= -4 && y <= 4, `(${x}, ${y}) off the board`);
    // Float32 rounding may put a point on the edge of its square: then it counts in the square.
    const onBlack = [0, 1, 2, 3].some((c) => [0, 1, 2, 3].some((r) => (c + r) % 2 === 0 && x >= -4 + 2 * c && x <= -2 + 2 * c && y >= -4 + 2 * r && y <= -2 + 2 * r));
    assert.ok(onBlack, `(${x}, ${y}) on a white square`);
    const col = Math.min(15, Math.floor((x + 4) * 2));
    const row = Math.min(15, Math.floor((y + 4) * 2));
    cells[row * 16 + col]++;
  }
  const black = cells.filter((_, i) => (Math.floor((i % 16) / 4) + Math.floor(i / 64)) % 2 === 0);
  assert.equal(black.length, 128);
  const expected = count / 128;
  for (const n of black) assert.ok(rel(n, expected) < 0.25, `a black cell holds ${n}, expected ${expected}`);
});

test('checkerboard: a histogram estimate of its entropy is ln 32', () => {
  const entropy = TOY_SPECS.checkerboard.entropy;
  assert.ok(entropy !== undefined && Math.abs(entropy - Math.log(32)) < 1e-12);
  const { count, points } = load('checkerboard').train;
  // 32x32 bins of area 1/16: -Σ p ln(p / area), whose plug-in bias (about 0.005 nats here) is well within the tolerance.
  const bins = new Array<number>(32 * 32).fill(0);
  for (let i = 0; i < count; i++) {
    const col = Math.min(31, Math.floor((points[2 * i] + 4) * 4));
    const row = Math.min(31, Math.floor((points[2 * i + 1] + 4) * 4));
    bins[row * 32 + col]++;
  }
  let estimate = 0;
  for (const n of bins) if (n > 0) estimate -= (n / count) * Math.log(n / count / (1 / 16));
  assert.ok(Math.abs(estimate - entropy) < 0.05, `histogram entropy ${estimate}, expected ${entropy}`);
});

test('rings and circles: equal weights on circles of the documented radii', () => {
  for (const [name, radii, std] of [
    ['rings', [0.75, 1.5, 2.25, 3], 0.08],
    ['circles', [1.5, 3], 0.24],
  ] as const) {
    const { count, points } = load(name).train;
    const members = radii.map(() => [] as number[]);
    for (let i = 0; i < count; i++) {
      const r = Math.hypot(points[2 * i], points[2 * i + 1]);
      let best = 0;
      for (let k = 1; k < radii.length; k++) if (Math.abs(r - radii[k]) < Math.abs(r - radii[best])) best = k;
      members[best].push(r);
    }
    members.forEach((rs, k) => {
      assert.ok(rel(rs.length, count / radii.length) < 0.05, `${name}: ${rs.length} points near radius ${radii[k]}`);
      // The radius of a noisy point is biased outwards by about std²/(2r): 0.02 at most here.
      assert.ok(Math.abs(moments(rs).mean - radii[k]) < 0.03, `${name}: mean radius ${moments(rs).mean}, expected ${radii[k]}`);
    });
    assert.ok(rel(Math.sqrt(moments(members[members.length - 1].map((r) => r - radii[radii.length - 1])).variance), std) < 0.1, `${name}: noise std`);
  }
});

test('bimodal: mean and variance of 0.3·N(-2, 0.5²) + 0.7·N(1.5, 0.8²)', () => {
  const { points } = load('bimodal').train;
  const w = [0.3, 0.7];
  const mu = [-2, 1.5];
  const sigma = [0.5, 0.8];
  const mean = w[0] * mu[0] + w[1] * mu[1];
  const variance = w[0] * (sigma[0] ** 2 + mu[0] ** 2) + w[1] * (sigma[1] ** 2 + mu[1] ** 2) - mean ** 2;
  assert.ok(Math.abs(mean - 0.45) < 1e-12 && Math.abs(variance - 3.0955) < 1e-12);
  const m = moments(points);
  // Standard errors: 0.008 for the mean, about 0.02 for the variance.
  assert.ok(Math.abs(m.mean - mean) < 0.04, `mean ${m.mean}, expected ${mean}`);
  assert.ok(rel(m.variance, variance) < 0.03, `variance ${m.variance}, expected ${variance}`);
  // The weights: the first component holds almost all the mass below -0.5.
  const below = points.filter((x) => x < -0.5).length / points.length;
  assert.ok(Math.abs(below - (0.3 * 0.99865 + 0.7 * 0.00621)) < 0.01, `${below} below -0.5`);
});
