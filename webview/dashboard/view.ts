/**
 * The dashboard's page: header (run, state, progress, density story, actions), error banner,
 * loss chart card, samples and the eval table. Built once; `render*` methods update parts in
 * place so focus and scroll positions survive live updates.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import { metricLabel } from '../../src/protocol/metricLabels';
import { DASHBOARD_TABS, type DashboardTab, type RunView, type SampleImage } from '../../src/protocol/webview';
import { h, icon, setText, toggleAttr } from '../shared/dom';
import { formatCount, formatEpoch, formatEta, formatRate, formatValue } from '../../src/protocol/format';
import { canSample, canStop, densityKindLabel, scoreKindLabel, STATE_LOOK } from '../shared/runState';
import { DensityView } from './densityView';
import { ModelTab } from './modelTab';
import { SMOOTHING_MAX } from './smoothing';
import { l10n } from '../shared/l10n';

/** The run without its loss history (which lives in the MetricStore). */
export type RunInfo = Omit<RunView, 'history'>;

export interface ViewActions {
  stop(): void;
  sampleNow(): void;
  smoothing(weight: number): void;
  logScale(on: boolean): void;
  resetZoom(): void;
  tabChanged(tab: DashboardTab): void;
}

type GridCaption = NonNullable<RunInfo['grids']>[number];

type ButtonEl = HTMLElement & { disabled: boolean };
type CheckboxEl = HTMLElement & { checked: boolean };
type ProgressEl = HTMLElement & { value: number | undefined; max: number; indeterminate: boolean };
type TabsEl = HTMLElement & { selectedIndex: number };

const stopTitle = () => l10n.t('Stop training (the final evaluation, samples and checkpoint are still written)');

export class DashboardView {
  readonly chart: HTMLElement;
  readonly legend: HTMLElement;
  /** The density view (models on 1-D or 2-D data); hidden until the run has a density grid. */
  readonly densityView = new DensityView();
  /** The Model tab: architecture, norms and activations. */
  readonly modelTab = new ModelTab();
  private readonly tabs: TabsEl;
  private readonly header: HTMLElement;
  private readonly title = h('span', { class: 'run-title-text' }, l10n.t('Loading run…'));
  private readonly badge = h('span', { class: 'state-badge', role: 'status' });
  private readonly meta = {
    step: h('span', { class: 'meta-value' }),
    epoch: h('span', { class: 'meta-value' }),
    speed: h('span', { class: 'meta-value', id: 'meta-speed' }),
    eta: h('span', { class: 'meta-value' }),
    backend: h('span', { class: 'meta-value', id: 'meta-backend' }),
  };
  private readonly etaItem: HTMLElement;
  private readonly epochItem: HTMLElement;
  private readonly progress = h('vscode-progress-bar', { class: 'run-progress', 'aria-label': l10n.t('Training progress') }) as ProgressEl;
  private readonly density = h('p', { class: 'density', hidden: true });
  private readonly stopButton = h('vscode-button', { id: 'stop-button', title: stopTitle(), disabled: true }) as ButtonEl;
  private readonly sampleButton = h('vscode-button', { id: 'sample-button', secondary: true, title: l10n.t('Write a sample grid now instead of waiting for the next evaluation'), disabled: true }) as ButtonEl;
  private readonly error = h('div', { id: 'error-banner', class: 'error-banner', role: 'alert', hidden: true });
  private readonly warning = h('div', { id: 'warning-banner', class: 'error-banner warning-banner', role: 'status', hidden: true });
  private readonly notes = h('div', { id: 'notes-banner', class: 'error-banner warning-banner', role: 'status', hidden: true });
  private readonly smoothingInput = h('input', { type: 'range', id: 'smoothing', min: 0, max: SMOOTHING_MAX, step: 0.01, 'aria-describedby': 'smoothing-value' });
  private readonly smoothingValue = h('output', { id: 'smoothing-value', for: 'smoothing', class: 'smoothing-value' });
  private readonly logBox = h('vscode-checkbox', { id: 'log-scale', label: l10n.t('Log scale') }) as CheckboxEl;
  private readonly resetButton = h('vscode-button', { id: 'reset-zoom', secondary: true, disabled: true, title: l10n.t('Show the whole run (or double-click the chart)') }) as ButtonEl;
  private readonly samples = h('div', { class: 'samples' });
  private readonly unitHint = h('span', {}, l10n.t('Values in nats per image.'));
  private samplesCard!: HTMLElement;
  private readonly sampleFigures = new Map<string, { figure: HTMLElement; frame: HTMLElement; img: HTMLImageElement; step: HTMLElement; empty: HTMLElement }>();
  private captions = new Map<string, GridCaption>();
  private readonly evalBody = h('tbody');
  private readonly evalHead = h('tr');
  private readonly evalEmpty = h('p', { class: 'empty-note' }, l10n.t('No evaluation yet: the test set is scored at the end of each epoch.'));
  private readonly evalTable: HTMLTableElement;
  private stopRequested = false;
  /** The run is written by a person's own script: GenLab can ask it to stop, but not draw from it. */
  private external = false;
  private sampleRequestedAt = 0;
  private state: RunInfo['state'] | undefined;

