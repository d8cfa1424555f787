/**
 * A harness for the two webviews outside VS Code: a temporary page that fakes `acquireVsCodeApi`,
 * defines a handful of VS Code theme variables (Dark Modern / Light Modern) and loads the built
 * bundles from dist/webview, opened in Debian's chromium through playwright-core (installed
 * under e2e/). Two uses:
 *
 *   measureChartFrames()   frame times while the dashboard holds 50k points and 2,000 more
 *                          stream in at ~100 Hz (plus the latency the page reports in `drawn`)
 *   captureScreenshots()   the dashboard at 600 and 450 px (and its density view for each kind
 *                          of field), the gallery at 300 px, light and dark, into
 *                          test-output/webview/, for looking at
 *
 *   npx tsx bench/webviewFrames.ts [--frames] [--screenshots] [--points N] [--only <re>]
 *
 * `withBrowser` and `openPage` are exported for ad-hoc checks (a page with the fake API, ready
 * posted; `window.__send(msg)` delivers a host message, `window.__posted` holds what it sent).
 *
 * Needs `npm run build`. The page can also carry the production CSP (`csp: true`, with `file:`
 * standing for webview.cspSource) and report any violation, to check the bundles obey it.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface FrameStats {
  points: number;
  framesMeasured: number;
  p50FrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  /** From the page's own `drawn` reports: time from a point's sentAt to its first draw. */
  drawnReports?: number;
  p50LatencyMs?: number;
  p95LatencyMs?: number;
}

type Theme = 'dark' | 'light';
type Page = 'dashboard' | 'gallery';

// Minimal structural types for the parts of playwright-core used here (it is not a dependency of
// the extension, so its types are not available to tsc).
interface PwPage {
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  goto(url: string): Promise<unknown>;
  reload(): Promise<unknown>;
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  waitForFunction<A>(fn: (arg: A) => unknown, arg?: A, opts?: { timeout?: number }): Promise<unknown>;
  screenshot(opts: { path: string; fullPage?: boolean; clip?: { x: number; y: number; width: number; height: number } }): Promise<unknown>;
  on(event: 'console' | 'pageerror', fn: (x: { text?: () => string; message?: string; type?: () => string }) => void): void;
  keyboard: { press(key: string): Promise<void> };
  click(selector: string): Promise<void>;
  hover(selector: string, opts?: { position?: { x: number; y: number } }): Promise<void>;
  mouse: { move(x: number, y: number, opts?: { steps?: number }): Promise<void>; down(): Promise<void>; up(): Promise<void> };
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(opts?: { viewport?: { width: number; height: number }; deviceScaleFactor?: number }): Promise<PwPage>;
  close(): Promise<void>;
}
interface PwChromium {
  launch(opts: { executablePath: string; headless: boolean; args: string[] }): Promise<PwBrowser>;
}

function loadPlaywright(): PwChromium | { unavailable: string } {
  const req = createRequire(__filename);
  let resolved: string;
  try {
    resolved = req.resolve('playwright-core', { paths: [path.join(ROOT, 'e2e'), ROOT] });
  } catch {
    return { unavailable: 'run npm run test:e2e once to install the browser harness' };
  }
  if (!fs.existsSync(CHROMIUM)) return { unavailable: `no chromium at ${CHROMIUM} (apt-get install -y chromium)` };
  for (const f of ['dashboard.js', 'dashboard.css', 'gallery.js', 'gallery.css']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'webview', f))) return { unavailable: 'run npm run build first (dist/webview is missing)' };
  }
  return (req(resolved) as { chromium: PwChromium }).chromium;
}

