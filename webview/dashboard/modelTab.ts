/**
 * The dashboard's Model tab: the architecture (every network's layers with shapes and parameter
 * counts), per-layer weight norms, gradient norms and update-to-weight ratios as small charts that
 * follow the run, and each layer's activation histogram at an evaluation picked with a slider.
 * Drawn only while the tab is in view; updates that arrive meanwhile are drawn when it is shown.
 */
import { formatCount, formatValue } from '../../src/protocol/format';
import { type ActivationsRecord, addNormsRecord, type Architecture, type InspectorView, type NormsRecord } from '../../src/protocol/inspector';
import { h, icon, setText } from '../shared/dom';
import { l10n } from '../shared/l10n';
import { histogramBars, sparkline, sparkPath } from './sparkline';

/** Update-to-weight ratios outside this band are flagged: a layer that barely learns, or one rewritten each step. */
const RATIO_LOW = 1e-5;
const RATIO_HIGH = 0.1;

type NormColumn = 'weightNorm' | 'gradientNorm' | 'updateRatio';
/** `symbol` heads the column (the panel is often narrow); `title` says it in words, as its tooltip and to screen readers. */
const COLUMNS: { key: NormColumn; symbol: string; title: string; log: boolean }[] = [
  { key: 'weightNorm', symbol: '‖W‖', title: l10n.t('Weight norm'), log: false },
  { key: 'gradientNorm', symbol: '‖∇W‖', title: l10n.t('Gradient norm (log scale)'), log: true },
  { key: 'updateRatio', symbol: '‖ΔW‖/‖W‖', title: l10n.t('Update-to-weight ratio (log scale)'), log: true },
];

export class ModelTab {
  readonly element: HTMLElement;
  private inspector: InspectorView = emptyInspector();
  /** Whether the run is still training (the empty notes say "appears when…" rather than "none"). */
  private live = false;
  private visible = false;
  private dirty = true;
  /** The activations' slider follows the newest evaluation until the person moves it elsewhere. */
  private followNewest = true;
  private readonly architectureBody = h('div', { class: 'architecture' });
  private readonly architectureTotal = h('span', { class: 'card-meta', id: 'architecture-total' });
  private readonly normsBody = h('div', { class: 'table-scroll tall' });
  private readonly normsMeta = h('span', { class: 'card-meta' });
  private readonly activationsBody = h('div', { class: 'table-scroll tall' });
  private readonly slider = h('input', { type: 'range', id: 'activation-step', min: 0, max: 0, step: 1, value: 0, 'aria-label': l10n.t('Evaluation step') });
  private readonly sliderValue = h('output', { for: 'activation-step', class: 'smoothing-value' });
  private readonly sliderLabel: HTMLElement;

  constructor() {
    this.sliderLabel = h('label', { class: 'smoothing', for: 'activation-step' }, h('span', { class: 'control-label' }, l10n.t('Step')), this.slider, this.sliderValue);
    const card = (id: string, title: string, meta: HTMLElement | null, body: HTMLElement, hint?: string) =>
      h(
        'section',
        { class: 'card', id, 'aria-labelledby': `${id}-heading` },
        h('div', { class: 'card-header' }, h('h2', { id: `${id}-heading` }, title), meta),
        body,
        hint ? h('p', { class: 'chart-hint' }, hint) : null,
      );
    this.element = h(
      'div',
      { class: 'model-tab' },
      card('architecture-card', l10n.t('Architecture'), this.architectureTotal, this.architectureBody),
      card(
        'norms-card',
        l10n.t('Weights and gradients per layer'),
        this.normsMeta,
        this.normsBody,
        l10n.t('An update-to-weight ratio near 1e-3 is healthy; far below, the layer barely learns; near 1, it is rewritten at every step. A gradient norm of 0 is a layer that no longer learns (dead units); one that grows step after step is exploding.'),
      ),
      card(
        'activations-card',
        l10n.t('Activations on a fixed batch'),
        this.sliderLabel,
        this.activationsBody,
        l10n.t('Each layer\'s outputs at an evaluation, on the same inputs every time: the first 64 test examples into inputs shaped like the data, fixed standard normal draws into the others (a latent code). Near 100 % zeros after a ReLU is a dead layer.'),
      ),
    );
    this.slider.addEventListener('input', () => {
      this.followNewest = Number(this.slider.value) === this.inspector.activations.length - 1;
      this.renderActivations();
    });
  }

