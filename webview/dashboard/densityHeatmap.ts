/** The 2-D painter: a heatmap of the model's field with its colour bar, or a scatter of generated against real points. */
import type { DensityGrid } from '../../src/protocol/messages';
import { formatCount, formatTick } from '../../src/protocol/format';
import { clipToFrame, type Drawn, drawAxes, drawDots, drawGridLines, drawSideTitle, FIELD_TEXT, type Palette, plotFont, prepareCanvas, short } from './densityCanvas';
import { type ColourMap, DIVERGING, type Frame, logDensityRange, niceTicks, plotAspect, rasterize, toPixelY, type ValueRange, VIRIDIS } from './densityPaint';
import { l10n } from '../shared/l10n';

/** Longest side of the plot (CSS px). */
const MAX_PLOT = 420;
const BAR_WIDTH = 10;

/** Draws the grid on the canvas at most `available` CSS px wide; what the pointer readout needs, unless the canvas cannot draw. */
export function paintHeatmap(canvas: HTMLCanvasElement, grid: DensityGrid, available: number, p: Palette): Drawn | undefined {
  const [x0, x1, y0, y1] = grid.extent;
  const hasField = grid.field !== 'none' && grid.width > 0 && grid.height > 0 && grid.values.length >= grid.width * grid.height;
  const discriminator = grid.field === 'discriminator';
  const fontPx = Math.max(10, p.fontSize - 2);
  const measure = canvas.getContext('2d');
  if (!measure) return undefined;
  measure.font = plotFont(p);
  const textWidth = (s: string) => measure.measureText(s).width;

  const aspect = plotAspect(grid.extent);
  const range: ValueRange | undefined = hasField ? (discriminator ? { lo: 0, hi: 1, clippedLow: false } : logDensityRange(grid.values)) : undefined;
  const barTicks = range ? niceTicks(range.lo, range.hi, 5) : undefined;
  const barLabels = barTicks ? barTicks.ticks.map((t) => formatTick(t, barTicks.step)) : [];
  const barTitle = discriminator ? l10n.t('D(x)') : grid.field === 'elbo' ? l10n.t('ELBO (nats)') : l10n.t('log p(x) (nats)');

  // Margins: y tick labels on the left, x tick labels below, the colour bar on the right.
  const guessTicks = niceTicks(y0, y1, 5);
  const yLabelWidth = Math.max(...guessTicks.ticks.map((t) => textWidth(formatTick(t, guessTicks.step))), 0);
  const left = Math.ceil(yLabelWidth) + 10;
  const top = Math.ceil(fontPx / 2) + 3;
  const bottom = fontPx + 12;
  const right = range ? 16 + BAR_WIDTH + 7 + Math.ceil(Math.max(0, ...barLabels.map(textWidth))) + 8 + fontPx + 2 : 14;
  const room = Math.max(80, available - left - right);
  const plotWidth = Math.floor(Math.min(room, MAX_PLOT, MAX_PLOT / aspect));
  const plotHeight = Math.round(plotWidth * aspect);
  const cssWidth = left + plotWidth + right;
  const cssHeight = top + plotHeight + bottom;
  const prepared = prepareCanvas(canvas, cssWidth, cssHeight);
  if (!prepared) return undefined;
  const { ctx, dpr } = prepared;
  ctx.font = plotFont(p);
  const frame: Frame = { left, top, width: plotWidth, height: plotHeight, x0, x1, y0, y1 };
  const tickCount = Math.max(3, Math.round(plotWidth / 80));
  const xTicks = niceTicks(x0, x1, tickCount);
  const yTicks = niceTicks(y0, y1, Math.max(3, Math.round(plotHeight / 80)));

  if (hasField && range) {
    // Device pixels, so that the heatmap is sharp on hi-DPI screens (putImageData ignores the transform).
    const dx = Math.round(left * dpr);
    const dy = Math.round(top * dpr);
    const dw = Math.round((left + plotWidth) * dpr) - dx;
    const dh = Math.round((top + plotHeight) * dpr) - dy;
    const map: ColourMap = discriminator ? DIVERGING : VIRIDIS;
    ctx.putImageData(new ImageData(rasterize(grid.values, grid.width, grid.height, dw, dh, map, range.lo, range.hi), dw, dh), dx, dy);
  } else {
    // A plain scatter plot: faint grid lines at the ticks.
    drawGridLines(ctx, frame, xTicks.ticks, yTicks.ticks, p.gridLine);
  }

  clipToFrame(ctx, frame);
  if (grid.field === 'log-density' || grid.field === 'elbo') {
    drawDots(ctx, frame, grid.test, p.heatData, 1.6, 0.8, p.ring);
  } else if (discriminator) {
    drawDots(ctx, frame, grid.test, p.real, 1.9, 0.85, p.ring);
    drawDots(ctx, frame, grid.samples, p.generated, 1.9, 0.85, p.ring);
  } else {
    drawDots(ctx, frame, grid.test, p.real, 1.9, 0.55);
    drawDots(ctx, frame, grid.samples, p.generated, 1.9, 0.55);
  }
  ctx.restore();

  drawAxes(ctx, frame, xTicks, yTicks, p);

  if (range && barTicks) {
    const bx = left + plotWidth + 16;
    const barTop = top;
    const barBottom = top + plotHeight - (range.clippedLow ? 8 : 0);
    const map = discriminator ? DIVERGING : VIRIDIS;
    const gradient = ctx.createLinearGradient(0, barBottom, 0, barTop);
    map.forEach((c, i) => gradient.addColorStop(i / (map.length - 1), `rgb(${c[0]}, ${c[1]}, ${c[2]})`));
    ctx.fillStyle = gradient;
    ctx.fillRect(bx, barTop, BAR_WIDTH, barBottom - barTop);
    if (range.clippedLow) {
      // An open end: everything below the range has the lowest colour.
      const c = map[0];
      ctx.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
      ctx.beginPath();
      ctx.moveTo(bx, barBottom);
      ctx.lineTo(bx + BAR_WIDTH, barBottom);
      ctx.lineTo(bx + BAR_WIDTH / 2, top + plotHeight);
      ctx.closePath();
      ctx.fill();
    }
    const barFrame: Frame = { left: bx, top: barTop, width: BAR_WIDTH, height: barBottom - barTop, x0: 0, x1: 1, y0: range.lo, y1: range.hi };
    ctx.strokeStyle = p.muted;
    ctx.fillStyle = p.muted;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    ctx.beginPath();
    barTicks.ticks.forEach((t, i) => {
      const y = Math.round(toPixelY(barFrame, t)) + 0.5;
      ctx.moveTo(bx + BAR_WIDTH, y);
      ctx.lineTo(bx + BAR_WIDTH + 4, y);
      ctx.fillText(barLabels[i].replace('-', '−'), bx + BAR_WIDTH + 7, y);
    });
    ctx.stroke();
    drawSideTitle(ctx, barTitle, cssWidth - 2, top + plotHeight / 2, 'bottom');
  }

  canvas.setAttribute('aria-label', describe(grid, range));
  return { frame, grid };
}

function describe(grid: DensityGrid, range: ValueRange | undefined): string {
  const [x0, x1, y0, y1] = grid.extent.map(short);
  const where = l10n.t('over x from {0} to {1} and y from {2} to {3}', x0, x1, y0, y1);
  const n = (a: number[]) => formatCount(a.length / 2);
  if (grid.field === 'none') return l10n.t('Scatter plot {0}: {1} generated samples and {2} held-out points', where, n(grid.samples), n(grid.test));
  const what = FIELD_TEXT[grid.field].spoken;
  const scale = range ? l10n.t(' (colour scale {0} to {1})', short(range.lo), short(range.hi)) : '';
  const points = grid.field === 'discriminator' ? l10n.t('{0} generated and {1} real points', n(grid.samples), n(grid.test)) : l10n.t('{0} held-out points', n(grid.test));
  return l10n.t('Heatmap of {0} {1}{2}, with {3}', what, where, scale, points);
}
