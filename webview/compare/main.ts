/**
 * The comparison page (a webview panel, browser, no Node). Posts `ready`; the host answers with
 * `init`: the runs picked, each with its whole history and settings. It shows one card per run,
 * grouped by dataset (its density view, or its newest sample grid for images, and its score in
 * the terms of its kind of density), the loss curves on one chart, and the table of settings and
 * final metrics with the differing cells marked. The run ids are kept in the webview state, from
 * which the host restores the panel after a reload.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode/codicons/dist/codicon.css';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import '../dashboard/dashboard.css';
import './compare.css';
import uPlot from 'uplot';
import { datasetTitle } from '../../src/protocol/external';
import { decode } from '../../src/protocol/decode';
import { FAMILY_SPECS, type Family } from '../../src/protocol/families';
import { metricLabel } from '../../src/protocol/metricLabels';
import { type FromCompare, type RunView, type ToCompare, toCompare } from '../../src/protocol/webview';
import { DensityView } from '../dashboard/densityView';
import { readChartTheme, watchTheme } from '../dashboard/theme';
import { byId, h, icon } from '../shared/dom';
import { formatCompact, formatCount, formatTick, formatValue } from '../../src/protocol/format';
import { densityKindLabel, STATE_LOOK, summaryAfterKind } from '../shared/runState';
import { vscodeApi } from '../shared/vscodeApi';
import { alignSeries, architectureRows, finalEval, groupByDataset, metricRows, scoreText, settingsRows, type TableRow } from './model';
import { l10n } from '../shared/l10n';

type CompareRun = Extract<ToCompare, { type: 'init' }>['runs'][number];

/** What survives a reload of the page: the host revives the panel from `runIds`. */
interface PageState {
  runIds: string[];
  logScale?: boolean;
}

const api = vscodeApi<PageState>();
const post = (message: FromCompare): void => api.postMessage(message);
const app = byId('app');
let densityViews: DensityView[] = [];
let chart: { plot: uPlot; runs: RunView[]; host: HTMLElement } | undefined;
let logScale = api.getState()?.logScale ?? false;
let runIds: string[] = [];
const saveState = (): void => void api.setState({ runIds, logScale });

function stateBadge(view: RunView): HTMLElement {
  const look = STATE_LOOK[view.state];
  return h('span', { class: 'state-badge', 'data-tone': look.tone }, icon(look.icon), h('span', {}, look.label));
}

/** For runs without a density view (images): the taxonomy line the density view would show, and the newest main sample grid. */
function sampleBody(view: RunView): HTMLElement[] {
  const lead = densityKindLabel(view.density.kind);
  const summary = summaryAfterKind(lead, view.density.summary);
  const kindLine = h('p', { class: 'density-kind compare-kind' }, icon(view.density.kind === 'implicit' ? 'symbol-event' : 'graph'), h('span', {}, h('strong', {}, `${lead}:`), summary ? ` ${summary}` : ''));
  const main = view.grids?.[0];
  const grid = view.samples.find((s) => s.kind === (main?.kind ?? 'samples'));
  if (!grid) return [kindLine, h('p', { class: 'compare-empty' }, l10n.t('No samples yet.'))];
  return [
    kindLine,
    h(
      'figure',
      { class: 'compare-figure' },
      h('img', { class: 'compare-grid', src: grid.uri, alt: l10n.t('{0} from {1} at step {2}', main?.title ?? l10n.t('Samples'), view.title, formatCount(grid.step)) }),
      h('figcaption', { class: 'compare-caption' }, l10n.t('{0} · step {1}', main?.title ?? l10n.t('Samples'), formatCount(grid.step))),
    ),
  ];
}

