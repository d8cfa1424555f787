/** The density view's pure functions: colour maps, grid → pixels, ranges, histograms, ticks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binPoints,
  cellCentre,
  colourAt,
  curve1d,
  DIVERGING,
  histogramDensity,
  logDensityRange,
  luminance,
  niceTicks,
  plotAspect,
  rasterize,
  toPixelX,
  toPixelY,
  unit,
  valueAt,
  valueColour,
  VIRIDIS,
} from '../../webview/dashboard/densityPaint';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

test('viridis runs from dark purple to yellow, with luminance rising all the way', () => {
  assert.deepEqual(colourAt(VIRIDIS, 0), [0x44, 0x01, 0x54]);
  assert.deepEqual(colourAt(VIRIDIS, 1), [0xfd, 0xe7, 0x25]);
  let last = -1;
  for (let i = 0; i <= 200; i++) {
    const l = luminance(colourAt(VIRIDIS, i / 200));
    assert.ok(l > last, `luminance falls at t = ${i / 200}`);
    last = l;
  }
  assert.ok(luminance(colourAt(VIRIDIS, 1)) - luminance(colourAt(VIRIDIS, 0)) > 0.7);
});

test('the diverging map is light in the middle and dark at both ends, with different hues', () => {
  const mid = luminance(colourAt(DIVERGING, 0.5));
  assert.ok(mid > 0.85);
  assert.ok(luminance(colourAt(DIVERGING, 0)) < 0.05 && luminance(colourAt(DIVERGING, 1)) < 0.1);
  // Luminance rises to the middle and falls after it.
  for (let i = 0; i < 50; i++) {
    assert.ok(luminance(colourAt(DIVERGING, i / 100)) < luminance(colourAt(DIVERGING, (i + 1) / 100)));
    assert.ok(luminance(colourAt(DIVERGING, 1 - i / 100)) < luminance(colourAt(DIVERGING, 1 - (i + 1) / 100)));
  }
  const [r0, g0] = colourAt(DIVERGING, 0);
  const [r1, g1] = colourAt(DIVERGING, 1);
  assert.ok(r0 > g0 && g1 > r1, 'purple at 0, green at 1');
});

test('colourAt clamps t and interpolates between stops', () => {
  assert.deepEqual(colourAt(VIRIDIS, -3), colourAt(VIRIDIS, 0));
  assert.deepEqual(colourAt(VIRIDIS, 7), colourAt(VIRIDIS, 1));
  assert.deepEqual(colourAt(VIRIDIS, NaN), colourAt(VIRIDIS, 0));
  // Halfway between the first two stops (#440154, #482475).
  assert.deepEqual(colourAt(VIRIDIS, 0.05), [0x46, Math.round((0x01 + 0x24) / 2), Math.round((0x54 + 0x75) / 2)]);
});

test('values map onto [lo, hi] and are clipped outside it', () => {
  assert.equal(unit(-5, -10, 0), 0.5);
  assert.equal(unit(-50, -10, 0), 0);
  assert.equal(unit(3, -10, 0), 1);
  assert.equal(unit(-Infinity, -10, 0), 0);
  assert.equal(unit(Infinity, -10, 0), 1);
  assert.equal(unit(NaN, -10, 0), 0);
  assert.deepEqual(valueColour(VIRIDIS, -1e4, -12, 0), colourAt(VIRIDIS, 0));
  assert.deepEqual(valueColour(VIRIDIS, 5, -12, 0), colourAt(VIRIDIS, 1));
  assert.deepEqual(valueColour(VIRIDIS, -6, -12, 0), colourAt(VIRIDIS, 0.5));
});

test('a log-density range spans 12 nats below the peak, or less when the values do', () => {
  const wide = logDensityRange([-1e4, -40, -20, -3, -1.5, -2]);
  assert.equal(wide.hi, -1.5);
  assert.equal(wide.lo, -13.5);
  assert.equal(wide.clippedLow, true);
  const narrow = logDensityRange([-4, -2.5, -1]);
  assert.deepEqual(narrow, { lo: -4, hi: -1, clippedLow: false });
  // Only -∞ stand-ins (or nothing): a harmless default; a constant field still gets a range.
  assert.deepEqual(logDensityRange([-1e4, -1e4]), { lo: -1, hi: 0, clippedLow: false });
  const flat = logDensityRange([2, 2, 2]);
  assert.ok(flat.hi > flat.lo);
  assert.equal(logDensityRange([0, -30], 5).lo, -5);
});

test('rasterize puts grid row 0 (yMax) at the top and column 0 (xMin) at the left', () => {
  // 2x2 grid: top-left 0, top-right 1, bottom-left 2, bottom-right 3 (values on [0, 3]).
  const px = rasterize([0, 1, 2, 3], 2, 2, 2, 2, VIRIDIS, 0, 3);
  const at = (x: number, y: number) => Array.from(px.slice((y * 2 + x) * 4, (y * 2 + x) * 4 + 4));
  assert.deepEqual(at(0, 0), [...colourAt(VIRIDIS, 0), 255]);
  assert.deepEqual(at(1, 0), [...colourAt(VIRIDIS, Math.round((1 / 3) * 255) / 255), 255]);
  assert.deepEqual(at(0, 1), [...colourAt(VIRIDIS, Math.round((2 / 3) * 255) / 255), 255]);
  assert.deepEqual(at(1, 1), [...colourAt(VIRIDIS, 1), 255]);
  // The cell at row 0 is centred near yMax, the cell at column 0 near xMin.
  const [x, y] = cellCentre([-3, 3, -2, 2], 64, 64, 0, 0);
  close(x, -3 + 6 / 128);
  close(y, 2 - 4 / 128);
  const [, yBottom] = cellCentre([-3, 3, -2, 2], 64, 64, 0, 63);
  close(yBottom, -2 + 4 / 128);
});

test('rasterize interpolates values (not colours) between cell centres and clips them', () => {
  // One row, values 0 and 10 on a 0..10 scale, drawn 4 pixels wide: the edges keep the cell
  // values, the inner pixels interpolate.
  const px = rasterize([0, 10], 2, 1, 4, 1, VIRIDIS, 0, 10);
  const t = (i: number) => Array.from(px.slice(i * 4, i * 4 + 3));
  assert.deepEqual(t(0), [...colourAt(VIRIDIS, 0)]);
  assert.deepEqual(t(3), [...colourAt(VIRIDIS, 1)]);
  assert.deepEqual(t(1), [...colourAt(VIRIDIS, Math.round(0.25 * 255) / 255)]);
  assert.deepEqual(t(2), [...colourAt(VIRIDIS, Math.round(0.75 * 255) / 255)]);
  // -1e4 (the −∞ stand-in) and -Infinity clip to the low end; alpha is opaque.
  const low = rasterize([-1e4, -Infinity, NaN, -12], 2, 2, 2, 2, VIRIDIS, -12, 0);
  for (let i = 0; i < 4; i++) assert.deepEqual(Array.from(low.slice(i * 4, i * 4 + 4)), [...colourAt(VIRIDIS, 0), 255]);
  // A grid too short for its size draws nothing rather than garbage.
  assert.ok(rasterize([1, 2, 3], 2, 2, 3, 3, VIRIDIS, 0, 1).every((v) => v === 0));
});

test('valueAt reads the field like rasterize draws it: row 0 at yMax', () => {
  const extent = [0, 2, 0, 2];
  // 2x2: top row (y near 2) is 10, 20; bottom row (y near 0) is 30, 40.
  const values = [10, 20, 30, 40];
  close(valueAt(values, 2, 2, extent, 0.5, 1.5)!, 10);
  close(valueAt(values, 2, 2, extent, 1.5, 1.5)!, 20);
  close(valueAt(values, 2, 2, extent, 0.5, 0.5)!, 30);
  close(valueAt(values, 2, 2, extent, 1, 1)!, 25);
  // Beyond the cell centres the edge value holds; outside the extent there is none.
  close(valueAt(values, 2, 2, extent, 0, 2)!, 10);
  assert.equal(valueAt(values, 2, 2, extent, 2.1, 1), undefined);
  // 1-D: points from xMin to xMax inclusive.
  close(valueAt([0, 1, 4], 3, 1, [-1, 1, 0, 0], 0.5, 0)!, 2.5);
  close(valueAt([0, 1, 4], 3, 1, [-1, 1, 0, 0], 1, 0)!, 4);
});

test('toPixel maps data up to screen down', () => {
  const f = { left: 10, top: 20, width: 100, height: 50, x0: -1, x1: 1, y0: 0, y1: 5 };
  assert.equal(toPixelX(f, -1), 10);
  assert.equal(toPixelX(f, 1), 110);
  assert.equal(toPixelY(f, 5), 20);
  assert.equal(toPixelY(f, 0), 70);
});

test('a histogram normalised to a density integrates to 1, whatever the bin widths', () => {
  const edges = [-2, -1, 0, 0.5, 2];
  const counts = [3, 10, 4, 7];
  const d = histogramDensity(edges, counts);
  let integral = 0;
  for (let i = 0; i < d.length; i++) integral += d[i] * (edges[i + 1] - edges[i]);
  close(integral, 1, 1e-12);
  close(d[2], 4 / (24 * 0.5));
  assert.deepEqual(histogramDensity([0, 1, 2], [0, 0]), [0, 0]);
});

test('binPoints counts points into bins, the last edge included', () => {
  assert.deepEqual(binPoints([-3, -1, -0.5, 0, 0.2, 1, 2, 5], [-1, 0, 1, 2]), [2, 2, 2]);
  assert.deepEqual(binPoints([], [0, 1]), [0]);
});

test('the 1-D curve spans the extent inclusively and exponentiates log-densities', () => {
  const { xs, ys } = curve1d([Math.log(0.5), 0, -1e4], [-2, 2, 0, 0], true);
  assert.deepEqual(xs, [-2, 0, 2]);
  close(ys[0], 0.5);
  close(ys[1], 1);
  assert.equal(ys[2], 0);
  assert.deepEqual(curve1d([0.2, 0.9], [0, 1, 0, 0], false).ys, [0.2, 0.9]);
});

test('niceTicks gives round steps inside the range', () => {
  assert.deepEqual(niceTicks(-3, 3, 6), { ticks: [-3, -2, -1, 0, 1, 2, 3], step: 1 });
  assert.deepEqual(niceTicks(0, 1, 4).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const nats = niceTicks(-13.5, -1.5, 5);
  assert.equal(nats.step, 2);
  assert.deepEqual(nats.ticks, [-12, -10, -8, -6, -4, -2]);
  assert.ok(niceTicks(0, 0.33, 4).ticks.every((t) => String(t).length <= 4), 'no float noise');
  assert.deepEqual(niceTicks(2, 2).ticks, [2]);
  assert.deepEqual(niceTicks(NaN, 1).ticks, []);
});

test('plots keep the extent’s aspect: square for a square extent, within limits otherwise', () => {
  assert.equal(plotAspect([-3, 3, -3, 3]), 1);
  assert.equal(plotAspect([-2, 2, -1, 1]), 0.5);
  assert.equal(plotAspect([0, 1, 0, 10]), 2);
  assert.equal(plotAspect([0, 0, 0, 1]), 1);
});
