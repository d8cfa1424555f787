/**
 * The density view: what a model on 1-D or 2-D data says about its density, drawn on a canvas.
 *
 *   2-D 'log-density' / 'elbo'   heatmap (viridis) of log p(x) or the ELBO, clipped to the top
 *                                12 nats, with a colour bar and the held-out points over it
 *   2-D 'discriminator'          D(x) in [0, 1] on a diverging map (not a density), with the
 *                                generated and the real points
 *   'none'                       generated vs real points; the reverse process as a strip
 *   1-D                          the test data's histogram (as a density) and the model's curve
 *
 * Hooks for UI tests: section#density-view[data-field][data-dim][data-step], canvas#density-canvas,
 * #density-kind (the taxonomy line), #density-readout (value under the pointer),
 * .density-reverse canvas[data-t]. Colours of points, lines and text come from --vscode-* variables.
 */
import { metricLabel } from '../../src/protocol/metricLabels';
import type { DensityGrid, DensityStory } from '../../src/protocol/messages';
import { h, icon, setText } from '../shared/dom';
import { formatCount, formatTick, formatValue } from '../shared/format';
import { densityKindLabel, summaryAfterKind } from '../shared/runState';
import {
  binPoints,
  type ColourMap,
  curve1d,
  DIVERGING,
  type Frame,
  histogramDensity,
  logDensityRange,
  niceTicks,
  plotAspect,
  rasterize,
  toPixelX,
  toPixelY,
  valueAt,
  type ValueRange,
  VIRIDIS,
} from './densityPaint';

/** What the view needs of the run. */
export interface DensityInput {
  density: DensityStory;
  densityGrid?: { step: number; grid: DensityGrid };
  evals: { step: number; values: Record<string, number> }[];
}

/** Longest side of a 2-D plot (CSS px), and widest 1-D plot. */
const MAX_PLOT = 420;
const MAX_PLOT_1D = 560;
const BAR_WIDTH = 10;

interface Palette {
  foreground: string;
  muted: string;
  border: string;
  gridLine: string;
  /** Held-out points over a heatmap. */
  heatData: string;
  real: string;
  generated: string;
  fontFamily: string;
  fontSize: number;
}

function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const dark = !document.body.classList.contains('vscode-light') && !document.body.classList.contains('vscode-high-contrast-light');
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  return {
    foreground,
    muted: v('--vscode-descriptionForeground', foreground),
    border: v('--vscode-editorWidget-border', v('--vscode-widget-border', dark ? '#454545' : '#c8c8c8')),
    gridLine: v('--vscode-widget-border', v('--vscode-editorWidget-border', dark ? '#313131' : '#e5e5e5')),
    heatData: v('--vscode-charts-red', dark ? '#f14c4c' : '#e51400'),
    real: v('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff'),
    generated: v('--vscode-charts-orange', '#d18616'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13px')) || 13,
  };
}

/** What each field is called on the page. */
const FIELD_TEXT: Record<DensityGrid['field'], { title2d: string; title1d: string; value: string; curve: string; spoken: string }> = {
  'log-density': {
    title2d: 'log p(x), exact',
    title1d: 'p(x), exact, over a histogram of the test data',
    value: 'log p(x)',
    curve: 'fitted pdf',
    spoken: 'the exact log-density log p(x)',
  },
  elbo: {
    title2d: 'ELBO(x) — a lower bound on log p(x)',
    title1d: 'exp(ELBO(x)) — a lower bound on p(x)',
    value: 'ELBO(x)',
    curve: 'exp(ELBO)',
    spoken: 'the ELBO, a lower bound on log p(x)',
  },
  discriminator: {
    title2d: 'Discriminator output D(x) — not a density',
    title1d: 'Discriminator output D(x) — not a density',
    value: 'D(x)',
    curve: 'D(x)',
    spoken: 'the discriminator output D(x), which is not a density',
  },
  none: { title2d: 'Generated samples against held-out data', title1d: 'Generated samples against held-out data', value: '', curve: 'generated samples', spoken: '' },
};

/** A number in three significant digits, with a true minus sign: −0.00714, 1.19, −12.9, 1,230. */
function short(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : v < 0 ? '−∞' : '—';
  const r = Number(v.toPrecision(3));
  const text = Math.abs(r) >= 1000 ? formatCount(Math.round(r)) : String(r === 0 ? 0 : r);
  return text.replace('-', '−');
}

