/**
 * Dashboard webview entry (browser, no Node). On load it redraws the state VS Code kept for it
 * (so a reloaded panel is never blank), then posts `ready`; the host answers with `init` (the
 * run's whole history) and streams `metrics`, `eval`, `samples`, `density` and `status`. Every
 * message is checked with the protocol's decoder; one that does not decode is logged and dropped.
 */
import '@vscode/codicons/dist/codicon.css';
import '../shared/base.css';
import './dashboard.css';
import { decode } from '../../src/protocol/decode';
import { DASHBOARD_TABS, type DashboardTab, type FromDashboard, type RunView, toDashboard, type ToDashboard } from '../../src/protocol/webview';
import { canStop } from '../shared/runState';
import { byId } from '../shared/dom';
import { throttle, vscodeApi } from '../shared/vscodeApi';
import { LossChart } from './lossChart';
import { emptyInspector } from './modelTab';
import { MetricStore } from './series';
import { clampSmoothing, SMOOTHING_DEFAULT } from './smoothing';
import { watchTheme } from './theme';
import { DashboardView, type RunInfo } from './view';

/** What VS Code keeps for the panel across reloads (and hands to the host's panel serializer). */
interface SavedState {
  v: 1;
  runId?: string;
  /** The run with a compacted history (≤ SAVED_POINTS points). */
  run?: RunView;
  settings: { smoothing: number; log: boolean; hidden: string[]; tab: DashboardTab };
}

const SAVED_POINTS = 1200;
/** Minimum time between two `drawn` reports. */
const DRAWN_INTERVAL_MS = 100;

const api = vscodeApi<SavedState>();
const post = (message: FromDashboard): void => api.postMessage(message);

const saved = readSavedState();
const settings = saved?.settings ?? { smoothing: SMOOTHING_DEFAULT, log: false, hidden: [], tab: 'training' };
const store = new MetricStore(settings.smoothing);
let run: RunInfo | undefined;

const view = new DashboardView(byId('app'), {
  stop: () => post({ type: 'stop' }),
  sampleNow: () => post({ type: 'sampleNow' }),
  smoothing: (w) => {
    settings.smoothing = clampSmoothing(w);
    chart.configure({ smoothing: settings.smoothing });
    save();
  },
  logScale: (on) => {
    settings.log = on;
    chart.configure({ log: on });
    save();
  },
  resetZoom: () => chart.resetZoom(),
  tabChanged: (tab) => {
    settings.tab = tab;
    save();
  },
});
view.setControls(settings.smoothing, settings.log);
view.showTab(settings.tab);

// Latency reporting: the newest streamed point not yet drawn, and the last report's time.
let newest: { step: number; sentAt: number } | undefined;
let lastReport = 0;
let reportTimer: ReturnType<typeof setTimeout> | undefined;
let pendingReport: Extract<FromDashboard, { type: 'drawn' }> | undefined;

// The newest streamed latencies of this page, so that tests can read percentiles off the chart
// element; bounded, as a dashboard may stay open for days of training.
const LATENCY_WINDOW = 2000;
const latencies: number[] = [];

function exposeLatency(ms: number): void {
  latencies.push(ms);
  if (latencies.length > LATENCY_WINDOW) latencies.shift();
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  view.chart.dataset.latencyP50 = at(0.5);
  view.chart.dataset.latencyP95 = at(0.95);
  view.chart.dataset.latencyCount = String(sorted.length);
}

const chart = new LossChart(view.chart, view.legend, store, saved?.run?.lossKey ?? '', settings, {
  onDrawn: () => {
    if (!newest) return;
    const latencyMs = Math.max(0, Date.now() - newest.sentAt);
    exposeLatency(latencyMs);
    pendingReport = { type: 'drawn', step: newest.step, latencyMs, points: store.length };
    newest = undefined;
    flushReport();
  },
  onZoomChange: (zoomed) => view.setZoomed(zoomed),
  onHiddenChange: (hidden) => {
    settings.hidden = hidden;
    save();
  },
});

function flushReport(): void {
  if (!pendingReport || reportTimer !== undefined) return;
  const wait = lastReport + DRAWN_INTERVAL_MS - Date.now();
  if (wait > 0) {
    reportTimer = setTimeout(() => {
      reportTimer = undefined;
      flushReport();
    }, wait);
    return;
  }
  lastReport = Date.now();
  post(pendingReport);
  pendingReport = undefined;
}

// While metrics stream, the header's counters are redrawn ten times a second at most.
let headerPending = false;
let headerDrawn = 0;
function renderHeaderSoon(): void {
  if (headerPending) return;
  headerPending = true;
  setTimeout(
    () =>
      requestAnimationFrame(() => {
        headerPending = false;
        headerDrawn = performance.now();
        if (run) view.renderHeader(run);
      }),
    Math.max(0, headerDrawn + 100 - performance.now()),
  );
}