function card(view: RunView, index: number): HTMLElement {
  const familyTitle = view.module?.title ?? view.external?.title ?? FAMILY_SPECS[view.family as Family]?.title ?? view.family;
  const images = view.dataKind === 'images';
  const { score, note } = scoreText(view.density, finalEval(view.evals), images ? FAMILY_SPECS[view.family as Family]?.imageLikelihood : undefined);
  const headingId = `compare-title-${index}`;
  const open = h('vscode-button', { secondary: true, title: l10n.t('Open the dashboard of {0}', view.title) }, icon('graph-line'), ` ${l10n.t('Dashboard')}`);
  open.addEventListener('click', () => post({ type: 'openRun', runId: view.runId }));
  let body: HTMLElement[];
  if (view.densityGrid) {
    const density = new DensityView(`-${index}`);
    density.render({ density: view.density, densityGrid: view.densityGrid, evals: view.evals });
    densityViews.push(density);
    body = [density.element];
  } else {
    body = sampleBody(view);
  }
  return h(
    'section',
    { class: 'card compare-card', 'aria-labelledby': headingId, 'data-run-id': view.runId, 'data-family': view.family, 'data-kind': view.density.kind },
    h('div', { class: 'card-header' }, h('h2', { id: headingId }, view.title), h('div', { class: 'compare-card-actions' }, stateBadge(view), open)),
    // A renamed run's title no longer says which family it is.
    view.title.startsWith(familyTitle) ? '' : h('p', { class: 'compare-family' }, familyTitle),
    h('p', { class: 'compare-score' }, h('span', { class: 'score' }, score), note ? h('span', { class: 'score-note' }, ` (${note})`) : ''),
    ...body,
  );
}

function drawChart(runs: RunView[], host: HTMLElement): void {
  chart?.plot.destroy();
  const { steps, columns } = alignSeries(
    runs.map((r) => ({ steps: r.history.steps, values: r.history.series[r.lossKey] ?? [] })),
    logScale,
  );
  const theme = readChartTheme();
  const font = `${theme.fontSize}px ${theme.fontFamily}`;
  const width = Math.max(320, host.clientWidth || 640);
  const plot = new uPlot(
    {
      width,
      height: Math.round(Math.min(360, width * 0.45)),
      scales: { x: { time: false }, y: logScale ? { distr: 3, log: 10 } : {} },
      axes: [
        { label: l10n.t('step'), stroke: theme.muted, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid }, font, labelFont: font, values: (_u, ticks) => ticks.map(formatCompact) },
        {
          stroke: theme.muted,
          grid: { stroke: theme.grid },
          ticks: { stroke: theme.grid },
          font,
          size: 60,
          values: (_u, ticks, _i, _space, incr) => ticks.map((t) => (t === null ? '' : formatTick(t, logScale ? t / 10 : incr))),
        },
      ],
      series: [
        { label: l10n.t('step'), value: (_u, v) => (v === null ? '—' : formatCount(v)) },
        ...runs.map((r, i) => ({ label: `${r.title}: ${metricLabel(r.lossKey)}`, stroke: theme.series[i % theme.series.length], width: 1.5, spanGaps: true, value: (_u: uPlot, v: number | null) => formatValue(v) })),
      ],
    },
    [steps, ...columns] as uPlot.AlignedData,
    host,
  );
  host.dataset.series = String(runs.length);
  chart = { plot, runs, host };
}

const chartResize = new ResizeObserver(() => {
  if (!chart) return;
  const width = Math.max(320, chart.host.clientWidth);
  if (width !== chart.plot.width) chart.plot.setSize({ width, height: Math.round(Math.min(360, width * 0.45)) });
});

function tableRows(rows: TableRow[]): HTMLElement[] {
  return rows.map((row) =>
    h(
      'tr',
      row.differs.some(Boolean) ? { class: 'differs' } : {},
      h('th', { scope: 'row' }, row.key),
      ...row.values.map((v, i) => (row.differs[i] ? h('td', { class: 'differs' }, v, h('span', { class: 'visually-hidden' }, ` (${l10n.t('differs')})`)) : h('td', {}, v))),
    ),
  );
}