/** Short names of the families' density metrics (metricLabel knows the VAE's). */
const METRIC_TEXT: Record<string, string> = { testNll: 'test NLL' };

/** Sets a canvas's size for `cssWidth × cssHeight` CSS pixels at the screen's pixel ratio; returns a context in CSS pixels. */
function prepareCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number): { ctx: CanvasRenderingContext2D; dpr: number } | undefined {
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(cssWidth * dpr));
  const hh = Math.max(1, Math.round(cssHeight * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hh) canvas.height = hh;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  return { ctx, dpr };
}

/** What the pointer readout needs of the last drawing. */
interface Drawn {
  frame: Frame;
  grid: DensityGrid;
  /** For 1-D: the histogram's density per bin. */
  histDensity?: number[];
}

export class DensityView {
  readonly element: HTMLElement;
  private readonly stepLabel = h('span', { class: 'density-step' });
  private readonly kind: HTMLElement;
  private readonly title = h('span', { class: 'density-title' });
  private readonly metric = h('span', { class: 'density-score' });
  private readonly plot = h('div', { class: 'density-plot' });
  private readonly canvas: HTMLCanvasElement;
  private readonly legend = h('div', { class: 'density-legend' });
  private readonly readout: HTMLElement;
  private readonly reverse = h('div', { class: 'density-reverse', hidden: true });
  private readonly strip = h('div', { class: 'density-strip' });
  private readonly stripFrames: { figure: HTMLElement; canvas: HTMLCanvasElement; caption: HTMLElement }[] = [];
  private input?: DensityInput;
  private palette?: Palette;
  private drawn?: Drawn;
  private frameRequest = 0;
  private width = 0;

  /** `idSuffix` keeps element ids unique when a page shows several views (the comparison). */
  constructor(idSuffix = '') {
    const id = (name: string) => `${name}${idSuffix}`;
    this.kind = h('p', { id: id('density-kind'), class: 'density-kind' });
    this.canvas = h('canvas', { id: id('density-canvas'), role: 'img' });
    this.readout = h('span', { id: id('density-readout'), class: 'density-readout', 'aria-hidden': 'true' });
    this.element = h(
      'section',
      { id: id('density-view'), class: 'card density-card', 'aria-labelledby': id('density-heading'), hidden: true },
      h('div', { class: 'card-header' }, h('h2', { id: id('density-heading') }, 'Density'), this.stepLabel),
      this.kind,
      h(
        'figure',
        { class: 'density-figure' },
        h('figcaption', { class: 'density-caption' }, this.title, this.metric),
        this.plot,
        h('div', { class: 'density-foot' }, this.legend, this.readout),
      ),
      this.reverse,
    );
    this.plot.append(this.canvas);
    this.reverse.append(h('p', { class: 'density-reverse-title' }, 'Reverse process, from noise to samples'), this.strip);
    new ResizeObserver(() => {
      const w = this.plot.clientWidth;
      if (w !== this.width) this.schedule();
    }).observe(this.plot);
    this.canvas.addEventListener('pointermove', (e) => this.showReadout(e));
    this.canvas.addEventListener('pointerleave', () => setText(this.readout, ''));
  }

  /** Shows the run's newest density view (hidden when it has none), drawn in the next frame. */
  render(input: DensityInput): void {
    this.input = input;
    const view = input.densityGrid;
    this.element.hidden = !view;
    if (!view) {
      this.drawn = undefined;
      for (const key of ['field', 'dim', 'step'] as const) delete this.element.dataset[key];
      return;
    }
    const { grid, step } = view;
    this.element.dataset.field = grid.field;
    this.element.dataset.dim = String(grid.dim);
    this.element.dataset.step = String(step);
    setText(this.stepLabel, `step ${formatCount(step)}`);
    this.renderKind(input.density);
    const text = FIELD_TEXT[grid.field];
    setText(this.title, grid.dim === 1 ? text.title1d : text.title2d);
    setText(this.metric, this.metricText(input));
    this.metric.hidden = !this.metric.textContent;
    this.renderLegend(grid);
    this.schedule();
  }

  themeChanged(): void {
    this.palette = undefined;
    this.schedule();
  }

  private schedule(): void {
    if (!this.frameRequest) {
      this.frameRequest = requestAnimationFrame(() => {
        this.frameRequest = 0;
        this.draw();
      });
    }
  }

