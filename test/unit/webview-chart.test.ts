/** The dashboard's pure logic: EMA smoothing, the extrema pyramid and decimation, the metric store, formatting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyZoom, MIN_SPAN, type StepRange } from '../../webview/dashboard/chartKeys';
import { Column, decimate, GrowableF64, lowerBound, MetricStore, upperBound } from '../../webview/dashboard/series';
import { clampSmoothing, emaNext, emaSeries, emaStart } from '../../webview/dashboard/smoothing';
import { sparkPath } from '../../webview/dashboard/sparkline';
import {
  etaSeconds,
  formatAge,
  formatCompact,
  formatCount,
  formatDuration,
  formatEta,
  formatRate,
  formatValue,
} from '../../src/protocol/format';

/** A deterministic pseudo-random sequence (no Math.random in tests). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function columnOf(values: number[]): { xs: GrowableF64; col: Column } {
  const xs = new GrowableF64(4);
  const col = new Column();
  values.forEach((v, i) => {
    xs.push(i * 10);
    col.push(v);
  });
  return { xs, col };
}

test('EMA with weight 0 is the identity; the first smoothed value is the first value (debiased)', () => {
  const values = [5, 3, 8, 1, 9];
  assert.deepEqual([...emaSeries(values, 0).smoothed], values);
  const { smoothed } = emaSeries(values, 0.9);
  assert.ok(Math.abs(smoothed[0] - 5) < 1e-12);
  // A constant series stays constant at any weight (no pull towards the zero start).
  for (const v of emaSeries([7, 7, 7, 7, 7, 7], 0.99).smoothed) assert.ok(Math.abs(v - 7) < 1e-9);
});

test('EMA matches the TensorBoard recurrence and lets non-finite values through without disturbing it', () => {
  const w = 0.6;
  const values = [10, 20, NaN, 30, 40];
  const { smoothed } = emaSeries(values, w);
  let last = 0;
  let n = 0;
  const expected = values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - w ** n);
  });
  assert.ok(Number.isNaN(smoothed[2]));
  for (const i of [0, 1, 3, 4]) assert.ok(Math.abs(smoothed[i] - expected[i]) < 1e-9, `index ${i}`);
  // The incremental form gives the same as the batch form.
  const state = emaStart();
  values.forEach((v, i) => {
    const s = emaNext(state, v, w);
    assert.ok(Object.is(s, smoothed[i]) || Math.abs(s - smoothed[i]) < 1e-12);
  });
});

test('smoothing weights are clamped to 0..0.99', () => {
  assert.equal(clampSmoothing(-1), 0);
  assert.equal(clampSmoothing(1), 0.99);
  assert.equal(clampSmoothing(0.5), 0.5);
  assert.equal(clampSmoothing(NaN), 0.6);
});

test('the extrema pyramid agrees with a brute-force scan at every level, gaps included', () => {
  const rnd = lcg(7);
  const values = Array.from({ length: 1000 }, (_, i) => (i % 97 === 0 ? NaN : rnd() * 100 - 50));
  const { col } = columnOf(values);
  for (let k = 1; k <= col.extrema.depth; k++) {
    const size = 1 << k;
    assert.equal(col.extrema.blocks(k), Math.floor(values.length / size));
    for (let j = 0; j < col.extrema.blocks(k); j++) {
      const block = values.slice(j * size, (j + 1) * size).filter((v) => !Number.isNaN(v));
      const lo = col.extrema.extreme(k, j, false);
      const hi = col.extrema.extreme(k, j, true);
      assert.equal(values[lo], Math.min(...block));
      assert.equal(values[hi], Math.max(...block));
    }
  }
  // Rebuilding from scratch gives the same pyramid as appending one by one.
  const before = [col.extrema.extreme(5, 3, false), col.extrema.extreme(5, 3, true)];
  col.extrema.rebuild();
  assert.deepEqual([col.extrema.extreme(5, 3, false), col.extrema.extreme(5, 3, true)], before);
});

test('a block of gaps has no extrema', () => {
  const { col } = columnOf([NaN, NaN, NaN, NaN, 1, 2]);
  assert.equal(col.extrema.extreme(2, 0, false), -1);
  assert.equal(col.extrema.extreme(1, 2, true), 5);
});

test('decimation returns every point when they fit, and a bounded, faithful outline when not', () => {
  const rnd = lcg(3);
  const values = Array.from({ length: 50_000 }, (_, i) => 100 * Math.exp(-i / 10_000) + rnd() * 5);
  values[12_345] = 500; // a spike must survive
  values[40_001] = -20; // and a dip
  const { xs, col } = columnOf(values);

  const small = decimate(xs, [col], 100, 200, 600);
  assert.equal(small.level, 0);
  assert.equal(small.x.length, 100);
  assert.equal(small.ys[0][0], values[100]);

  const d = decimate(xs, [col], 0, values.length, 600);
  assert.ok(d.level > 0);
  assert.ok(d.x.length <= 4 * 600, `${d.x.length} points for 600 columns`);
  assert.equal(d.x.length, d.ys[0].length);
  for (let i = 1; i < d.x.length; i++) assert.ok(d.x[i] >= d.x[i - 1], 'x never goes back');
  assert.equal(d.x[0], 0);
  assert.equal(d.x.at(-1), (values.length - 1) * 10);
  const ys = d.ys[0].filter((v): v is number => v !== null);
  assert.equal(Math.max(...ys), 500);
  assert.equal(Math.min(...ys), -20);
  // Each block keeps its extremes in the order they happened.
  const k = d.level;
  const j = 12_345 >> k;
  const block = values.slice(j << k, (j + 1) << k);
  const pair = [d.ys[0][2 * j], d.ys[0][2 * j + 1]];
  assert.deepEqual([...pair].sort((a, b) => a! - b!), [Math.min(...block), Math.max(...block)]);
  assert.equal(pair[block.indexOf(500) < block.indexOf(Math.min(...block)) ? 0 : 1], 500);
});

test('decimation output stays bounded by the width however long the history', () => {
  const xs = new GrowableF64();
  const col = new Column();
  for (let i = 0; i < 300_000; i++) {
    xs.push(i);
    col.push(Math.sin(i / 1000));
  }
  for (const n of [10_000, 100_000, 300_000]) {
    const d = decimate(xs, [col], 0, n, 500);
    assert.ok(d.x.length <= 4 * 500 + 2, `${n} points → ${d.x.length}`);
  }
  // A zoomed range of an unfinished newest block is scanned and still bounded.
  col.push(3);
  xs.push(300_000);
  const tail = decimate(xs, [col], 200_000, 300_001, 500);
  assert.equal(tail.ys[0].at(-1) === 3 || tail.ys[0].at(-2) === 3, true);
});

test('log scale turns values ≤ 0 into gaps', () => {
  const { xs, col } = columnOf([3, 0, -1, 4]);
  assert.deepEqual(decimate(xs, [col], 0, 4, 100, true).ys[0], [3, null, null, 4]);
});

test('binary searches over steps', () => {
  const a = new Float64Array([0, 10, 10, 20, 30]);
  assert.equal(lowerBound(a, 10), 1);
  assert.equal(upperBound(a, 10), 3);
  assert.equal(lowerBound(a, 31), 5);
  assert.equal(upperBound(a, -1), 0);
});

test('the metric store appends in step order, backfills new series and re-smooths on demand', () => {
  const store = new MetricStore(0.5);
  store.load({ steps: [1, 2, 3], series: { loss: [4, null, 2] } });
  assert.equal(store.length, 3);
  assert.ok(Number.isNaN(store.rawColumn('loss').values.get(1)));
  assert.equal(store.append(3, { loss: 1 }), 'ignored');
  assert.equal(store.append(2, { loss: 1 }), 'ignored');
  assert.equal(store.append(4, { loss: 1, kl: 0.5 }), 'new-keys');
  assert.deepEqual(store.keys, ['loss', 'kl']);
  assert.ok(Number.isNaN(store.rawColumn('kl').values.get(0)));
  assert.equal(store.latest('kl', false), 0.5);
  assert.equal(store.append(5, { loss: 3 }), 'appended');
  assert.ok(Number.isNaN(store.latest('kl', false)), 'a missing value is a gap');

  store.setSmoothing(0.9);
  const expected = emaSeries(store.rawColumn('loss').values.view(), 0.9).smoothed;
  assert.deepEqual([...store.smoothColumn('loss').values.view()], [...expected]);
  // Appending continues the same average.
  store.append(6, { loss: 10, kl: 1 });
  const again = emaSeries(store.rawColumn('loss').values.view(), 0.9).smoothed;
  assert.ok(Math.abs(store.latest('loss', true) - again[again.length - 1]) < 1e-12);
});

test('the compact history for saved state is small and keeps the shape', () => {
  const store = new MetricStore(0.6);
  const rnd = lcg(11);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 50_000; i++) {
    const v = 200 * Math.exp(-i / 8000) + rnd();
    min = Math.min(min, v);
    max = Math.max(max, v);
    store.append(i * 2, { negElbo: v, kl: i % 5000 === 0 ? NaN : 20 });
  }
  const c = store.compact(1200);
  assert.ok(c.steps.length <= 1300 && c.steps.length > 500, `${c.steps.length} points`);
  assert.equal(c.steps[0], 0);
  assert.equal(c.steps.at(-1), 99_998);
  assert.ok(c.series.negElbo.includes(max));
  assert.ok(c.series.negElbo.includes(min));
  for (let i = 1; i < c.steps.length; i++) assert.ok(c.steps[i] > c.steps[i - 1]);
  assert.ok(c.series.kl.every((v) => v === null || v === 20));
  const copy = new MetricStore(0.6);
  copy.load(c);
  assert.equal(copy.length, c.steps.length);
});

test('formatting: counts, compact ticks, values, durations, ETA, rate, age', () => {
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCompact(950), '950');
  assert.equal(formatCompact(1500), '1.5k');
  assert.equal(formatCompact(20000), '20k');
  assert.equal(formatCompact(2_500_000), '2.5M');
  assert.equal(formatValue(543.21), '543.2');
  assert.equal(formatValue(54.321), '54.32');
  assert.equal(formatValue(5.4321), '5.432');
  assert.equal(formatValue(0.012345), '0.01235');
  assert.equal(formatValue(12345.6), '12,346');
  assert.equal(formatValue(null), '—');
  assert.equal(formatValue(NaN), '—');
  assert.equal(formatDuration(45), '45s');
  assert.equal(formatDuration(185), '3m 05s');
  assert.equal(formatDuration(3720), '1h 02m');
  assert.equal(formatDuration(2 * 86400 + 3 * 3600), '2d 3h');
  assert.equal(etaSeconds(100, 1100, 10), 100);
  assert.equal(etaSeconds(100, 1100, 0), undefined);
  assert.equal(etaSeconds(1100, 1100, 10), undefined);
  assert.equal(formatEta(0, 9380, 50), 'ETA 3m 08s');
  assert.equal(formatEta(0, 9380, 0), '');
  assert.equal(formatRate(123.4), '123 steps/s');
  assert.equal(formatRate(45.25), '45.3 steps/s');
  assert.equal(formatRate(0.25), '0.25 steps/s');
  const now = Date.parse('2025-01-10T12:00:00Z');
  assert.equal(formatAge('2025-01-10T11:59:30Z', now), 'just now');
  assert.equal(formatAge('2025-01-10T11:55:00Z', now), '5 min ago');
  assert.equal(formatAge('2025-01-10T09:00:00Z', now), '3 h ago');
  assert.equal(formatAge('2024-12-01T09:00:00Z', now), '2024-12-01');
  assert.equal(formatAge('not a date', now), '');
});

test('the chart zooms, moves and resets from the keyboard, never beyond the run', () => {
  const whole = { min: 1, max: 1001 };
  const press = (keys: string[], from: StepRange = whole): StepRange | 'reset' | undefined =>
    keys.reduce<StepRange | 'reset' | undefined>((view, key) => keyZoom(key, view === undefined || view === 'reset' ? whole : view, whole), from);
  // + halves the range around its middle; = is + without Shift.
  assert.deepEqual(keyZoom('+', whole, whole), { min: 251, max: 751 });
  assert.deepEqual(keyZoom('=', whole, whole), { min: 251, max: 751 });
  // - doubles it, and a range as wide as the run is the whole run again.
  assert.deepEqual(keyZoom('-', { min: 400, max: 500 }, whole), { min: 350, max: 550 });
  assert.equal(keyZoom('-', { min: 251, max: 751 }, whole), 'reset');
  // Zooming out near an end stays inside the run, with the doubled width.
  assert.deepEqual(keyZoom('-', { min: 1, max: 101 }, whole), { min: 1, max: 201 });
  // Arrows move by a quarter of the view and stop at the ends without shrinking it.
  assert.deepEqual(keyZoom('ArrowRight', { min: 251, max: 751 }, whole), { min: 376, max: 876 });
  assert.deepEqual(keyZoom('ArrowRight', { min: 800, max: 1000 }, whole), { min: 801, max: 1001 });
  assert.deepEqual(keyZoom('ArrowLeft', { min: 20, max: 220 }, whole), { min: 1, max: 201 });
  assert.deepEqual(keyZoom('Home', { min: 500, max: 600 }, whole), { min: 1, max: 101 });
  assert.deepEqual(keyZoom('End', { min: 500, max: 600 }, whole), { min: 901, max: 1001 });
  // Zooming in stops at a few steps across, however often + is pressed.
  const deep = press(Array.from({ length: 20 }, () => '+'));
  assert.ok(deep !== undefined && deep !== 'reset');
  assert.ok(Math.abs(deep.max - deep.min - MIN_SPAN) < 1e-9, `${deep.max - deep.min} steps across`);
  assert.ok(deep.min >= whole.min && deep.max <= whole.max);
  // A run shorter than that minimum is shown whole.
  assert.deepEqual(keyZoom('+', { min: 1, max: 3 }, { min: 1, max: 3 }), { min: 1, max: 3 });
  // 0 and Escape reset; other keys are not the chart's (typing elsewhere is left alone).
  assert.equal(keyZoom('0', { min: 400, max: 500 }, whole), 'reset');
  assert.equal(keyZoom('Escape', { min: 400, max: 500 }, whole), 'reset');
  for (const key of ['a', 'Enter', ' ', 'ArrowUp', 'Tab']) assert.equal(keyZoom(key, whole, whole), undefined, key);
});

test("the Model tab's sparklines: scaled to the series' range, broken at gaps, log-scaled without the values it cannot take", () => {
  assert.equal(sparkPath([1, 3, 2], {}, 100, 12), 'M0.0 11.0L50.0 1.0L100.0 6.0');
  assert.equal(sparkPath([1, null, 2], {}, 100, 12), 'M0.0 11.0M100.0 1.0', 'a null lifts the pen');
  assert.equal(sparkPath([1e-4, 0, 1e-2], { log: true }, 100, 12), 'M0.0 11.0M100.0 1.0', '0 has no logarithm: a gap');
  assert.equal(sparkPath([5, 5], {}, 100, 12), 'M0.0 6.0L100.0 6.0', 'a flat series sits in the middle');
  assert.equal(sparkPath([null, null]), '');
});
