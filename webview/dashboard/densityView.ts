/**
 * The density view: what a model on 1-D or 2-D data says about its density, drawn on a canvas by
 * one painter per kind of plot (densityHeatmap.ts, densityHistogram.ts, reverseStrip.ts).
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
import { formatCount, formatValue } from '../../src/protocol/format';
import { densityKindLabel, summaryAfterKind } from '../shared/runState';
import { type Drawn, FIELD_TEXT, type Palette, readPalette, short } from './densityCanvas';
import { paintHeatmap } from './densityHeatmap';
import { paintHistogram } from './densityHistogram';
import { valueAt } from './densityPaint';
import { ReverseStrip } from './reverseStrip';
import { l10n } from '../shared/l10n';

/** What the view needs of the run. */
export interface DensityInput {
  density: DensityStory;
  densityGrid?: { step: number; grid: DensityGrid };
  evals: { step: number; values: Record<string, number> }[];
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
  private readonly reverse = new ReverseStrip();
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
      h('div', { class: 'card-header' }, h('h2', { id: id('density-heading') }, l10n.t('Density')), this.stepLabel),
      this.kind,
      h(
        'figure',
        { class: 'density-figure' },
        h('figcaption', { class: 'density-caption' }, this.title, this.metric),
        this.plot,
        h('div', { class: 'density-foot' }, this.legend, this.readout),
      ),
      this.reverse.element,
    );
    this.plot.append(this.canvas);
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
    setText(this.stepLabel, l10n.t('step {0}', formatCount(step)));
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
      return `${metricLabel(key)} ${formatValue(v)} nats`;
    }
    return '';
  }

  private renderLegend(grid: DensityGrid): void {
    const item = (kind: string, label: string) => h('span', { class: 'density-key', 'data-key': kind }, h('span', { class: `density-swatch swatch-${kind}`, 'aria-hidden': 'true' }), label);
    const items: HTMLElement[] = [];
    const heat = grid.field === 'log-density' || grid.field === 'elbo';
    if (grid.dim === 1) {
      items.push(item('histogram', grid.field === 'discriminator' || grid.field === 'none' ? l10n.t('real (histogram)') : l10n.t('held-out data (histogram)')));
      if (grid.field === 'discriminator' || grid.field === 'none') items.push(item('generated-step', l10n.t('generated')));
      if (grid.field !== 'none') items.push(item(grid.field === 'discriminator' ? 'discriminator' : 'curve', FIELD_TEXT[grid.field].curve));
    } else if (heat) {
      if (grid.test.length) items.push(item('heat-data', l10n.t('held-out data')));
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
    const drawn = grid.dim === 1 ? paintHistogram(this.canvas, grid, width, palette) : paintHeatmap(this.canvas, grid, width, palette);
    if (drawn) this.drawn = drawn;
    this.reverse.paint(grid, width, palette);
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
      else parts.push(g.dim === 1 ? `${g.field === 'elbo' ? 'exp(ELBO)' : 'p(x)'} ${num(Math.exp(v))}` : l10n.t('{0} {1} nats', name, num(v)));
    }
    if (g.dim === 1 && d.histDensity && g.histogram) {
      const edges = g.histogram.edges;
      const i = edges.findIndex((e0, k) => k < edges.length - 1 && x >= e0 && x < edges[k + 1]);
      if (i >= 0 && d.histDensity[i] !== undefined) parts.push(l10n.t('histogram {0}', num(d.histDensity[i])));
    }
    setText(this.readout, parts.join(' · '));
  }
}