  constructor(root: HTMLElement, actions: ViewActions) {
    const metaItem = (label: string, value: HTMLElement): HTMLElement => h('span', { class: 'meta-item' }, h('span', { class: 'meta-label' }, label), value);
    this.etaItem = metaItem(l10n.t('ETA'), this.meta.eta);
    this.epochItem = metaItem(l10n.t('Epoch'), this.meta.epoch);
    this.stopButton.append(icon('debug-stop'), ` ${l10n.t('Stop')}`);
    this.sampleButton.append(icon('sparkle'), ` ${l10n.t('Sample now')}`);
    this.resetButton.append(icon('zoom-out'), ` ${l10n.t('Reset zoom')}`);
    this.header = h(
      'header',
      { id: 'run-header', class: 'run-header', 'data-state': 'loading' },
      h('div', { class: 'title-row' }, h('h1', { class: 'run-title' }, this.title), this.badge),
      h(
        'div',
        { class: 'meta' },
        metaItem(l10n.t('Step'), this.meta.step),
        this.epochItem,
        metaItem(l10n.t('Speed'), this.meta.speed),
        this.etaItem,
        metaItem(l10n.t('Backend'), this.meta.backend),
      ),
      this.progress,
      h('div', { class: 'header-bottom' }, this.density, h('div', { class: 'actions' }, this.stopButton, this.sampleButton)),
    );

    this.chart = h('div', { id: 'loss-chart', class: 'chart', 'data-points': '0' });
    this.legend = h('div', { id: 'loss-legend', class: 'legend', role: 'group', 'aria-label': l10n.t('Loss terms (click to show or hide)') });
    const chartCard = h(
      'section',
      { class: 'card chart-card', 'aria-labelledby': 'chart-heading' },
      h(
        'div',
        { class: 'card-header' },
        h('h2', { id: 'chart-heading' }, l10n.t('Training loss')),
        h(
          'div',
          { class: 'chart-controls' },
          h('label', { class: 'smoothing', for: 'smoothing' }, h('span', { class: 'control-label' }, l10n.t('Smoothing')), this.smoothingInput, this.smoothingValue),
          this.logBox,
          this.resetButton,
        ),
      ),
      this.legend,
      this.chart,
      h('p', { class: 'chart-hint' }, `${l10n.t('Drag across the chart to zoom (or focus it and press + and -, the arrow keys to move); double-click, 0 or Reset zoom to see the whole run.')} `, this.unitHint),
    );

    const samplesCard = (this.samplesCard = h(
      'section',
      { class: 'card', 'aria-labelledby': 'samples-heading' },
      h('div', { class: 'card-header' }, h('h2', { id: 'samples-heading' }, l10n.t('Samples'))),
      this.samples,
    ));

    this.evalTable = h(
      'table',
      { class: 'eval-table', hidden: true },
      h('caption', { class: 'visually-hidden' }, l10n.t('Evaluations on the test set, newest first')),
      h('thead', {}, this.evalHead),
      this.evalBody,
    );
    const evalCard = h(
      'section',
      { class: 'card', 'aria-labelledby': 'eval-heading' },
      h('div', { class: 'card-header' }, h('h2', { id: 'eval-heading' }, l10n.t('Test-set evaluation'))),
      h('div', { class: 'table-scroll' }, this.evalTable),
      this.evalEmpty,
    );

    // vscode-tabs gives its headers and panels ids of its own: they are found by data-tab.
    const tab = (id: DashboardTab, label: string, iconName: string) => h('vscode-tab-header', { slot: 'header', 'data-tab': id }, icon(iconName), ` ${label}`);
    this.tabs = h(
      'vscode-tabs',
      { id: 'dashboard-tabs', class: 'dashboard-tabs' },
      tab('training', l10n.t('Training'), 'graph-line'),
      h('vscode-tab-panel', { 'data-tab': 'training' }, h('main', { class: 'panels' }, chartCard, this.densityView.element, samplesCard, evalCard)),
      tab('model', l10n.t('Model'), 'type-hierarchy'),
      h('vscode-tab-panel', { 'data-tab': 'model' }, this.modelTab.element),
    ) as TabsEl;
    root.replaceChildren(this.header, this.error, this.warning, this.notes, this.tabs);
    this.tabs.addEventListener('vsc-tabs-select', () => {
      const selected = DASHBOARD_TABS[this.tabs.selectedIndex] ?? 'training';
      this.modelTab.setVisible(selected === 'model');
      actions.tabChanged(selected);
    });

    this.stopButton.addEventListener('click', () => {
      if (this.stopButton.disabled) return;
      // A script's run asks first (a modal in the window); the person may say no.
      this.stopRequested = !this.external;
      actions.stop();
      this.renderActions();
    });
    this.sampleButton.addEventListener('click', () => {
      if (this.sampleButton.disabled) return;
      this.sampleRequestedAt = Date.now();
      actions.sampleNow();
      this.renderActions();
      setTimeout(() => this.renderActions(), 2100);
    });
    this.smoothingInput.addEventListener('input', () => {
      const w = Number(this.smoothingInput.value);
      this.showSmoothing(w);
      actions.smoothing(w);
    });
    this.logBox.addEventListener('change', () => actions.logScale(this.logBox.checked));
    this.resetButton.addEventListener('click', () => {
      if (!this.resetButton.disabled) actions.resetZoom();
    });
  }