function settingsTable(runs: CompareRun[]): HTMLElement {
  const architecture = architectureRows(runs.map((r) => r.view.inspector?.architecture));
  const section = (title: string) => h('tr', { class: 'compare-table-section' }, h('th', { scope: 'colgroup', colspan: runs.length + 1 }, title));
  return h(
    'div',
    { class: 'compare-table-scroll' },
    h(
      'table',
      { class: 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, l10n.t('Setting'))), ...runs.map((r) => h('th', { scope: 'col' }, r.view.title)))),
      h('tbody', {}, section(l10n.t('Settings')), ...tableRows(settingsRows(runs.map((r) => ({ config: r.config, without: FAMILY_SPECS[r.view.family as Family]?.without }))))),
      h('tbody', {}, section(l10n.t('Final metrics')), ...tableRows(metricRows(runs.map((r) => finalEval(r.view.evals))))),
      architecture.length ? h('tbody', { id: 'compare-architecture' }, section(l10n.t('Architecture')), ...tableRows(architecture)) : null,
    ),
  );
}

function render(runs: CompareRun[]): void {
  densityViews = [];
  const views = runs.map((r) => r.view);
  const groups = groupByDataset(views);
  const mixed = groups.length > 1;
  let index = 0;
  const chartHost = h('div', { id: 'compare-chart', class: 'compare-chart' });
  const logBox = h('vscode-checkbox', { id: 'compare-log-scale', label: l10n.t('Log scale'), checked: logScale }) as HTMLElement & { checked: boolean };
  logBox.addEventListener('change', () => {
    logScale = logBox.checked;
    saveState();
    if (chart) drawChart(chart.runs, chart.host);
  });
  app.replaceChildren(
    h(
      'header',
      { class: 'compare-header' },
      h('h1', {}, l10n.t('Comparing {0} runs', runs.length)),
      mixed ? '' : h('p', {}, l10n.t("All on {0}: the same data, seen through each family's kind of density.", datasetTitle(groups[0]?.dataset ?? ''))),
    ),
    mixed
      ? h(
          'div',
          { id: 'dataset-warning', class: 'error-banner warning-banner', role: 'status' },
          icon('warning'),
          h(
            'div',
            { class: 'error-text' },
            h('strong', {}, l10n.t('These runs are on {0} different datasets', groups.length)),
            h('span', { class: 'error-hint' }, l10n.t('{0}: scores compare only within a dataset, so the runs are grouped by it below.', groups.map((g) => datasetTitle(g.dataset)).join(', '))),
          ),
        )
      : '',
    ...groups.map((group) =>
      h(
        'section',
        { class: 'compare-group', 'data-dataset': group.dataset, 'aria-label': datasetTitle(group.dataset) },
        mixed ? h('h2', { class: 'compare-group-title' }, group.runs.length === 1 ? l10n.t('{0} · 1 run', datasetTitle(group.dataset)) : l10n.t('{0} · {1} runs', datasetTitle(group.dataset), group.runs.length)) : '',
        h('div', { class: 'compare-cards' }, ...group.runs.map((view) => card(view, index++))),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'compare-chart-heading' },
      h('div', { class: 'card-header' }, h('h2', { id: 'compare-chart-heading' }, l10n.t('Loss curves')), logBox),
      chartHost,
      h(
        'p',
        { class: 'chart-hint' },
        l10n.t("Each run's main training loss against its step. Only the likelihood-based losses are in nats; a GAN's or a diffusion model's loss is on its own scale. A log scale leaves out values ≤ 0."),
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'compare-table-heading' },
      h('div', { class: 'card-header' }, h('h2', { id: 'compare-table-heading' }, l10n.t('Settings, final metrics and architecture'))),
      h('p', { class: 'chart-hint' }, l10n.t('Highlighted cells differ from the other runs.')),
      settingsTable(runs),
    ),
  );
  chartResize.disconnect();
  requestAnimationFrame(() => {
    drawChart(views, chartHost);
    chartResize.observe(chartHost);
  });
  runIds = views.map((v) => v.runId);
  saveState();
}

window.addEventListener('message', (event: MessageEvent) => {
  const result = decode(toCompare, event.data, 'message');
  if (result.ok) render(result.value.runs);
});
watchTheme(() => {
  for (const d of densityViews) d.themeChanged();
  if (chart) drawChart(chart.runs, chart.host);
});
post({ type: 'ready' });
