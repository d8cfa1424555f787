/**
 * The loss chart: uPlot over the MetricStore, one faint raw line and one smoothed line per loss
 * term, with a legend of our own (buttons that toggle a term, values under the cursor).
 *
 * Updates are coalesced: any number of appended points costs one decimation and one `setData`
 * in the next animation frame, and the data handed to uPlot has at most two points per pixel
 * column of the visible range (see series.ts), so a frame costs the same at 500 or 500k points.
 * Zooming (drag to select, or the keys of chartKeys.ts once the chart has focus) re-decimates the
 * selected range at full resolution.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { metricLabel } from '../../src/protocol/metricLabels';
import { formatCompact, formatCount, formatTick, formatValue } from '../../src/protocol/format';
import { h, setText } from '../shared/dom';
import { CHART_KEYS_HELP, keyZoom, type StepRange } from './chartKeys';
import { type Column, decimate, lowerBound, type MetricStore, upperBound } from './series';
import { type ChartTheme, readChartTheme } from './theme';
import { l10n } from '../shared/l10n';

export interface ChartSettings {
  smoothing: number;
  log: boolean;
  /** Loss terms the user switched off in the legend. */
  hidden: string[];
}

export interface ChartEvents {
  /** A frame drew data that includes points not drawn before. */
  onDrawn(): void;
  onZoomChange(zoomed: boolean): void;
  onHiddenChange(hidden: string[]): void;
}


type Zoom = StepRange;

export class LossChart {
  private plot?: uPlot;
  private frame = 0;
  private stale = true;
  private rebuildPending = true;
  private programmatic = false;
  private zoom: Zoom | null = null;
  private keys: string[] = [];
  private theme: ChartTheme = readChartTheme();
  private drawnLength = -1;
  private readonly empty: HTMLElement;
  private readonly measure = document.createElement('canvas').getContext('2d');
  private legendItems = new Map<string, { button: HTMLButtonElement; value: HTMLElement; swatch: HTMLElement }>();
  private readonly legendStep: HTMLElement;
  /** Says the range a key zoomed to, for screen readers (the plot itself is a picture). */
  private readonly announcer = h('span', { class: 'visually-hidden', 'aria-live': 'polite' });

  constructor(
    private readonly host: HTMLElement,
    private readonly legend: HTMLElement,
    private readonly store: MetricStore,
    private lossKey: string,
    private settings: ChartSettings,
    private readonly events: ChartEvents,
  ) {
    this.empty = h('div', { class: 'chart-empty' }, l10n.t('Waiting for the first training steps…'));
    this.host.append(this.empty, this.announcer);
    this.host.tabIndex = 0;
    this.host.setAttribute('role', 'group');
    this.host.setAttribute('aria-roledescription', 'chart');
    this.host.setAttribute('aria-label', l10n.t('Loss over training steps. {0}.', CHART_KEYS_HELP));
    this.host.setAttribute('aria-keyshortcuts', '+ - ArrowLeft ArrowRight Home End 0 Escape');
    this.host.addEventListener('keydown', (e) => this.onKey(e));
    this.legendStep = h('span', { class: 'legend-step' });
    new ResizeObserver(() => this.refresh()).observe(this.host);
  }

  get zoomed(): boolean {
    return this.zoom !== null;
  }

  /**
   * Something changed (new points, size, zoom, settings, a new history): drawn in the next frame.
   * However fast points arrive, that is one redraw per frame, and decimation bounds its cost by the
   * chart's width (measured by `npm run bench`: 50k points, 100 Hz stream, frames at 16.7 ms).
   */
  refresh(): void {
    this.stale = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** Series, scale type or theme changed: the plot is made again (cheap: its data is decimated). */
  rebuild(): void {
    this.rebuildPending = true;
    this.refresh();
  }

  setLossKey(key: string): void {
    if (key !== this.lossKey) {
      this.lossKey = key;
      this.rebuild();
    }
  }

  configure(settings: Partial<ChartSettings>): void {
    const before = this.settings;
    this.settings = { ...before, ...settings };
    if (settings.smoothing !== undefined && settings.smoothing !== this.store.smoothing) {
      this.store.setSmoothing(settings.smoothing);
      this.applyVisibility();
      this.drawnLength = -1;
    }
    if (settings.log !== undefined && settings.log !== before.log) this.rebuild();
    this.refresh();
  }

  themeChanged(): void {
    this.theme = readChartTheme();
    this.rebuild();
  }

  resetZoom(): void {
    if (!this.zoom) return;
    this.zoom = null;
    this.events.onZoomChange(false);
    this.refresh();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey || !this.store.length) return;
    const whole = { min: this.store.steps.get(0), max: this.store.steps.last() };
    const next = keyZoom(e.key, this.zoom ?? whole, whole);
    // Escape on a chart showing the whole run is left to VS Code.
    if (next === undefined || (next === 'reset' && !this.zoom)) return;
    e.preventDefault();
    if (next === 'reset' || (next.min <= whole.min && next.max >= whole.max)) {
      this.resetZoom();
      setText(this.announcer, l10n.t('Showing the whole run'));
      return;
    }
    const was = this.zoomed;
    this.zoom = next;
    if (!was) this.events.onZoomChange(true);
    setText(this.announcer, l10n.t('Showing steps {0} to {1}', formatCount(Math.round(next.min)), formatCount(Math.round(next.max))));
    this.refresh();
  }