/** Colours of VS Code's Dark Modern and Light Modern themes, as VS Code sets them on <html>. */
const THEME_VARS: Record<Theme, Record<string, string>> = {
  dark: {
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    errorForeground: '#f85149',
    focusBorder: '#0078d4',
    'widget-border': '#313131',
    'widget-shadow': 'rgba(0, 0, 0, 0.36)',
    'editor-background': '#1f1f1f',
    'editor-foreground': '#cccccc',
    'editorWidget-background': '#202020',
    'editorWidget-border': '#454545',
    'editorWarning-foreground': '#cca700',
    'sideBar-background': '#181818',
    'sideBarSectionHeader-border': '#2b2b2b',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-border': 'rgba(255, 255, 255, 0.1)',
    'button-secondaryBackground': 'rgba(0, 0, 0, 0)',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#2b2b2b',
    'checkbox-background': '#313131',
    'checkbox-border': '#3c3c3c',
    'settings-checkboxBackground': '#313131',
    'settings-checkboxBorder': '#3c3c3c',
    'settings-checkboxForeground': '#cccccc',
    'input-background': '#313131',
    'input-border': '#3c3c3c',
    'progressBar-background': '#0078d4',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
    'list-hoverBackground': '#2a2d2e',
    'scrollbarSlider-background': 'rgba(121, 121, 121, 0.4)',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'testing-iconPassed': '#73c991',
    'icon-foreground': '#cccccc',
    'charts-foreground': '#cccccc',
    'charts-lines': 'rgba(204, 204, 204, 0.5)',
    'charts-red': '#f14c4c',
    'charts-blue': '#3794ff',
    'charts-yellow': '#cca700',
    'charts-orange': '#d18616',
    'charts-green': '#89d185',
    'charts-purple': '#b180d7',
  },
  light: {
    foreground: '#3b3b3b',
    descriptionForeground: '#3b3b3b',
    errorForeground: '#f85149',
    focusBorder: '#005fb8',
    'widget-border': '#e5e5e5',
    'widget-shadow': 'rgba(0, 0, 0, 0.16)',
    'editor-background': '#ffffff',
    'editor-foreground': '#3b3b3b',
    'editorWidget-background': '#f8f8f8',
    'editorWidget-border': '#c8c8c8',
    'editorWarning-foreground': '#bf8803',
    'sideBar-background': '#f8f8f8',
    'sideBarSectionHeader-border': '#e5e5e5',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-border': 'rgba(0, 0, 0, 0.1)',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'checkbox-background': '#f8f8f8',
    'checkbox-border': '#cecece',
    'settings-checkboxBackground': '#f8f8f8',
    'settings-checkboxBorder': '#cecece',
    'settings-checkboxForeground': '#3b3b3b',
    'input-background': '#ffffff',
    'input-border': '#cecece',
    'progressBar-background': '#005fb8',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
    'list-hoverBackground': '#f2f2f2',
    'scrollbarSlider-background': 'rgba(100, 100, 100, 0.4)',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'testing-iconPassed': '#388a34',
    'icon-foreground': '#3b3b3b',
    'charts-foreground': '#3b3b3b',
    'charts-lines': 'rgba(59, 59, 59, 0.5)',
    'charts-red': '#e51400',
    'charts-blue': '#1a85ff',
    'charts-yellow': '#bf8803',
    'charts-orange': '#d18616',
    'charts-green': '#388a34',
    'charts-purple': '#652d90',
  },
};

const FONT_VARS = {
  'font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-weight': 'normal',
  'font-size': '13px',
  'editor-font-family': '"Droid Sans Mono", "monospace", monospace',
};