  showTab(tab: DashboardTab): void {
    this.tabs.selectedIndex = DASHBOARD_TABS.indexOf(tab);
    this.modelTab.setVisible(tab === 'model');
  }

  setControls(smoothing: number, log: boolean): void {
    this.smoothingInput.value = String(smoothing);
    this.showSmoothing(smoothing);
    this.logBox.checked = log;
  }

  setZoomed(zoomed: boolean): void {
    this.resetButton.disabled = !zoomed;
  }

  private showSmoothing(w: number): void {
    setText(this.smoothingValue, w.toFixed(2));
    this.smoothingInput.style.setProperty('--fill', `${(w / SMOOTHING_MAX) * 100}%`);
  }

  /**
   * Image models show sample grids; models on points show the density view instead. Only the
   * explicit families' losses are (bounds on) negative log-likelihoods, in nats; a script's are
   * whatever it logged.
   */
  setDataKind(images: boolean, kind: RunInfo['density']['kind'], external: boolean): void {
    this.samplesCard.hidden = !images;
    const hint = external
      ? l10n.t('Values as the script logged them.')
      : kind.startsWith('explicit')
      ? images ? l10n.t('Values in nats per image.') : l10n.t('Values in nats per point.')
      : kind === 'implicit'
        ? l10n.t("The two players' losses: not likelihoods, and a falling generator loss does not by itself mean better samples.")
        : l10n.t('The loss is the error of the predicted noise, not a likelihood.');
    setText(this.unitHint, hint);
  }

