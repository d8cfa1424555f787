import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramDivergence } from '../../src/trainer/families/histogramDivergence';
import { Rng } from '../../src/trainer/rng';

const plane = { dim: 2 as const, extent: [-2, 2, -2, 2] as [number, number, number, number] };

function gaussianCloud(n: number, cx: number, cy: number, rng: Rng): Float32Array {
  const out = rng.fillNormal(new Float32Array(2 * n));
  for (let i = 0; i < n; i++) {
    out[2 * i] = cx + 0.3 * out[2 * i];
    out[2 * i + 1] = cy + 0.3 * out[2 * i + 1];
  }
  return out;
}

test('two draws from the same distribution are close; disjoint sets reach ln 2', () => {
  const rng = new Rng(1);
  const same = histogramDivergence(gaussianCloud(20000, 0, 0, rng), gaussianCloud(20000, 0, 0, rng), plane);
  assert.ok(same.js < 0.01 && same.kl < 0.02, JSON.stringify(same));
  const apart = histogramDivergence(gaussianCloud(5000, -1.2, -1.2, rng), gaussianCloud(5000, 1.2, 1.2, rng), plane);
  assert.ok(Math.abs(apart.js - Math.LN2) < 0.01, JSON.stringify(apart));
  assert.ok(apart.kl > 5, 'KL of disjoint histograms is large (floored, not infinite)');
});

test('a generator that misses one of two modes scores about half of ln 2 in JS, and its KL counts the missed mass', () => {
  const rng = new Rng(2);
  const real = new Float32Array([...gaussianCloud(5000, -1, 0, rng), ...gaussianCloud(5000, 1, 0, rng)]);
  const oneMode = gaussianCloud(10000, 1, 0, rng);
  const { js, kl } = histogramDivergence(real, oneMode, plane);
  // Half the real mass has no generated counterpart: JS = (1/2)ln2·... between 0.2 and 0.35 nats.
  assert.ok(js > 0.2 && js < 0.35, `js ${js}`);
  assert.ok(kl > 3, `kl ${kl}`);
});

test('points outside the extent count, in a bin of their own', () => {
  const inside = new Float32Array(2000).fill(0);
  const outside = new Float32Array(2000).fill(9);
  assert.ok(Math.abs(histogramDivergence(inside, outside, plane).js - Math.LN2) < 1e-9);
});

test('1-D data bins along x only', () => {
  const line = { dim: 1 as const, extent: [-5, 5, 0, 1] as [number, number, number, number] };
  const a = Float32Array.from({ length: 1000 }, (_, i) => -4 + (i % 10) * 0.1);
  const b = Float32Array.from({ length: 1000 }, (_, i) => 3 + (i % 10) * 0.1);
  assert.ok(Math.abs(histogramDivergence(a, b, line).js - Math.LN2) < 1e-9);
  assert.equal(histogramDivergence(a, a, line).js, 0);
});