/** The harness page's own script: the fake VS Code API and synthetic data (images, histories). */
const HARNESS_JS = String.raw`
// tsx (esbuild keepNames) wraps named functions in __name(); functions passed to page.evaluate carry it.
window.__name = (f) => f;
window.__posted = [];
// Saved state survives a reload of the harness page, as VS Code keeps it for a webview.
window.__state = JSON.parse(sessionStorage.getItem('vscode-state') || 'null') || undefined;
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
});
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => {
    sessionStorage.setItem('vscode-state', JSON.stringify(s));
    return (window.__state = JSON.parse(JSON.stringify(s)));
  },
});
window.__send = (m) => window.postMessage(m, '*');

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

// An 8x8 grid of 28x28 digit-like scribbles, white on black, as the VAE writes them.
window.__grid = (kind, step, seed) => {
  const cell = 28, n = 8, c = document.createElement('canvas');
  c.width = c.height = cell * n;
  const g = c.getContext('2d');
  g.fillStyle = '#000';
  g.fillRect(0, 0, c.width, c.height);
  const clarity = Math.min(1, 0.25 + step / 6000);
  for (let i = 0; i < n * n; i++) {
    const row = Math.floor(i / n), col = i % n;
    const src = kind === 'reconstruction' ? (row >> 1) * n + col : i;
    const r = lcg(seed * 7919 + src * 104729 + 1);
    for (let k = 0; k < 5; k++) r();
    g.save();
    g.translate(col * cell + cell / 2, row * cell + cell / 2);
    g.strokeStyle = '#fff';
    g.lineCap = 'round';
    g.lineWidth = 2.6;
    g.globalAlpha = kind === 'reconstruction' && row % 2 === 1 ? 0.8 : kind === 'prior' ? 0.55 + 0.45 * clarity : 1;
    g.filter = kind === 'reconstruction' && row % 2 === 1 ? 'blur(0.8px)' : kind === 'prior' ? 'blur(' + (1.4 - clarity) + 'px)' : 'none';
    g.beginPath();
    const shape = Math.floor(r() * 4);
    if (shape === 0) g.ellipse(0, 0, 5 + r() * 2, 8 + r() * 2, r() * 0.6 - 0.3, 0, Math.PI * 2);
    else if (shape === 1) { g.moveTo(-2 + r() * 2, -9); g.lineTo(1 + r() * 2, 9); }
    else if (shape === 2) { g.moveTo(-6, -6); g.bezierCurveTo(8, -14, 10, 2, -6, 9); g.lineTo(7, 9); }
    else { g.moveTo(-6, -8); g.lineTo(6, -8); g.lineTo(-2, 9); g.moveTo(-3, 0); g.lineTo(5, 0); }
    g.stroke();
    g.restore();
  }
  return c.toDataURL('image/png');
};

// A VAE-looking loss history: -ELBO = reconstruction + KL, falling, noisy.
window.__history = (n, start) => {
  const r = lcg(42 + (start || 0));
  const steps = new Array(n), negElbo = new Array(n), recon = new Array(n), kl = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = (start || 0) + i + 1;
    const rc = 70 + 150 * Math.exp(-s / 900) + 20 * Math.exp(-s / 9000) + (r() - 0.5) * 9;
    const k = 26 - 18 * Math.exp(-s / 600) + (r() - 0.5) * 2.2;
    steps[i] = s; recon[i] = rc; kl[i] = k; negElbo[i] = rc + k;
  }
  return { steps, series: { negElbo, recon, kl } };
};

window.__point = (s) => {
  const h = window.__history(1, s - 1);
  return { step: s, epoch: s / 469, values: { negElbo: h.series.negElbo[0], recon: h.series.recon[0], kl: h.series.kl[0] }, sentAt: Date.now() };
};

window.__run = (o) => {
  const step = o.step;
  const evals = [];
  for (let e = 469; e <= step; e += 469) {
    const k = 25.5 - 17 * Math.exp(-e / 600);
    const rc = 72 + 140 * Math.exp(-e / 900) + 18 * Math.exp(-e / 9000) + (e === 2345 ? -0.8 : 0);
    evals.push({ step: e, values: { testNegElbo: rc + k, testRecon: rc, testKl: k } });
  }
  const sampleStep = evals.length ? evals[evals.length - 1].step : 0;
  return {
    runId: o.runId || 'vae-mnist-20250110-1200',
    title: 'VAE (MLP 784-400-20)',
    family: 'vae',
    dataset: 'MNIST',
    backend: o.backend || 'tfjs-node',
    state: o.state || 'training',
    step,
    epoch: step / 469,
    totalSteps: o.totalSteps || 9380,
    stepsPerSecond: o.sps === undefined ? 48.7 : o.sps,
    lossKey: 'negElbo',
    density: {
      kind: 'explicit-approximate',
      summary: 'trained by maximising the ELBO, a lower bound on log p(x); test -ELBO bounds the negative log-likelihood from above.',
      metric: 'testNegElbo',
    },
    history: window.__history(o.points === undefined ? step : o.points, 0),
    evals,
    samples: sampleStep
      ? [
          { step: sampleStep, kind: 'prior', uri: window.__grid('prior', sampleStep, 1) },
          { step: sampleStep, kind: 'reconstruction', uri: window.__grid('reconstruction', sampleStep, 2) },
        ]
      : [],
    ...(o.error ? { error: o.error } : {}),
  };
};

// Density views of models on point data (see src/trainer/families/densityGrid.ts for the layout):
// 8 Gaussians on a circle (2-D) and a two-component mixture (1-D), with a model's field on the grid.
(() => {
  const gauss = (r) => { const u = Math.max(1e-12, r()), v = r(); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); };
  const lse = (xs) => { const m = Math.max(...xs); return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0)); };
  // A mixture of isotropic 2-D Gaussians: [{ w, mx, my, s }].
  const ring = (k, radius, s, skip) => Array.from({ length: k }, (_, i) => i).filter((i) => !(skip || []).includes(i)).map((i, _, a) => ({ w: 1 / a.length, mx: radius * Math.cos((i * 2 * Math.PI) / k), my: radius * Math.sin((i * 2 * Math.PI) / k), s }));
  const logp2 = (mix, x, y) => lse(mix.map((c) => Math.log(c.w) - Math.log(2 * Math.PI * c.s * c.s) - ((x - c.mx) ** 2 + (y - c.my) ** 2) / (2 * c.s * c.s)));
  const draw2 = (mix, n, r) => { const out = []; for (let i = 0; i < n; i++) { let u = r(), j = 0; while (j < mix.length - 1 && (u -= mix[j].w) > 0) j++; const c = mix[j]; out.push(c.mx + c.s * gauss(r), c.my + c.s * gauss(r)); } return out; };
  const gridOf = (extent, n, f) => { const [x0, x1, y0, y1] = extent, v = []; for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) v.push(f(x0 + ((c + 0.5) * (x1 - x0)) / n, y1 - ((r + 0.5) * (y1 - y0)) / n)); return v; };
  const round = (xs) => xs.map((v) => Math.round(v * 1e4) / 1e4);
  const data = ring(8, 2, 0.2);
  const extent = [-3, 3, -3, 3];
  const lossHistory = (key, n, from, to, noise) => { const r = lcg(7), steps = [], vals = []; for (let i = 1; i <= n; i++) { steps.push(i); vals.push(to + (from - to) * Math.exp(-i / (n / 6)) + (r() - 0.5) * noise); } return { steps, series: { [key]: vals } }; };

  window.__density = (which) => {
    const r = lcg(11);
    const test = round(draw2(data, 600, r));
    if (which === 'logp' || which === 'elbo') {
      // A fitted mixture, a little off: one component too wide, one drifted.
      const model = data.map((c, i) => ({ ...c, s: i === 3 ? 0.32 : 0.22, mx: c.mx + (i === 6 ? 0.25 : 0) }));
      const shift = which === 'elbo' ? -0.6 : 0;
      return { field: which === 'elbo' ? 'elbo' : 'log-density', dim: 2, extent, width: 64, height: 64, values: round(gridOf(extent, 64, (x, y) => Math.max(-1e4, logp2(model, x, y) + shift))), samples: [], test };
    }
    if (which === 'disc') {
      // Mode collapse: the generator covers 6 of the 8 modes; D is near its optimum p/(p+q).
      const gen = ring(8, 2, 0.3, [1, 5]);
      const samples = round(draw2(gen, 600, r));
      // A smooth, imperfect D: a squashed log-ratio of the two densities (each floored far from the data).
      const d = (x, y) => { const a = Math.log(Math.exp(logp2(data, x, y)) + 0.01), b = Math.log(Math.exp(logp2(gen, x, y)) + 0.01); return 1 / (1 + Math.exp(0.8 * (b - a) + 0.5)); };
      return { field: 'discriminator', dim: 2, extent, width: 64, height: 64, values: round(gridOf(extent, 64, d)), samples, test };
    }
    if (which === 'none') {
      const x0 = draw2(ring(8, 2, 0.26), 600, r);
      const noise = x0.map(() => gauss(r));
      // Linear beta schedule, T = 1000: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
      const abar = (t) => { let a = 1; for (let s = 1; s <= t; s++) a *= 1 - (1e-4 + ((0.02 - 1e-4) * (s - 1)) / 999); return a; };
      const reverse = [1000, 600, 400, 250, 100, 0].map((t) => { const a = abar(t); return { t, samples: round(x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise[i])) }; });
      return { field: 'none', dim: 2, extent, width: 0, height: 0, values: [], samples: round(x0), test, reverse };
    }
    // 1-D: 0.35 N(-2, 0.6) + 0.65 N(1.3, 0.9); the model's fit is close but not exact.
    const pdf1 = (mix, x) => lse(mix.map((c) => Math.log(c.w) - 0.5 * Math.log(2 * Math.PI * c.s * c.s) - (x - c.m) ** 2 / (2 * c.s * c.s)));
    const truth = [{ w: 0.35, m: -2, s: 0.6 }, { w: 0.65, m: 1.3, s: 0.9 }];
    const fit = [{ w: 0.33, m: -1.95, s: 0.66 }, { w: 0.67, m: 1.25, s: 0.93 }];
    const pts = []; for (let i = 0; i < 2000; i++) { const c = r() < truth[0].w ? truth[0] : truth[1]; pts.push(c.m + c.s * gauss(r)); }
    const ext = [-5, 5, 0, 0], bins = 40, edges = Array.from({ length: bins + 1 }, (_, i) => -5 + (10 * i) / bins), counts = new Array(bins).fill(0);
    for (const v of pts) { const b = Math.floor(((v + 5) / 10) * bins); if (b >= 0 && b < bins) counts[b]++; }
    const xs = Array.from({ length: 200 }, (_, i) => -5 + (10 * i) / 199);
    return { field: which === '1d-elbo' ? 'elbo' : 'log-density', dim: 1, extent: ext, width: 200, height: 1, values: round(xs.map((x) => pdf1(fit, x) - (which === '1d-elbo' ? 0.15 : 0))), samples: [], test: round(pts.slice(0, 600)), histogram: { edges: round(edges), counts } };
  };

  const STORIES = {
    mixture: { title: 'Gaussian mixture (EM, K = 8)', lossKey: 'nll', density: { kind: 'explicit-tractable', metric: 'testNll', summary: 'Explicit, tractable density: log p(x) = log sum_k pi_k N(x; mu_k, Sigma_k), exact; fitted by expectation-maximisation.' } },
    vae: { title: 'VAE (MLP 2-64-2)', lossKey: 'negElbo', density: { kind: 'explicit-approximate', metric: 'testNegElbo', summary: 'Explicit, approximate density: the ELBO is a lower bound on log p(x), so the test -ELBO bounds the NLL from above.' } },
    gan: { title: 'GAN (MLP 2-128-128-2)', lossKey: 'lossD', density: { kind: 'implicit', summary: 'Implicit density: the model only samples; its discriminator scores how real a point looks, which is not a density.' } },
    diffusion: { title: 'Diffusion (DDPM, T = 1000)', lossKey: 'loss', density: { kind: 'explicit-approximate', summary: 'Explicit, approximate density: trained on a variational bound by denoising; only samples are drawn here.' } },
  };

  window.__densityRun = (o) => {
    const which = o.which;
    const family = which === 'disc' ? 'gan' : which === 'none' ? 'diffusion' : which === 'elbo' || which === '1d-elbo' ? 'vae' : 'mixture';
    const story = STORIES[family];
    const dataset = which.startsWith('1d') ? '1-D mixture' : '8 Gaussians';
    const steps = 3000;
    const metric = story.density.metric;
    const evals = metric ? [1000, 2000, 3000].map((s, i) => ({ step: s, values: { [metric]: [3.41, 2.93, 2.874][i] + (which.startsWith('1d') ? -1.1 : 0) } })) : [];
    return {
      runId: family + '-toy-20250110-1200',
      title: story.title,
      family,
      dataset,
      backend: 'cpu',
      state: 'finished',
      step: steps,
      epoch: 30,
      totalSteps: steps,
      stepsPerSecond: 310,
      lossKey: story.lossKey,
      density: story.density,
      history: lossHistory(story.lossKey, steps, 6, 2.9, 0.3),
      evals,
      samples: [],
      ...(o.grid === false ? {} : { densityGrid: { step: steps, grid: window.__density(which) } }),
    };
  };
})();

window.__galleryRuns = () => {
  const grids = (seed, count, every) => Array.from({ length: count }, (_, i) => ({ step: (i + 1) * every, kind: 'prior', uri: window.__grid('prior', (i + 1) * every, seed) }));
  return [
    { runId: 'vae-mnist-20250110-1200', title: 'VAE (MLP 784-400-20)', state: 'training', createdAt: new Date(Date.now() - 4 * 60000).toISOString(), grids: grids(1, 12, 469) },
    { runId: 'vae-mnist-20250109-1730', title: 'VAE (z=2) on MNIST', state: 'finished', createdAt: new Date(Date.now() - 20 * 3600000).toISOString(), grids: grids(5, 10, 938) },
    { runId: 'vae-fashion-20250108-0915', title: 'VAE on Fashion-MNIST, a long title that must not wrap', state: 'failed', createdAt: '2025-01-08T09:15:00Z', grids: [] },
  ];
};
`;