  /** Shows `inspector`, which the tab's add* methods then update in place (it is the run's, saved with the page's state). */
  load(inspector: InspectorView, live: boolean): void {
    this.inspector = inspector;
    this.live = live;
    this.followNewest = true;
    this.changed();
  }

  setLive(live: boolean): void {
    if (live === this.live) return;
    this.live = live;
    this.changed();
  }

  setArchitecture(architecture: Architecture): void {
    this.inspector.architecture = architecture;
    this.changed();
  }

  addNorms(record: NormsRecord): void {
    addNormsRecord(this.inspector.norms, record);
    this.changed();
  }

  addActivations(record: ActivationsRecord): void {
    const list = this.inspector.activations;
    if (record.step <= (list.at(-1)?.step ?? -1)) return;
    list.push(record);
    this.changed();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.changed();
  }

  private changed(): void {
    this.dirty = true;
    if (!this.visible) return;
    requestAnimationFrame(() => this.render());
  }

  private render(): void {
    if (!this.dirty || !this.visible) return;
    this.dirty = false;
    this.renderArchitecture();
    this.renderNorms();
    this.renderActivations();
  }

  private emptyNote(whenLive: string, otherwise: string): HTMLElement {
    return h('p', { class: 'empty-note' }, this.live ? whenLive : otherwise);
  }

