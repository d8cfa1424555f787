/**
 * The comparison page (a webview panel, browser, no Node). Posts `ready`; the host answers with
 * `init`: the runs picked, each with its whole history. It shows one card per run (its density
 * view, or its newest sample grid for images, and its score in the terms of its kind of density),
 * the loss curves on one chart, and the settings table with the differences marked. The run ids
 * are kept in the webview state, from which the host restores the panel after a reload.
 */
import '@vscode/codicons/dist/codicon.css';
import 'uplot/dist/uPlot.min.css';
import '../shared/base.css';
import '../dashboard/dashboard.css';
import './compare.css';
import uPlot from 'uplot';
import { DATASET_LABELS, type DatasetName } from '../../src/protocol/datasets';
import { decode } from '../../src/protocol/decode';
import { metricLabel } from '../../src/protocol/metricLabels';
import { type FromCompare, type RunView, type ToCompare, toCompare } from '../../src/protocol/webview';
import { DensityView } from '../dashboard/densityView';
import { readChartTheme, watchTheme } from '../dashboard/theme';
import { byId, h, icon } from '../shared/dom';
import { densityKindLabel } from '../shared/runState';
import { vscodeApi } from '../shared/vscodeApi';
import { alignSeries, scoreText, settingsRows } from './model';

const api = vscodeApi<{ runIds: string[] }>();
const post = (message: FromCompare): void => api.postMessage(message);
const app = byId('app');
let densityViews: DensityView[] = [];
let chart: uPlot | undefined;
let lastRuns: Extract<ToCompare, { type: 'init' }>['runs'] = [];

function datasetTitle(name: string): string {
  return DATASET_LABELS[name as DatasetName]?.title ?? name;
}

function card(view: RunView, index: number): HTMLElement {
  const { score, note } = scoreText(view.density.kind, Object.assign({}, ...view.evals.map((e) => e.values)));
  const open = h('button', { class: 'link-button', type: 'button' }, icon('graph-line'), 'Open dashboard');
  open.addEventListener('click', () => post({ type: 'openRun', runId: view.runId }));
  const body: HTMLElement[] = [];
  if (view.densityGrid) {
    const density = new DensityView(`-${index}`);
    density.render({ density: view.density, densityGrid: view.densityGrid, evals: view.evals });
    densityViews.push(density);
    body.push(density.element);
  } else {
    const grid = view.samples.find((s) => s.kind === 'samples') ?? view.samples[0];
    body.push(grid ? h('img', { class: 'compare-grid', src: grid.uri, alt: `Samples from ${view.title} at step ${grid.step}` }) : h('p', { class: 'compare-empty' }, 'No samples or density view yet.'));
  }
  return h(
    'section',
    { class: 'card compare-card', 'data-run-id': view.runId, 'data-kind': view.density.kind },
    h('div', { class: 'card-header' }, h('h2', {}, view.title), open),
    // A density view says its kind itself; a grid of samples does not.
    view.densityGrid ? '' : h('p', { class: 'compare-kind' }, h('strong', {}, densityKindLabel(view.density.kind))),
    h('p', { class: 'compare-score' }, h('span', { class: 'score' }, score), note ? h('span', { class: 'score-note' }, ` (${note})`) : ''),
    ...body,
  );
}

function lossChart(runs: RunView[], host: HTMLElement): void {
  chart?.destroy();
  const { steps, columns } = alignSeries(runs.map((r) => ({ steps: r.history.steps, values: r.history.series[r.lossKey] ?? [] })));
  const theme = readChartTheme();
  const width = Math.max(320, host.clientWidth || 640);
  chart = new uPlot(
    {
      width,
      height: Math.round(Math.min(360, width * 0.45)),
      scales: { x: { time: false } },
      axes: [
        { stroke: theme.muted, grid: { stroke: theme.grid }, font: `${theme.fontSize}px ${theme.fontFamily}` },
        { stroke: theme.muted, grid: { stroke: theme.grid }, font: `${theme.fontSize}px ${theme.fontFamily}`, size: 60 },
      ],
      series: [{ label: 'step' }, ...runs.map((r, i) => ({ label: `${r.title}: ${metricLabel(r.lossKey)}`, stroke: theme.series[i % theme.series.length], width: 1.5, spanGaps: true }))],
    },
    [steps, ...columns] as uPlot.AlignedData,
    host,
  );
  host.dataset.series = String(runs.length);
}

function settingsTable(runs: Extract<ToCompare, { type: 'init' }>['runs']): HTMLElement {
  const finals = runs.map((r) => Object.assign({}, ...r.view.evals.map((e) => e.values)) as Record<string, number>);
  const metricKeys = [...new Set(finals.flatMap((f) => Object.keys(f)))];
  const rows = [
    ...settingsRows(runs.map((r) => r.config)),
    ...metricKeys.map((k) => {
      const values = finals.map((f) => (f[k] === undefined ? '—' : f[k].toFixed(3)));
      return { key: `final ${metricLabel(k)}`, values, differs: new Set(values).size > 1 };
    }),
  ];
  return h(
    'table',
    { class: 'compare-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), ...runs.map((r) => h('th', { scope: 'col' }, r.view.title)))),
    h(
      'tbody',
      {},
      ...rows.map((row) => h('tr', row.differs ? { class: 'differs' } : {}, h('th', { scope: 'row' }, row.key), ...row.values.map((v) => h('td', {}, v)))),
    ),
  );
}

function render(runs: Extract<ToCompare, { type: 'init' }>['runs']): void {
  lastRuns = runs;
  densityViews = [];
  const views = runs.map((r) => r.view);
  const datasets = [...new Set(views.map((v) => v.dataset))];
  const chartHost = h('div', { id: 'compare-chart', class: 'compare-chart' });
  app.replaceChildren(
    h(
      'header',
      { class: 'compare-header' },
      h('h1', {}, `Comparing ${runs.length} runs`),
      h('p', {}, datasets.length === 1 ? `All on ${datasetTitle(datasets[0])}: the same data, seen through each family's kind of density.` : ''),
    ),
    datasets.length > 1
      ? h('div', { class: 'error-banner warning-banner', role: 'status' }, icon('warning'), h('div', { class: 'error-text' }, h('strong', {}, 'These runs are on different data'), h('span', { class: 'error-hint' }, `${datasets.map(datasetTitle).join(', ')}: their scores do not compare. Pick runs on the same dataset.`)))
      : '',
    h('div', { class: 'compare-cards' }, ...views.map(card)),
    h('section', { class: 'card' }, h('div', { class: 'card-header' }, h('h2', {}, 'Loss curves')), chartHost, h('p', { class: 'chart-hint' }, 'Each run\'s main loss against its step. Only explicit families\' losses are in nats of likelihood.')),
    h('section', { class: 'card' }, h('div', { class: 'card-header' }, h('h2', {}, 'Settings and final metrics')), h('p', { class: 'chart-hint' }, 'Highlighted rows differ between the runs.'), settingsTable(runs)),
  );
  requestAnimationFrame(() => lossChart(views, chartHost));
  api.setState({ runIds: views.map((v) => v.runId) });
}

window.addEventListener('message', (event: MessageEvent) => {
  const result = decode(toCompare, event.data, 'message');
  if (result.ok) render(result.value.runs);
});
watchTheme(() => {
  for (const d of densityViews) d.themeChanged();
  const host = document.getElementById('compare-chart');
  if (host && lastRuns.length) lossChart(lastRuns.map((r) => r.view), host);
});
post({ type: 'ready' });