  /** Forgets the zoom and the drawn data (a different run was loaded). */
  reset(): void {
    this.zoom = null;
    this.drawnLength = -1;
    this.events.onZoomChange(false);
    this.rebuild();
  }

  private orderedKeys(): string[] {
    const keys = [...this.store.keys];
    const i = keys.indexOf(this.lossKey);
    if (i > 0) keys.unshift(...keys.splice(i, 1));
    return keys;
  }

  private columns(): Column[] {
    return this.keys.flatMap((k) => [this.store.rawColumn(k), this.store.smoothColumn(k)]);
  }

  private draw(): void {
    this.frame = 0;
    if (!this.stale) return;
    const width = Math.floor(this.host.clientWidth);
    const n = this.store.length;
    this.host.dataset.points = String(n);
    this.empty.hidden = n > 0;
    if (width <= 0) return;
    if (n === 0) {
      this.destroyPlot();
      this.stale = false;
      return;
    }
    const keys = this.orderedKeys();
    if (this.rebuildPending || !this.plot || keys.join('\n') !== this.keys.join('\n')) {
      this.keys = keys;
      this.create(width);
    } else if (this.plot.width !== width || this.plot.height !== chartHeight(width)) {
      this.plot.setSize({ width, height: chartHeight(width) });
    }
    const plot = this.plot!;
    const data = this.data(plot);
    this.programmatic = true;
    try {
      plot.batch(() => {
        plot.setData(data, !this.zoom);
        if (this.zoom) plot.setScale('x', this.zoom);
      });
    } finally {
      this.programmatic = false;
    }
    this.stale = false;
    this.updateLegend(null);
    if (n !== this.drawnLength) {
      this.drawnLength = n;
      this.events.onDrawn();
    }
  }

  /** Decimated data for the visible range, about one point pair per device pixel. */
  private data(plot: uPlot): uPlot.AlignedData {
    const steps = this.store.steps.view();
    let i0 = 0;
    let i1 = steps.length;
    if (this.zoom) {
      // One point beyond each edge, so lines run to the edges of the plot.
      i0 = Math.max(0, lowerBound(steps, this.zoom.min) - 1);
      i1 = Math.min(steps.length, upperBound(steps, this.zoom.max) + 1);
    }
    const buckets = Math.max(64, plot.bbox.width || this.host.clientWidth * devicePixelRatio);
    const d = decimate(this.store.steps, this.columns(), i0, i1, buckets, this.settings.log);
    return [d.x, ...d.ys] as uPlot.AlignedData;
  }

  private destroyPlot(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }

  private create(width: number): void {
    this.destroyPlot();
    this.rebuildPending = false;
    const t = this.theme;
    const font = `${Math.max(10, t.fontSize - 2)}px ${t.fontFamily}`;
    const hidden = new Set(this.settings.hidden);
    const axis = (values: (u: uPlot, splits: number[], axisIdx: number, space: number, incr: number) => string[]): uPlot.Axis => ({
      stroke: t.muted,
      font,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
      border: { show: false },
      values,
    });
    const series: uPlot.Series[] = [{ label: l10n.t('step') }];
    this.keys.forEach((key, i) => {
      const color = t.series[i % t.series.length];
      const label = metricLabel(key);
      series.push(
        {
          label: l10n.t('{0} (raw)', label),
          class: 'raw',
          stroke: color,
          width: 1,
          alpha: t.highContrast ? 0.5 : 0.28,
          points: { show: false },
          show: !hidden.has(key) && this.settings.smoothing > 0,
        },
        {
          label,
          stroke: color,
          width: key === this.lossKey ? 2 : 1.5,
          points: { show: false },
          show: !hidden.has(key),
        },
      );
    });
    const opts: uPlot.Options = {
      width,
      height: chartHeight(width),
      legend: { show: false },
      scales: { x: { time: false }, y: this.settings.log ? { distr: 3, log: 10 } : {} },
      axes: [
        { ...axis((_u, splits) => splits.map(formatCompact)), space: 56 },
        {
          ...axis((_u, splits, _i, _space, incr) => splits.map((v) => (v == null ? '' : formatTick(v, this.settings.log ? v / 10 : incr)))),
          space: 28,
          size: (_u, values) => this.axisSize(values, font),
        },
      ],
      series,
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 7, width: 2 },
        // Double-click resets to the whole run (uPlot's own reset only knows the decimated range).
        bind: {
          dblclick: () => () => {
            this.resetZoom();
            return null;
          },
        },
      },
      hooks: {
        setScale: [(u, key) => this.onScale(u, key)],
        setCursor: [(u) => this.updateLegend(u.cursor.idx ?? null)],
      },
    };
    this.plot = new uPlot(opts, [[], ...series.slice(1).map(() => [])] as uPlot.AlignedData, this.host);
    this.plot.root.setAttribute('role', 'img');
    this.plot.root.setAttribute('aria-label', l10n.t('Loss curves over training steps: {0}', this.keys.map(metricLabel).join(', ')));
    this.buildLegend();
  }

  private axisSize(values: string[] | undefined, font: string): number {
    if (!this.measure || !values?.length) return 40;
    this.measure.font = font;
    const widest = Math.max(...values.map((v) => this.measure!.measureText(v).width));
    return Math.ceil(widest) + 14;
  }

  private onScale(u: uPlot, key: string): void {
    if (key !== 'x' || this.programmatic) return;
    const { min, max } = u.scales.x;
    if (min == null || max == null) return;
    const steps = this.store.steps;
    const whole = min <= steps.get(0) && max >= steps.last();
    const was = this.zoomed;
    this.zoom = whole ? null : { min, max };
    if (was !== this.zoomed) this.events.onZoomChange(this.zoomed);
    // Draw the selected range again at full resolution.
    this.refresh();
  }

  private applyVisibility(): void {
    const plot = this.plot;
    if (!plot) return;
    const hidden = new Set(this.settings.hidden);
    this.keys.forEach((key, i) => {
      const raw = 1 + 2 * i;
      const showRaw = !hidden.has(key) && this.settings.smoothing > 0;
      const show = !hidden.has(key);
      if (plot.series[raw].show !== showRaw) plot.setSeries(raw, { show: showRaw });
      if (plot.series[raw + 1].show !== show) plot.setSeries(raw + 1, { show });
      this.legendItems.get(key)?.button.setAttribute('aria-pressed', String(show));
    });
  }

  private buildLegend(): void {
    this.legend.replaceChildren(this.legendStep);
    this.legendItems.clear();
    const hidden = new Set(this.settings.hidden);
    this.keys.forEach((key, i) => {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = this.theme.series[i % this.theme.series.length];
      const value = h('span', { class: 'legend-value' });
      const button = h(
        'button',
        { type: 'button', class: 'legend-item', 'aria-pressed': String(!hidden.has(key)), title: l10n.t('Show or hide {0}', metricLabel(key)), 'data-key': key },
        swatch,
        h('span', { class: 'legend-label' }, metricLabel(key)),
        value,
      );
      button.addEventListener('click', () => this.toggle(key));
      this.legend.append(button);
      this.legendItems.set(key, { button, value, swatch });
    });
  }

  private toggle(key: string): void {
    const hidden = new Set(this.settings.hidden);
    if (hidden.has(key)) hidden.delete(key);
    else if (this.keys.length - hidden.size > 1) hidden.add(key);
    else return; // keep at least one line
    this.settings = { ...this.settings, hidden: [...hidden] };
    this.applyVisibility();
    this.events.onHiddenChange(this.settings.hidden);
  }

  /** Legend values: under the cursor when it is on the plot, otherwise the newest (smoothed). */
  private updateLegend(idx: number | null): void {
    const plot = this.plot;
    if (!plot) return;
    if (idx !== null && idx >= 0 && plot.data[0][idx] !== undefined) {
      setText(this.legendStep, l10n.t('step {0}', formatCount(plot.data[0][idx])));
      this.keys.forEach((key, i) => {
        const v = plot.data[2 + 2 * i][idx];
        setText(this.legendItems.get(key)!.value, formatValue(v));
      });
      return;
    }
    const n = this.store.length;
    setText(this.legendStep, n ? l10n.t('step {0}', formatCount(this.store.steps.last())) : '');
    for (const key of this.keys) setText(this.legendItems.get(key)!.value, formatValue(this.store.latest(key, true)));
  }
}

/** Chart height for a width: wide enough panels get a taller chart, within limits. */
export function chartHeight(width: number): number {
  return Math.round(Math.min(360, Math.max(200, width * 0.45)));
}
