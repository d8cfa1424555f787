/** The 1-D painter: the test data's histogram as a density, the model's curve over it (or D(x) on its own axis), generated samples as a step line. */
import type { DensityGrid } from '../../src/protocol/messages';
import { formatTick } from '../../src/protocol/format';
import { clipToFrame, type Drawn, drawAxes, drawBars, drawGridLines, drawSideTitle, FIELD_TEXT, type Palette, plotFont, prepareCanvas, short } from './densityCanvas';
import { binPoints, curve1d, type Frame, histogramDensity, niceTicks, toPixelX, toPixelY } from './densityPaint';
import { l10n } from '../shared/l10n';

/** Widest plot (CSS px). */
const MAX_PLOT_1D = 560;

/** Draws the grid on the canvas at most `available` CSS px wide; what the pointer readout needs, unless the canvas cannot draw. */
export function paintHistogram(canvas: HTMLCanvasElement, grid: DensityGrid, available: number, p: Palette): Drawn | undefined {
  const [x0, x1] = grid.extent;
  const fontPx = Math.max(10, p.fontSize - 2);
  const hist = grid.histogram;
  const histDensity = hist ? histogramDensity(hist.edges, hist.counts) : [];
  const edges = hist?.edges ?? [];
  const generatedDensity = (grid.field === 'discriminator' || grid.field === 'none') && edges.length > 1 ? histogramDensity(edges, binPoints(grid.samples, edges)) : [];
  const hasCurve = grid.field !== 'none' && grid.values.length > 1;
  const curve = hasCurve ? curve1d(grid.values, grid.extent, grid.field !== 'discriminator') : undefined;
  const discriminator = grid.field === 'discriminator';
  let yMax = Math.max(0, ...histDensity, ...generatedDensity, ...(curve && !discriminator ? curve.ys.filter(Number.isFinite) : []));
  if (!(yMax > 0)) yMax = 1;
  yMax *= 1.08;
  const xLo = Math.min(x0, edges[0] ?? x0);
  const xHi = Math.max(x1, edges[edges.length - 1] ?? x1);

  const measure = canvas.getContext('2d');
  if (!measure) return undefined;
  measure.font = plotFont(p);
  const textWidth = (s: string) => measure.measureText(s).width;
  const yTicks = niceTicks(0, yMax, 4);
  const yLabels = yTicks.ticks.map((t) => formatTick(t, yTicks.step));
  const dTicks = niceTicks(0, 1, 2);
  const left = Math.ceil(Math.max(0, ...yLabels.map(textWidth))) + 10 + fontPx + 4;
  const right = discriminator ? Math.ceil(textWidth('0.5')) + 10 + fontPx + 4 : 14;
  const top = Math.ceil(fontPx / 2) + 3;
  const bottom = fontPx + 12;
  const plotWidth = Math.floor(Math.min(Math.max(120, available - left - right), MAX_PLOT_1D));
  const plotHeight = Math.round(Math.min(300, Math.max(160, plotWidth * 0.58)));
  const cssWidth = left + plotWidth + right;
  const cssHeight = top + plotHeight + bottom;
  const prepared = prepareCanvas(canvas, cssWidth, cssHeight);
  if (!prepared) return undefined;
  const { ctx } = prepared;
  ctx.font = plotFont(p);
  const frame: Frame = { left, top, width: plotWidth, height: plotHeight, x0: xLo, x1: xHi, y0: 0, y1: yMax };
  const xTicks = niceTicks(xLo, xHi, Math.max(3, Math.round(plotWidth / 80)));

  // Grid lines at the density ticks.
  drawGridLines(ctx, frame, [], yTicks.ticks.filter((t) => t !== 0), p.gridLine);

  clipToFrame(ctx, frame);
  // Histogram bars (the held-out data), with a hairline gap between bars.
  ctx.fillStyle = p.real;
  ctx.globalAlpha = 0.3;
  drawBars(ctx, frame, edges, histDensity, 0.5, 1);
  ctx.globalAlpha = 0.9;
  ctx.strokeStyle = p.real;
  ctx.lineWidth = 1;
  stepLine(ctx, frame, edges, histDensity);
  ctx.globalAlpha = 1;
  if (generatedDensity.length) {
    ctx.strokeStyle = p.generated;
    ctx.lineWidth = 1.75;
    stepLine(ctx, frame, edges, generatedDensity);
  }
  if (curve) {
    const curveFrame = discriminator ? { ...frame, y0: 0, y1: 1.08 } : frame;
    ctx.strokeStyle = discriminator ? p.foreground : p.generated;
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    if (discriminator) ctx.setLineDash([5, 3]);
    ctx.beginPath();
    curve.xs.forEach((x, i) => {
      const px = toPixelX(curveFrame, x);
      const py = toPixelY(curveFrame, Number.isFinite(curve.ys[i]) ? curve.ys[i] : 0);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();

  drawAxes(ctx, frame, xTicks, yTicks, p);
  ctx.fillStyle = p.muted;
  drawSideTitle(ctx, l10n.t('density'), 2, top + plotHeight / 2, 'top');
  if (discriminator) {
    // D(x) has its own axis on the right, 0 to 1.
    const dFrame = { ...frame, y0: 0, y1: 1.08 };
    ctx.strokeStyle = p.muted;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.beginPath();
    for (const t of dTicks.ticks) {
      const y = Math.round(toPixelY(dFrame, t)) + 0.5;
      ctx.moveTo(left + plotWidth + 0.5, y);
      ctx.lineTo(left + plotWidth + 4.5, y);
      ctx.fillText(formatTick(t, dTicks.step), left + plotWidth + 6, y);
    }
    ctx.stroke();
    drawSideTitle(ctx, l10n.t('D(x)'), cssWidth - 2, top + plotHeight / 2, 'bottom');
  }

  const what = FIELD_TEXT[grid.field].curve;
  canvas.setAttribute('aria-label', l10n.t('Histogram of the held-out data over x from {0} to {1}, with the {2}', short(xLo), short(xHi), what));
  return { frame, grid, histDensity };
}

/** A histogram's outline as a step line. */
function stepLine(ctx: CanvasRenderingContext2D, f: Frame, edges: readonly number[], density: readonly number[]): void {
  if (!density.length) return;
  ctx.beginPath();
  ctx.moveTo(toPixelX(f, edges[0]), toPixelY(f, 0));
  for (let i = 0; i < density.length; i++) {
    const y = toPixelY(f, density[i]);
    ctx.lineTo(toPixelX(f, edges[i]), y);
    ctx.lineTo(toPixelX(f, edges[i + 1]), y);
  }
  ctx.lineTo(toPixelX(f, edges[density.length]), toPixelY(f, 0));
  ctx.stroke();
}