  private renderKind(story: DensityStory): void {
    const lead = densityKindLabel(story.kind);
    const summary = summaryAfterKind(lead, story.summary);
    const text = `${lead}: ${summary}`;
    if (this.kind.dataset.text === text) return;
    this.kind.dataset.text = text;
    this.kind.dataset.kind = story.kind;
    this.kind.replaceChildren(icon(story.kind === 'implicit' ? 'symbol-event' : 'graph'), h('span', {}, h('strong', {}, `${lead}:`), summary ? ` ${summary}` : ''));
  }

  /** "test NLL 2.84 nats" from the newest eval that has the family's metric. */
  private metricText(input: DensityInput): string {
    const key = input.density.metric;
    if (!key) return '';
    for (let i = input.evals.length - 1; i >= 0; i--) {
      const v = input.evals[i].values[key];
      if (v === undefined || !Number.isFinite(v)) continue;
      const label = METRIC_TEXT[key] ?? metricLabel(key);
      return `${label} ${formatValue(v)} nats`;
    }
    return '';
  }

  private renderLegend(grid: DensityGrid): void {
    const item = (kind: string, label: string) => h('span', { class: 'density-key', 'data-key': kind }, h('span', { class: `density-swatch swatch-${kind}`, 'aria-hidden': 'true' }), label);
    const items: HTMLElement[] = [];
    const heat = grid.field === 'log-density' || grid.field === 'elbo';
    if (grid.dim === 1) {
      items.push(item('histogram', grid.field === 'discriminator' || grid.field === 'none' ? 'real (histogram)' : 'held-out data (histogram)'));
      if (grid.field === 'discriminator' || grid.field === 'none') items.push(item('generated-step', 'generated'));
      if (grid.field !== 'none') items.push(item(grid.field === 'discriminator' ? 'discriminator' : 'curve', FIELD_TEXT[grid.field].curve));
    } else if (heat) {
      if (grid.test.length) items.push(item('heat-data', 'held-out data'));
    } else {
      if (grid.samples.length) items.push(item('generated', 'generated'));
      if (grid.test.length) items.push(item('real', 'real'));
    }
    const signature = items.map((i) => `${i.dataset.key}:${i.textContent}`).join('|');
    if (this.legend.dataset.signature !== signature) {
      this.legend.dataset.signature = signature;
      this.legend.replaceChildren(...items);
    }
  }

  private draw(): void {
    const view = this.input?.densityGrid;
    if (!view || this.element.hidden) return;
    const width = this.plot.clientWidth;
    this.width = width;
    if (width <= 0) return;
    const palette = (this.palette ??= readPalette());
    const grid = view.grid;
    if (grid.dim === 1) this.draw1d(grid, width, palette);
    else this.draw2d(grid, width, palette);
    this.drawReverse(grid, width, palette);
  }

  private font(p: Palette): string {
    return `${Math.max(10, p.fontSize - 2)}px ${p.fontFamily}`;
  }