interface HarnessOptions {
  theme: Theme;
  csp?: boolean;
}

function writeHarness(dir: string, page: Page, o: HarnessOptions): string {
  const dist = path.join(ROOT, 'dist', 'webview');
  const vars = { ...FONT_VARS, ...THEME_VARS[o.theme] };
  const background = page === 'gallery' ? 'var(--vscode-sideBar-background)' : 'var(--vscode-editor-background)';
  // VS Code's defaults for every webview (its _defaultStyles), then the theme's variables.
  const themeCss = `:root {\n${Object.entries(vars)
    .map(([k, v]) => `  --vscode-${k}: ${v};`)
    .join('\n')}\n}
html { background: ${background}; }
body { background-color: transparent; color: var(--vscode-editor-foreground); font-family: var(--vscode-font-family);
  font-weight: var(--vscode-font-weight); font-size: var(--vscode-font-size); margin: 0; padding: 0 20px; }
img, video { max-width: 100%; max-height: 100%; }
a, a code { color: var(--vscode-textLink-foreground); }
`;
  fs.writeFileSync(path.join(dir, `theme-${o.theme}.css`), themeCss);
  fs.writeFileSync(path.join(dir, 'harness.js'), HARNESS_JS);
  const url = (f: string) => pathToFileURL(f).href;
  const nonce = 'harness-nonce';
  const csp = o.csp
    ? `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src file: data:; style-src file:; font-src file:; script-src 'nonce-${nonce}'">`
    : '';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  ${csp}
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${url(path.join(dir, `theme-${o.theme}.css`))}">
  <link rel="stylesheet" href="${url(path.join(dist, `${page}.css`))}">
  <title>${page}</title>
</head>
<body class="page-${page} vscode-${o.theme}" data-vscode-theme-kind="vscode-${o.theme}">
  <div id="app"></div>
  <script nonce="${nonce}" src="${url(path.join(dir, 'harness.js'))}"></script>
  <script nonce="${nonce}" src="${url(path.join(dist, `${page}.js`))}"></script>
</body>
</html>`;
  const file = path.join(dir, `${page}-${o.theme}${o.csp ? '-csp' : ''}.html`);
  fs.writeFileSync(file, html);
  return url(file);
}

export async function withBrowser<T>(fn: (browser: PwBrowser, dir: string) => Promise<T>): Promise<T | { unavailable: string }> {
  const chromium = loadPlaywright();
  if ('unavailable' in chromium) return chromium;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-webview-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  try {
    return await fn(browser, dir);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function openPage(browser: PwBrowser, dir: string, page: Page, o: HarnessOptions & { width: number; height: number; scale?: number }): Promise<PwPage> {
  const p = await browser.newPage({ viewport: { width: o.width, height: o.height }, deviceScaleFactor: o.scale ?? 1 });
  p.on('pageerror', (e) => console.error(`[${page}] page error: ${e.message}`));
  p.on('console', (m) => {
    if (m.type?.() === 'error' || m.type?.() === 'warning') console.error(`[${page}] ${m.type?.()}: ${m.text?.()}`);
  });
  await p.goto(writeHarness(dir, page, o));
  await p.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return p;
}

const quantile = (xs: number[], q: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x: number): number => Math.round(x * 100) / 100;

/**
 * Loads a run of `points` points (3 series) into the dashboard at 600 px, then streams 2,000 more
 * as `metrics` messages at ~100 Hz, and measures the time between animation frames meanwhile.
 */
export async function measureChartFrames(opts: { points?: number; stream?: number } = {}): Promise<FrameStats | { unavailable: string }> {
  const points = opts.points ?? 50_000;
  const stream = opts.stream ?? 2000;
  return withBrowser(async (browser, dir) => {
    const page = await openPage(browser, dir, 'dashboard', { theme: 'dark', width: 600, height: 900 });
    await page.evaluate((n) => {
      const w = window as unknown as { __send(m: unknown): void; __run(o: object): unknown };
      w.__send({ type: 'init', run: w.__run({ step: n, points: n, totalSteps: n + 20_000 }) });
    }, points);
    await page.waitForFunction((n) => document.getElementById('loss-chart')?.dataset.points === String(n), points, { timeout: 30_000 });
    const result = await page.evaluate(
      ([start, count]) =>
        new Promise<{ deltas: number[] }>((resolve) => {
          const w = window as unknown as { __send(m: unknown): void; __point(s: number): unknown };
          const deltas: number[] = [];
          let last = 0;
          let running = true;
          const tick = (t: number): void => {
            if (last) deltas.push(t - last);
            last = t;
            if (running) requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
          let i = 0;
          const timer = setInterval(() => {
            w.__send({ type: 'metrics', points: [w.__point(start + 1 + i)], stepsPerSecond: 100 });
            if (++i >= count) {
              clearInterval(timer);
              setTimeout(() => {
                running = false;
                resolve({ deltas });
              }, 300);
            }
          }, 10);
        }),
      [points, stream] as const,
    );
    const final = await page.evaluate(() => Number(document.getElementById('loss-chart')?.dataset.points));
    const drawn = await page.evaluate(() =>
      (window as unknown as { __posted: { type: string; latencyMs?: number }[] }).__posted.filter((m) => m.type === 'drawn').map((m) => m.latencyMs!),
    );
    const deltas = result.deltas.slice(2);
    return {
      points: final,
      framesMeasured: deltas.length,
      p50FrameMs: round(quantile(deltas, 0.5)),
      p95FrameMs: round(quantile(deltas, 0.95)),
      maxFrameMs: round(Math.max(...deltas)),
      drawnReports: drawn.length,
      p50LatencyMs: round(quantile(drawn, 0.5)),
      p95LatencyMs: round(quantile(drawn, 0.95)),
    };
  });
}

type Scenario = {
  name: string;
  page: Page;
  theme: Theme;
  width: number;
  height: number;
  setup: (p: PwPage) => Promise<void>;
  /** Capture only this element (with a small margin) instead of the whole page. */
  clip?: string;
  /** devicePixelRatio (1 unless told). */
  scale?: number;
};

const sendInit = (p: PwPage, o: object): Promise<void> =>
  p.evaluate((opts) => {
    const w = window as unknown as { __send(m: unknown): void; __run(o: object): unknown };
    w.__send({ type: 'init', run: w.__run(opts) });
  }, o);

/** Loads a toy-data run with a density view (`which`: logp, elbo, disc, none, 1d, 1d-elbo). */
const sendDensityRun = (p: PwPage, which: string, grid = true): Promise<void> =>
  p.evaluate(
    (o) => {
      const w = window as unknown as { __send(m: unknown): void; __densityRun(o: object): unknown };
      w.__send({ type: 'init', run: w.__densityRun(o) });
    },
    { which, grid },
  );

const sendRuns = (p: PwPage, empty = false): Promise<void> =>
  p.evaluate((none) => {
    const w = window as unknown as { __send(m: unknown): void; __galleryRuns(): unknown[] };
    w.__send({ type: 'runs', runs: none ? [] : w.__galleryRuns() });
  }, empty);

async function settle(p: PwPage): Promise<void> {
  await p.evaluate(async () => {
    await document.fonts.ready;
    await Promise.all(Array.from(document.images).filter((i) => i.src && !i.complete).map((i) => new Promise((r) => i.addEventListener('load', r, { once: true }))));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  });
}

const SCENARIOS: Scenario[] = [
  ...(['dark', 'light'] as const).map<Scenario>((theme) => ({
    name: `dashboard-${theme}-600`,
    page: 'dashboard',
    theme,
    width: 600,
    height: 1300,
    setup: (p) => sendInit(p, { step: 5200 }),
  })),
  {
    name: 'dashboard-dark-450',
    page: 'dashboard',
    theme: 'dark',
    width: 450,
    height: 1400,
    setup: (p) => sendInit(p, { step: 5200 }),
  },
  {
    name: 'dashboard-light-failed-600',
    page: 'dashboard',
    theme: 'light',
    width: 600,
    height: 900,
    setup: (p) =>
      sendInit(p, {
        step: 1400,
        state: 'failed',
        sps: 0,
        error: { message: 'Training stopped: the loss became NaN at step 1,401.', hint: 'Lower the learning rate (genlab.json: "learningRate": 0.0005) and train again.' },
      }),
  },
  {
    name: 'dashboard-dark-zoom-log-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 700,
    setup: async (p) => {
      await sendInit(p, { step: 9380, state: 'finished', points: 50_000, totalSteps: 50_000 });
      await p.click('#log-scale');
      await settle(p);
      // Drag-select a range on the plot, then hover to show the cursor values in the legend.
      await p.evaluate(() => document.querySelector('.u-over')?.scrollIntoView());
      const box = await p.evaluate(() => {
        const r = document.querySelector('.u-over')!.getBoundingClientRect();
        return { x: r.x, y: r.y, w: r.width, h: r.height };
      });
      await p.mouse.move(box.x + box.w * 0.3, box.y + box.h / 2);
      await p.mouse.down();
      await p.mouse.move(box.x + box.w * 0.6, box.y + box.h / 2, { steps: 8 });
      await p.mouse.up();
      await settle(p);
      await p.mouse.move(box.x + box.w * 0.5, box.y + box.h / 2, { steps: 3 });
    },
  },
  {
    // The page is reloaded (as VS Code does when a hidden panel is shown again) and nothing is
    // sent: what shows is drawn from the state the page saved.
    name: 'dashboard-dark-restored-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 700,
    setup: async (p) => {
      await sendInit(p, { step: 50_000, points: 50_000, totalSteps: 60_000 });
      await p.waitForFunction(() => sessionStorage.getItem('vscode-state') !== null);
      await p.reload();
      await p.waitForFunction(() => document.getElementById('loss-chart')?.dataset.points !== '0');
    },
  },
  {
    name: 'dashboard-dark-empty-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 800,
    setup: (p) => sendInit(p, { step: 0, state: 'loading-data', sps: 0 }),
  },
  // The density view: each kind of field, dark and light, 600 px wide (the card only).
  ...(['logp', 'disc', 'none', '1d'] as const).flatMap((which) =>
    (['dark', 'light'] as const).map<Scenario>((theme) => ({
      name: `density-${which}-${theme}-600`,
      page: 'dashboard',
      theme,
      width: 600,
      height: 900,
      clip: '#density-view',
      setup: (p) => sendDensityRun(p, which),
    })),
  ),
  {
    name: 'density-elbo-dark-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 900,
    clip: '#density-view',
    setup: (p) => sendDensityRun(p, 'elbo'),
  },
  {
    // The view arrives after init, as a live `density` message.
    name: 'density-1d-elbo-light-450',
    page: 'dashboard',
    theme: 'light',
    width: 450,
    height: 900,
    clip: '#density-view',
    setup: async (p) => {
      await sendDensityRun(p, '1d-elbo', false);
      await p.evaluate(() => {
        const w = window as unknown as { __send(m: unknown): void; __density(which: string): unknown };
        w.__send({ type: 'density', step: 3000, grid: w.__density('1d-elbo') });
      });
      await p.waitForFunction(() => document.getElementById('density-view')?.dataset.step === '3000');
    },
  },
  {
    // A hi-DPI screen: the heatmap and the text must be drawn at device resolution.
    name: 'density-disc-dark-600@2x',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 900,
    scale: 2,
    clip: '#density-view',
    setup: (p) => sendDensityRun(p, 'disc'),
  },
  {
    // Drawn dark, then VS Code switches to Light Modern (variables on <html>, class on <body>).
    name: 'density-theme-switched-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 900,
    clip: '#density-view',
    setup: async (p) => {
      await sendDensityRun(p, 'none');
      await settle(p);
      await p.evaluate((vars) => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${k}`, v);
        document.body.classList.replace('vscode-dark', 'vscode-light');
      }, THEME_VARS.light);
    },
  },
  {
    name: 'density-none-dark-450',
    page: 'dashboard',
    theme: 'dark',
    width: 450,
    height: 900,
    clip: '#density-view',
    setup: (p) => sendDensityRun(p, 'none'),
  },
  {
    name: 'dashboard-density-dark-600',
    page: 'dashboard',
    theme: 'dark',
    width: 600,
    height: 1300,
    setup: (p) => sendDensityRun(p, 'logp'),
  },
  ...(['dark', 'light'] as const).map<Scenario>((theme) => ({
    name: `gallery-${theme}-300`,
    page: 'gallery',
    theme,
    width: 300,
    height: 1100,
    setup: async (p) => {
      await sendRuns(p);
      // Move the second run's slider back a few grids.
      await p.evaluate(() => {
        const s = document.querySelectorAll<HTMLInputElement>('.run-card input[type=range]')[1];
        s.value = '3';
        s.dispatchEvent(new Event('input', { bubbles: true }));
      });
    },
  })),
  {
    name: 'gallery-dark-lightbox-300',
    page: 'gallery',
    theme: 'dark',
    width: 300,
    height: 600,
    setup: async (p) => {
      await sendRuns(p);
      await settle(p);
      await p.click('.run-card img.thumb');
    },
  },
  {
    name: 'gallery-light-empty-300',
    page: 'gallery',
    theme: 'light',
    width: 300,
    height: 300,
    setup: (p) => sendRuns(p, true),
  },
];