  renderHeader(run: RunInfo): void {
    if (run.state !== this.state) {
      if (this.state !== undefined && canStop(this.state) !== canStop(run.state)) this.stopRequested = false;
      this.state = run.state;
      const look = STATE_LOOK[run.state];
      this.header.dataset.state = run.state;
      this.badge.dataset.tone = look.tone;
      this.badge.replaceChildren(icon(look.icon, look.spin ? 'codicon-modifier-spin' : ''), h('span', {}, look.label));
    }
    setText(this.title, run.title);
    // GenLab cannot draw from a model a script trains; it can only ask the script to stop.
    this.external = Boolean(run.external);
    this.sampleButton.hidden = this.external;
    this.stopButton.title = this.external ? l10n.t('Ask the script to stop: GenLab sends its process an interrupt, as Ctrl+C would') : stopTitle();
    setText(this.meta.step, run.totalSteps ? `${formatCount(run.step)} / ${formatCount(run.totalSteps)}` : formatCount(run.step));
    setText(this.meta.epoch, formatEpoch(run.epoch));
    // A script that counts no epochs logs none.
    this.epochItem.hidden = this.external && run.epoch === 0;
    const active = canStop(run.state);
    setText(this.meta.speed, run.stepsPerSecond > 0 ? formatRate(run.stepsPerSecond) : '—');
    const eta = active ? formatEta(run.step, run.totalSteps, run.stepsPerSecond) : '';
    this.etaItem.hidden = !eta;
    setText(this.meta.eta, eta.replace(/^ETA /, ''));
    setText(this.meta.backend, run.backend || '—');
    // Why not a faster one, where the trainer passed one over: on hover, as the run's log says it.
    this.meta.backend.title = run.backendNotes?.length ? l10n.t('Passed over: {0}', run.backendNotes.join('; ')) : '';
    this.progress.indeterminate = run.state === 'loading-data';
    this.progress.max = Math.max(1, run.totalSteps);
    this.progress.value = Math.min(run.step, run.totalSteps);
    this.progress.hidden = run.totalSteps <= 0;
    this.progress.setAttribute('aria-valuetext', l10n.t('{0} of {1} steps', formatCount(run.step), formatCount(run.totalSteps)));
    this.renderDensity(run.density);
    this.renderActions();
  }

  private renderDensity(density: RunInfo['density']): void {
    const lead = densityKindLabel(density.kind);
    const summary = density.summary.trim();
    const parts: (Node | string | null)[] = [];
    // The summary may already open with the taxonomy's words; do not say them twice.
    if (!summary.toLowerCase().startsWith(lead.toLowerCase())) parts.push(h('strong', {}, `${lead}:`), ' ');
    parts.push(summary);
    if (density.metric) parts.push(' ', h('span', { class: 'density-metric' }, density.scoreKind ? l10n.t('(measured by {0}: {1})', metricLabel(density.metric), scoreKindLabel(density.scoreKind)) : l10n.t('(measured by {0})', metricLabel(density.metric))));
    this.density.hidden = !summary && !lead;
    this.density.dataset.kind = density.kind;
    const text = parts.map((p) => (typeof p === 'string' ? p : (p?.textContent ?? ''))).join('');
    if (this.density.textContent !== text) {
      this.density.replaceChildren(icon(density.kind === 'implicit' ? 'symbol-event' : 'graph'), h('span', { class: 'density-text' }, ...parts));
    }
  }

  private renderActions(): void {
    const state = this.state;
    const stoppable = state !== undefined && canStop(state) && !this.stopRequested;
    toggleAttr(this.stopButton, 'disabled', !stoppable);
    const sampling = Date.now() - this.sampleRequestedAt < 2000;
    toggleAttr(this.sampleButton, 'disabled', !(state !== undefined && canSample(state)) || sampling);
  }

  renderError(error: RunInfo['error']): void {
    this.error.hidden = !error;
    if (!error) return;
    this.error.replaceChildren(
      icon('error'),
      h('div', { class: 'error-text' }, h('strong', { class: 'error-message' }, error.message), error.hint ? h('span', { class: 'error-hint' }, error.hint) : null),
    );
  }

  /** Problems met reading the run folder: the run is shown as far as it could be read. */
  renderWarnings(warnings: RunInfo['warnings']): void {
    this.warning.hidden = !warnings?.length;
    if (!warnings?.length) return;
    this.warning.replaceChildren(
      icon('warning'),
      h('div', { class: 'error-text' }, h('strong', {}, l10n.t('Parts of this run folder could not be read')), ...warnings.map((w) => h('span', { class: 'error-hint' }, w))),
    );
  }

  /** What training left out or adjusted to fit the person's data: the run went on without it. */
  renderNotes(notes: RunInfo['notes']): void {
    this.notes.hidden = !notes?.length;
    if (!notes?.length) return;
    this.notes.replaceChildren(icon('info'), h('div', { class: 'error-text' }, h('strong', {}, l10n.t('Training went on with the data adjusted')), ...notes.map((n) => h('span', { class: 'error-hint' }, n))));
  }