  private draw2d(grid: DensityGrid, available: number, p: Palette): void {
    const [x0, x1, y0, y1] = grid.extent;
    const hasField = grid.field !== 'none' && grid.width > 0 && grid.height > 0 && grid.values.length >= grid.width * grid.height;
    const discriminator = grid.field === 'discriminator';
    const fontPx = Math.max(10, p.fontSize - 2);
    const measure = this.canvas.getContext('2d');
    if (!measure) return;
    measure.font = this.font(p);
    const textWidth = (s: string) => measure.measureText(s).width;

    const aspect = plotAspect(grid.extent);
    const range: ValueRange | undefined = hasField ? (discriminator ? { lo: 0, hi: 1, clippedLow: false } : logDensityRange(grid.values)) : undefined;
    const barTicks = range ? niceTicks(range.lo, range.hi, 5) : undefined;
    const barLabels = barTicks ? barTicks.ticks.map((t) => formatTick(t, barTicks.step)) : [];
    const barTitle = discriminator ? 'D(x)' : grid.field === 'elbo' ? 'ELBO (nats)' : 'log p(x) (nats)';

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
    const prepared = prepareCanvas(this.canvas, cssWidth, cssHeight);
    if (!prepared) return;
    const { ctx, dpr } = prepared;
    ctx.font = this.font(p);
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
      ctx.strokeStyle = p.gridLine;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const t of xTicks.ticks) {
        const x = Math.round(toPixelX(frame, t)) + 0.5;
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + plotHeight);
      }
      for (const t of yTicks.ticks) {
        const y = Math.round(toPixelY(frame, t)) + 0.5;
        ctx.moveTo(left, y);
        ctx.lineTo(left + plotWidth, y);
      }
      ctx.stroke();
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, plotWidth, plotHeight);
    ctx.clip();
    if (grid.field === 'log-density' || grid.field === 'elbo') {
      this.dots(ctx, frame, grid.test, p.heatData, 1.6, 0.8, 'rgba(0, 0, 0, 0.35)');
    } else if (discriminator) {
      this.dots(ctx, frame, grid.test, p.real, 1.9, 0.85, 'rgba(0, 0, 0, 0.45)');
      this.dots(ctx, frame, grid.samples, p.generated, 1.9, 0.85, 'rgba(0, 0, 0, 0.45)');
    } else {
      this.dots(ctx, frame, grid.test, p.real, 1.9, 0.55);
      this.dots(ctx, frame, grid.samples, p.generated, 1.9, 0.55);
    }
    ctx.restore();

    this.axes(ctx, frame, xTicks, yTicks, p);

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
      ctx.save();
      ctx.translate(cssWidth - 2, top + plotHeight / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText(barTitle, 0, 0);
      ctx.restore();
    }

    this.canvas.setAttribute('aria-label', this.describe2d(grid, range));
    this.drawn = { frame, grid };
  }

  private describe2d(grid: DensityGrid, range: ValueRange | undefined): string {
    const [x0, x1, y0, y1] = grid.extent.map(short);
    const where = `over x from ${x0} to ${x1} and y from ${y0} to ${y1}`;
    const n = (a: number[]) => formatCount(a.length / 2);
    if (grid.field === 'none') return `Scatter plot ${where}: ${n(grid.samples)} generated samples and ${n(grid.test)} held-out points`;
    const what = FIELD_TEXT[grid.field].spoken;
    const scale = range ? ` (colour scale ${short(range.lo)} to ${short(range.hi)})` : '';
    const points = grid.field === 'discriminator' ? `${n(grid.samples)} generated and ${n(grid.test)} real points` : `${n(grid.test)} held-out points`;
    return `Heatmap of ${what} ${where}${scale}, with ${points}`;
  }

  /** Filled dots, optionally with a thin dark ring that keeps them visible on any colour. */
  private dots(ctx: CanvasRenderingContext2D, f: Frame, points: readonly number[], colour: string, r: number, alpha: number, ring?: string): void {
    if (!points.length) return;
    ctx.save();
    if (ring) {
      ctx.fillStyle = ring;
      ctx.beginPath();
      for (let i = 0; i + 1 < points.length; i += 2) {
        const x = toPixelX(f, points[i]);
        const y = toPixelY(f, points[i + 1]);
        ctx.moveTo(x + r + 0.7, y);
        ctx.arc(x, y, r + 0.7, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    ctx.fillStyle = colour;
    ctx.globalAlpha = alpha;
    if (ring) {
      // One path: overlapping dots do not darken each other (the field underneath carries density).
      ctx.beginPath();
      for (let i = 0; i + 1 < points.length; i += 2) {
        const x = toPixelX(f, points[i]);
        const y = toPixelY(f, points[i + 1]);
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    } else {
      // Dot by dot: overlaps add up, so dense regions read darker.
      for (let i = 0; i + 1 < points.length; i += 2) {
        ctx.beginPath();
        ctx.arc(toPixelX(f, points[i]), toPixelY(f, points[i + 1]), r, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    ctx.restore();
  }

  /** The frame's border, ticks outside it and their labels in data units. */
  private axes(ctx: CanvasRenderingContext2D, f: Frame, xTicks: { ticks: number[]; step: number }, yTicks: { ticks: number[]; step: number }, p: Palette): void {
    ctx.save();
    ctx.lineWidth = 1;
    ctx.strokeStyle = p.border;
    ctx.strokeRect(Math.round(f.left) - 0.5, Math.round(f.top) - 0.5, Math.round(f.width) + 1, Math.round(f.height) + 1);
    ctx.strokeStyle = p.muted;
    ctx.fillStyle = p.muted;
    ctx.font = this.font(p);
    const bottom = f.top + f.height;
    ctx.beginPath();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of xTicks.ticks) {
      const x = Math.round(toPixelX(f, t)) + 0.5;
      ctx.moveTo(x, bottom + 0.5);
      ctx.lineTo(x, bottom + 4.5);
      ctx.fillText(formatTick(t, xTicks.step).replace('-', '−'), x, bottom + 6);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of yTicks.ticks) {
      const y = Math.round(toPixelY(f, t)) + 0.5;
      ctx.moveTo(f.left - 0.5, y);
      ctx.lineTo(f.left - 4.5, y);
      ctx.fillText(formatTick(t, yTicks.step).replace('-', '−'), f.left - 6, y);
    }
    ctx.stroke();
    ctx.restore();
  }

  private draw1d(grid: DensityGrid, available: number, p: Palette): void {
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

    const measure = this.canvas.getContext('2d');
    if (!measure) return;
    measure.font = this.font(p);
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
    const prepared = prepareCanvas(this.canvas, cssWidth, cssHeight);
    if (!prepared) return;
    const { ctx } = prepared;
    ctx.font = this.font(p);
    const frame: Frame = { left, top, width: plotWidth, height: plotHeight, x0: xLo, x1: xHi, y0: 0, y1: yMax };
    const xTicks = niceTicks(xLo, xHi, Math.max(3, Math.round(plotWidth / 80)));

    // Grid lines at the density ticks.
    ctx.strokeStyle = p.gridLine;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of yTicks.ticks) {
      if (t === 0) continue;
      const y = Math.round(toPixelY(frame, t)) + 0.5;
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotWidth, y);
    }
    ctx.stroke();

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, plotWidth, plotHeight);
    ctx.clip();
    // Histogram bars (the held-out data), with a hairline gap between bars.
    const base = toPixelY(frame, 0);
    ctx.fillStyle = p.real;
    ctx.globalAlpha = 0.3;
    for (let i = 0; i < histDensity.length; i++) {
      const a = toPixelX(frame, edges[i]);
      const b = toPixelX(frame, edges[i + 1]);
      const y = toPixelY(frame, histDensity[i]);
      ctx.fillRect(a + 0.5, y, Math.max(0.5, b - a - 1), base - y);
    }
    ctx.globalAlpha = 0.9;
    ctx.strokeStyle = p.real;
    ctx.lineWidth = 1;
    this.step(ctx, frame, edges, histDensity);
    ctx.globalAlpha = 1;
    if (generatedDensity.length) {
      ctx.strokeStyle = p.generated;
      ctx.lineWidth = 1.75;
      this.step(ctx, frame, edges, generatedDensity);
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

    this.axes(ctx, frame, xTicks, yTicks, p);
    ctx.fillStyle = p.muted;
    ctx.save();
    ctx.translate(2, top + plotHeight / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('density', 0, 0);
    ctx.restore();
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
      ctx.save();
      ctx.translate(cssWidth - 2, top + plotHeight / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      ctx.fillText('D(x)', 0, 0);
      ctx.restore();
    }

    const what = FIELD_TEXT[grid.field].curve;
    this.canvas.setAttribute('aria-label', `Histogram of the held-out data over x from ${short(xLo)} to ${short(xHi)}, with the ${what}`);
    this.drawn = { frame, grid, histDensity };
  }

  /** A histogram's outline as a step line. */
  private step(ctx: CanvasRenderingContext2D, f: Frame, edges: readonly number[], density: readonly number[]): void {
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

  /** The reverse process as small multiples: the samples at each recorded t, noise first. */
  private drawReverse(grid: DensityGrid, available: number, p: Palette): void {
    const frames = grid.reverse ?? [];
    this.reverse.hidden = frames.length === 0;
    if (!frames.length) return;
    while (this.stripFrames.length < frames.length) {
      const canvas = h('canvas', { class: 'density-reverse-canvas', role: 'img' });
      const caption = h('figcaption', {});
      const figure = h('figure', { class: 'density-frame' }, canvas, caption);
      this.strip.append(figure);
      this.stripFrames.push({ figure, canvas, caption });
    }
    while (this.stripFrames.length > frames.length) this.stripFrames.pop()!.figure.remove();
    const gap = 8;
    // As many frames per row as fit at 64 px or more, rows balanced (6 frames: 3 + 3, not 5 + 1).
    const fit = Math.max(1, Math.min(frames.length, Math.floor((available + gap) / (64 + gap))));
    const perRow = Math.ceil(frames.length / Math.ceil(frames.length / fit));
    const size = Math.floor(Math.min(112, (available - gap * (perRow - 1)) / perRow));
    const [x0, x1, y0, y1] = grid.extent;
    const aspect = grid.dim === 2 ? plotAspect(grid.extent) : 0.7;
    frames.forEach((fr, i) => {
      const slot = this.stripFrames[i];
      setText(slot.caption, `t = ${formatCount(fr.t)}`);
      slot.canvas.dataset.t = String(fr.t);
      slot.canvas.setAttribute('aria-label', `Samples at step t = ${fr.t} of the reverse process`);
      const width = size;
      const height = Math.round(size * aspect);
      const prepared = prepareCanvas(slot.canvas, width, height);
      if (!prepared) return;
      const { ctx } = prepared;
      const frame: Frame = { left: 0.5, top: 0.5, width: width - 1, height: height - 1, x0, x1, y0, y1 };
      ctx.save();
      ctx.beginPath();
      ctx.rect(frame.left, frame.top, frame.width, frame.height);
      ctx.clip();
      if (grid.dim === 2) {
        this.dots(ctx, frame, fr.samples, p.generated, 1.1, 0.55);
      } else {
        const edges = grid.histogram?.edges ?? niceEdges(x0, x1, 30);
        const dens = histogramDensity(edges, binPoints(fr.samples, edges));
        const top = Math.max(1e-9, ...dens) * 1.1;
        const hf: Frame = { ...frame, x0: edges[0], x1: edges[edges.length - 1], y0: 0, y1: top };
        ctx.fillStyle = p.generated;
        ctx.globalAlpha = 0.6;
        for (let k = 0; k < dens.length; k++) {
          const a = toPixelX(hf, edges[k]);
          const b = toPixelX(hf, edges[k + 1]);
          const y = toPixelY(hf, dens[k]);
          ctx.fillRect(a, y, Math.max(0.5, b - a - 0.5), toPixelY(hf, 0) - y);
        }
      }
      ctx.restore();
      ctx.strokeStyle = p.border;
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
    });
  }

  private showReadout(e: PointerEvent): void {
    const d = this.drawn;
    if (!d) return;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const f = d.frame;
    if (px < f.left || px > f.left + f.width || py < f.top || py > f.top + f.height) {
      setText(this.readout, '');
      return;
    }
    const x = f.x0 + ((px - f.left) / f.width) * (f.x1 - f.x0);
    const y = f.y1 - ((py - f.top) / f.height) * (f.y1 - f.y0);
    const g = d.grid;
    // Coordinates to a hundredth of the extent's scale; values to three significant digits.
    const digits = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.max(1e-9, f.x1 - f.x0)))));
    const coord = (c: number) => (Math.abs(c) < 10 ** -digits / 2 ? 0 : c).toFixed(digits).replace('-', '−');
    const num = short;
    const parts = [g.dim === 1 ? `x ${coord(x)}` : `x ${coord(x)}, y ${coord(y)}`];
    const v = g.field === 'none' ? undefined : valueAt(g.values, g.width, g.height, g.extent, x, y);
    if (v !== undefined && Number.isFinite(v)) {
      const name = FIELD_TEXT[g.field].value;
      if (g.field === 'discriminator') parts.push(`${name} ${num(v)}`);
      else if (v <= -1e4) parts.push(`${name} −∞`);
      else parts.push(g.dim === 1 ? `${g.field === 'elbo' ? 'exp(ELBO)' : 'p(x)'} ${num(Math.exp(v))}` : `${name} ${num(v)} nats`);
    }
    if (g.dim === 1 && d.histDensity && g.histogram) {
      const edges = g.histogram.edges;
      const i = edges.findIndex((e0, k) => k < edges.length - 1 && x >= e0 && x < edges[k + 1]);
      if (i >= 0 && d.histDensity[i] !== undefined) parts.push(`histogram ${num(d.histDensity[i])}`);
    }
    setText(this.readout, parts.join(' · '));
  }
}

function niceEdges(x0: number, x1: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => x0 + ((x1 - x0) * i) / bins);
}