function writeState(): void {
  const state: SavedState = { v: 1, settings: { ...settings } };
  if (run) {
    state.runId = run.runId;
    state.run = { ...run, history: store.compact(SAVED_POINTS) };
  }
  api.setState(state);
}
const save = throttle(writeState, 1000);

function handle(msg: ToDashboard): void {
  switch (msg.type) {
    case 'init': {
      const { history, ...info } = msg.run;
      const another = run?.runId !== info.runId;
      run = info;
      store.load(history);
      newest = undefined;
      if (another) {
        view.clearRunParts();
        chart.reset();
      }
      chart.setLossKey(info.lossKey);
      chart.refresh();
      view.renderHeader(info);
      view.setDataKind(info.dataKind === 'images', info.density.kind, Boolean(info.external));
      view.renderError(info.error);
      view.renderWarnings(info.warnings);
      view.renderNotes(info.notes);
      view.setGrids(info.grids ?? []);
      view.renderSamples(info.samples);
      view.renderEvals(info.evals, info.lossKey, info.density.metric);
      view.densityView.render(info);
      view.modelTab.load((info.inspector ??= emptyInspector()), canStop(info.state));
      // At once, not throttled: the host's panel serializer finds the run by the saved runId.
      writeState();
      return;
    }
    case 'metrics': {
      if (!run) return;
      let grew = false;
      for (const p of msg.points) {
        const result = store.append(p.step, p.values);
        if (result === 'ignored') continue;
        if (result === 'new-keys') chart.rebuild();
        grew = true;
        newest = { step: p.step, sentAt: p.sentAt };
        run.step = p.step;
        run.epoch = p.epoch;
      }
      run.stepsPerSecond = msg.stepsPerSecond;
      if (grew) chart.refresh();
      renderHeaderSoon();
      break;
    }
    case 'eval': {
      if (!run) return;
      const i = run.evals.findIndex((e) => e.step === msg.step);
      const entry = { step: msg.step, values: msg.values };
      if (i >= 0) run.evals[i] = entry;
      else {
        run.evals.push(entry);
        run.evals.sort((a, b) => a.step - b.step);
      }
      view.renderEvals(run.evals, run.lossKey, run.density.metric);
      view.densityView.render(run);
      break;
    }
    case 'density': {
      if (!run) return;
      if (run.densityGrid && msg.step < run.densityGrid.step) return;
      run.densityGrid = { step: msg.step, grid: msg.grid };
      view.densityView.render(run);
      break;
    }
    case 'samples': {
      if (!run) return;
      run.samples = [...run.samples.filter((s) => s.kind !== msg.image.kind), msg.image];
      view.renderSamples([msg.image]);
      break;
    }
    case 'architecture':
    case 'norms':
    case 'activations': {
      if (!run) return;
      if (msg.type === 'architecture') view.modelTab.setArchitecture(msg.architecture);
      else if (msg.type === 'norms') view.modelTab.addNorms(msg.record);
      else view.modelTab.addActivations(msg.record);
      break;
    }
    case 'showTab':
      settings.tab = msg.tab;
      view.showTab(msg.tab);
      break;
    case 'status': {
      if (!run) return;
      run.state = msg.state;
      view.modelTab.setLive(canStop(msg.state));
      if (msg.error) run.error = msg.error;
      view.renderHeader(run);
      view.renderError(run.error);
      break;
    }
  }
  save();
}

function readSavedState(): SavedState | undefined {
  const state = api.getState();
  if (!state || state.v !== 1) return undefined;
  const s = state.settings;
  const out: SavedState = {
    v: 1,
    settings: {
      smoothing: clampSmoothing(Number(s?.smoothing)),
      log: s?.log === true,
      hidden: Array.isArray(s?.hidden) ? s.hidden.filter((k) => typeof k === 'string') : [],
      tab: DASHBOARD_TABS.includes(s?.tab) ? s.tab : 'training',
    },
  };
  if (state.run) {
    // The saved run goes through the same decoder as the host's `init`.
    const r = decode(toDashboard, { type: 'init', run: state.run }, 'savedState');
    if (r.ok && r.value.type === 'init') out.run = r.value.run;
    else console.warn('GenLab dashboard: saved state ignored:', r.ok ? 'not an init' : r.error);
  }
  return out;
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const r = decode(toDashboard, event.data, 'message');
  if (!r.ok) {
    console.warn('GenLab dashboard: ignored a message that does not fit the protocol:', r.error);
    return;
  }
  handle(r.value);
});

watchTheme(() => {
  chart.themeChanged();
  view.densityView.themeChanged();
});

if (saved?.run) handle({ type: 'init', run: saved.run });
post({ type: 'ready' });