  private renderArchitecture(): void {
    const a = this.inspector.architecture;
    setText(this.architectureTotal, a ? l10n.t('{0} parameters', formatCount(a.parameters)) : '');
    if (!a) {
      this.architectureBody.replaceChildren(this.emptyNote(l10n.t('The architecture appears when training starts.'), l10n.t('This run was recorded before GenLab kept its model\'s architecture.')));
      return;
    }
    const notes = (a.notes ?? []).map((n) => h('p', { class: 'inspector-note' }, icon('info'), h('span', {}, n)));
    const tables = a.networks.map((n) =>
      h(
        'table',
        { class: 'eval-table architecture-table', 'data-network': n.name },
        h('caption', {}, h('strong', {}, n.name), ` · ${l10n.t('{0} parameters', formatCount(n.parameters))}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, l10n.t('Layer')), h('th', { scope: 'col' }, l10n.t('Type')), h('th', { scope: 'col' }, l10n.t('Output shape')), h('th', { scope: 'col', class: 'num' }, l10n.t('Parameters')))),
        h(
          'tbody',
          {},
          ...n.layers.map((l) => h('tr', {}, h('th', { scope: 'row' }, l.name), h('td', {}, l.className), h('td', { class: 'shape' }, l.outputShape), h('td', { class: 'num' }, formatCount(l.parameters)))),
        ),
      ),
    );
    this.architectureBody.replaceChildren(...notes, ...tables);
  }

  private renderNorms(): void {
    const { steps, layers } = this.inspector.norms;
    const every = steps.length > 2 ? steps[2] - steps[1] : undefined;
    setText(this.normsMeta, steps.length ? (every ? l10n.t('every {0} steps, last at step {1}', formatCount(every), formatCount(steps.at(-1)!)) : l10n.t('last at step {0}', formatCount(steps.at(-1)!))) : '');
    if (layers.length === 0) {
      this.normsBody.replaceChildren(this.emptyNote(l10n.t('Norms appear after the first step.'), l10n.t('No norms were recorded for this run.')));
      return;
    }
    const rows = layers.map((layer) => {
      const cells = COLUMNS.map((c) => {
        const values = layer[c.key];
        const latest = newest(values);
        const { svg, path } = sparkline(l10n.t('{0} of {1}, latest {2}', c.title, layer.layer, formatValue(latest)));
        path.setAttribute('d', sparkPath(values, { log: c.log }));
        return h('td', { class: 'spark-cell' }, svg, h('span', { class: 'spark-value' }, formatValue(latest)));
      });
      const flag = normsFlag(newest(layer.gradientNorm), newest(layer.updateRatio));
      return h(
        'tr',
        { 'data-layer': layer.layer, 'data-flag': flag?.kind },
        h('th', { scope: 'row' }, h('span', { class: 'layer-network' }, layer.network), h('span', {}, layer.layer, flag ? h('span', { class: 'layer-flag', title: flag.text }, icon('warning'), h('span', { class: 'visually-hidden' }, flag.text)) : null)),
        ...cells,
      );
    });
    this.normsBody.replaceChildren(
      h(
        'table',
        { class: 'eval-table norms-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, l10n.t('Layer')), ...COLUMNS.map((c) => h('th', { scope: 'col', title: c.title, 'aria-label': c.title }, c.symbol)))),
        h('tbody', {}, ...rows),
      ),
    );
  }

  private renderActivations(): void {
    const list = this.inspector.activations;
    this.sliderLabel.hidden = list.length < 2;
    if (list.length === 0) {
      const none = this.inspector.architecture && !this.live ? l10n.t('No activations were recorded: the model names no layers networks.') : l10n.t('No activations were recorded for this run.');
      this.activationsBody.replaceChildren(this.emptyNote(l10n.t('Histograms appear at the first evaluation.'), none));
      setText(this.sliderValue, '');
      return;
    }
    this.slider.max = String(list.length - 1);
    if (this.followNewest) this.slider.value = String(list.length - 1);
    const record = list[Math.min(Number(this.slider.value), list.length - 1)];
    setText(this.sliderValue, formatCount(record.step));
    this.slider.setAttribute('aria-valuetext', l10n.t('step {0}', formatCount(record.step)));
    const rows = record.layers.map((l) =>
      h(
        'tr',
        { 'data-layer': l.layer, 'data-dead': l.zeros > 0.99 ? '' : undefined },
        h('th', { scope: 'row' }, h('span', { class: 'layer-network' }, l.network), h('span', {}, l.layer)),
        h('td', { class: 'histogram-cell' }, histogramBars(l.counts, l10n.t('Histogram of {0} from {1} to {2}', l.layer, formatValue(l.min), formatValue(l.max)))),
        h(
          'td',
          { class: 'activation-stats' },
          h('span', {}, `${formatValue(l.min)} … ${formatValue(l.max)}`),
          h('span', {}, `${formatValue(l.mean)} ± ${formatValue(l.std)}`),
          h('span', {}, l10n.t('{0} % zeros', (l.zeros * 100).toFixed(l.zeros > 0 && l.zeros < 0.01 ? 1 : 0))),
        ),
      ),
    );
    this.activationsBody.replaceChildren(
      h(
        'table',
        { class: 'eval-table activations-table', 'data-step': record.step },
        h('thead', {}, h('tr', {}, ...[l10n.t('Layer'), l10n.t('Histogram'), l10n.t('Range, mean ± sd, zeros')].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      ),
    );
  }
}

export function emptyInspector(): InspectorView {
  return { norms: { steps: [], layers: [] }, activations: [] };
}

function newest(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

/** What the latest norms say is wrong with a layer, if anything. */
function normsFlag(gradient: number | null, ratio: number | null): { kind: string; text: string } | undefined {
  if (gradient === 0) return { kind: 'no-gradient', text: l10n.t('No gradient reaches this layer: it does not learn.') };
  if (ratio !== null && ratio < RATIO_LOW) return { kind: 'slow', text: l10n.t('Updates are tiny next to the weights: this layer barely learns.') };
  if (ratio !== null && ratio > RATIO_HIGH) return { kind: 'fast', text: l10n.t('Updates are large next to the weights: this layer is rewritten at every step.') };
  return undefined;
}