  /** The family's grids, in its order, each waiting for its first image; any other figure goes. */
  setGrids(grids: GridCaption[]): void {
    this.captions = new Map(grids.map((g) => [g.kind, g]));
    for (const [kind, f] of this.sampleFigures) {
      if (!this.captions.has(kind)) {
        f.figure.remove();
        this.sampleFigures.delete(kind);
      }
    }
    for (const g of grids) this.samples.append(this.sampleFigure(g.kind).figure);
  }

  private sampleFigure(kind: string) {
    const info = this.captions.get(kind) ?? { kind, title: kind, note: '' };
    let entry = this.sampleFigures.get(kind);
    if (entry) return entry;
    const img = h('img', { id: `sample-${kind}`, class: 'sample-img', alt: info.note ? `${info.title}: ${info.note}` : info.title, hidden: true, decoding: 'async' });
    const step = h('span', { class: 'sample-step' });
    const empty = h('div', { class: 'sample-empty' }, icon('file-media'), h('span', {}, l10n.t('No samples yet')));
    const frame = h('div', { class: 'sample-frame', 'data-empty': '' }, img, empty);
    const figure = h(
      'figure',
      { class: 'sample', 'data-kind': kind },
      h('figcaption', {}, h('span', { class: 'sample-title' }, info.title), step),
      frame,
      info.note ? h('p', { class: 'sample-note' }, `(${info.note})`) : null,
    );
    this.samples.append(figure);
    entry = { figure, frame, img, step, empty };
    this.sampleFigures.set(kind, entry);
    return entry;
  }

  renderSamples(samples: SampleImage[]): void {
    for (const s of samples) {
      const f = this.sampleFigure(s.kind);
      if (f.img.getAttribute('src') !== s.uri) f.img.src = s.uri;
      f.img.hidden = false;
      f.img.dataset.step = String(s.step);
      f.empty.hidden = true;
      delete f.frame.dataset.empty;
      setText(f.step, l10n.t('step {0}', formatCount(s.step)));
    }
  }

  /** Clears samples and evals (another run was loaded). */
  clearRunParts(): void {
    for (const f of this.sampleFigures.values()) {
      f.img.hidden = true;
      f.img.removeAttribute('src');
      f.empty.hidden = false;
      f.frame.dataset.empty = '';
      setText(f.step, '');
    }
    this.stopRequested = false;
    this.state = undefined;
  }

  /** The table of evaluations, newest first, led by the run's score (`scoreKey`, the one its best checkpoint goes by) with the best row marked. */
  renderEvals(evals: RunInfo['evals'], lossKey: string, scoreKey?: string): void {
    const keys: string[] = [];
    for (const e of evals) for (const k of Object.keys(e.values)) if (!keys.includes(k)) keys.push(k);
    const wanted = scoreKey && keys.includes(scoreKey) ? scoreKey : `test${lossKey.charAt(0).toUpperCase()}${lossKey.slice(1)}`;
    const primary = keys.includes(wanted) ? wanted : keys[0];
    if (primary) keys.unshift(...keys.splice(keys.indexOf(primary), 1));
    this.evalTable.hidden = evals.length === 0;
    this.evalEmpty.hidden = evals.length > 0;
    this.evalHead.replaceChildren(
      h('th', { scope: 'col' }, l10n.t('Step')),
      ...keys.map((k) => h('th', { scope: 'col', class: k === primary ? 'num primary' : 'num' }, metricLabel(k))),
    );
    let best = -1;
    evals.forEach((e, i) => {
      const v = e.values[primary];
      if (v !== undefined && (best < 0 || v < evals[best].values[primary])) best = i;
    });
    const rows: HTMLElement[] = [];
    for (let i = evals.length - 1; i >= 0; i--) {
      const e = evals[i];
      const isBest = i === best;
      rows.push(
        h(
          'tr',
          { class: isBest ? 'best' : undefined, 'data-step': e.step },
          h('th', { scope: 'row' }, formatCount(e.step), isBest ? h('span', { class: 'best-badge', title: l10n.t('Lowest {0}', metricLabel(primary)) }, icon('star-full'), l10n.t('best')) : null),
          ...keys.map((k) => h('td', { class: k === primary ? 'num primary' : 'num' }, formatValue(e.values[k]))),
        ),
      );
    }
    this.evalBody.replaceChildren(...rows);
  }
}