/**
 * Screenshots of every scenario into `outDir`, with the production CSP in force; returns the files
 * and any CSP violation or page error seen.
 */
export async function captureScreenshots(outDir = path.join(ROOT, 'test-output', 'webview'), only?: RegExp): Promise<{ files: string[]; cspViolations: string[] } | { unavailable: string }> {
  fs.mkdirSync(outDir, { recursive: true });
  return withBrowser(async (browser, dir) => {
    const files: string[] = [];
    const cspViolations: string[] = [];
    for (const s of SCENARIOS) {
      if (only && !only.test(s.name)) continue;
      const p = await openPage(browser, dir, s.page, { theme: s.theme, csp: true, width: s.width, height: s.height, scale: s.scale });
      await s.setup(p);
      await settle(p);
      await new Promise((r) => setTimeout(r, 150));
      const file = path.join(outDir, `${s.name}.png`);
      const clip = s.clip
        ? await p.evaluate((sel) => {
            const r = document.querySelector(sel)!.getBoundingClientRect();
            const m = 8;
            return { x: Math.max(0, r.x - m), y: Math.max(0, r.y + window.scrollY - m), width: r.width + 2 * m, height: r.height + 2 * m };
          }, s.clip)
        : undefined;
      await p.screenshot({ path: file, fullPage: true, clip });
      files.push(file);
      const v = await p.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      cspViolations.push(...v.map((x) => `${s.name}: ${x}`));
      await p.close();
    }
    return { files, cspViolations };
  });
}

if (/webviewFrames\.[tj]s$/.test(process.argv[1] ?? '')) {
  const args = process.argv.slice(2);
  const pointsArg = args.indexOf('--points');
  const onlyArg = args.indexOf('--only');
  const points = pointsArg >= 0 ? Number(args[pointsArg + 1]) : undefined;
  const wantShots = args.includes('--screenshots') || !args.includes('--frames');
  const wantFrames = args.includes('--frames') || !args.includes('--screenshots');
  void (async () => {
    if (wantShots) console.log(JSON.stringify(await captureScreenshots(undefined, onlyArg >= 0 ? new RegExp(args[onlyArg + 1]) : undefined), null, 2));
    if (wantFrames) console.log(JSON.stringify(await measureChartFrames({ points }), null, 2));
  })().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
