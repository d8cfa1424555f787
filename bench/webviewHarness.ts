/**
 * The harness page's own script, bundled for the browser by webviewFrames.ts: the fake VS Code API
 * and synthetic data (images, histories, density views), typed as the host sends them
 * (src/protocol/webview.ts) and decoded by the same decoders on the way into the page.
 */
import { decode } from '../src/protocol/decode';
import { FAMILY_SPECS, type Family } from '../src/protocol/families';
import type { DensityGrid } from '../src/protocol/messages';
import { type FromDashboard, type FromGallery, type GalleryRun, type RunState, type RunView, type ToDashboard, toDashboard, type ToGallery, toGallery } from '../src/protocol/webview';

type MetricPoint = Extract<ToDashboard, { type: 'metrics' }>['points'][number];

/** A VAE-looking run on MNIST at `step`; the rest has defaults. */
export interface RunOptions {
  step: number;
  runId?: string;
  backend?: string;
  state?: RunState;
  totalSteps?: number;
  /** Steps per second (48.7 unless told). */
  sps?: number;
  /** Points of loss history (`step` unless told). */
  points?: number;
  error?: { message: string; hint: string };
}

/** The density views the harness draws: log p(x), the ELBO, a discriminator, samples only (with the reverse process), and 1-D. */
export type DensityWhich = 'logp' | 'elbo' | 'disc' | 'none' | '1d' | '1d-elbo';

/** What the harness adds to the page's window; page.evaluate callbacks in webviewFrames.ts see it. */
export interface HarnessWindow {
  /** tsx (esbuild keepNames) wraps named functions in __name(); functions passed to page.evaluate carry it. */
  __name<F>(f: F): F;
  /** What the page posted to the host. */
  __posted: (FromDashboard | FromGallery)[];
  /** The page's saved state; it survives a reload of the harness page, as VS Code keeps it for a webview. */
  __state: unknown;
  /** Content Security Policy violations seen. */
  __csp: string[];
  /** Delivers a host message to the page. */
  __send(m: ToDashboard | ToGallery): void;
  /** An 8x8 grid of digit-like scribbles, as a PNG data URI. */
  __grid(kind: string, step: number, seed: number): string;
  __history(n: number, start?: number): RunView['history'];
  __point(step: number): MetricPoint;
  __run(o: RunOptions): RunView;
  __density(which: DensityWhich): DensityGrid;
  __densityRun(o: { which: DensityWhich; grid?: boolean }): RunView;
  __galleryRuns(): GalleryRun[];
  acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): unknown };
}

const w = window as unknown as Window & HarnessWindow;

w.__name = (f) => f;
w.__posted = [];
w.__state = JSON.parse(sessionStorage.getItem('vscode-state') || 'null') || undefined;
w.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  w.__csp.push(`${e.violatedDirective} ${e.blockedURI || ''} ${e.sample || ''}`);
});
w.acquireVsCodeApi = () => ({
  postMessage: (m) => w.__posted.push(JSON.parse(JSON.stringify(m)) as FromDashboard | FromGallery),
  getState: () => w.__state,
  setState: (s) => {
    sessionStorage.setItem('vscode-state', JSON.stringify(s));
    return (w.__state = JSON.parse(JSON.stringify(s)));
  },
});
w.__send = (m) => {
  // Only what the host could send reaches the page: the fixture is checked as the host's messages are typed.
  const checked = m.type === 'runs' ? decode(toGallery, m, 'harness message') : decode(toDashboard, m, 'harness message');
  if (!checked.ok) throw new Error(`The harness sent what the host never would: ${checked.error}`);
  window.postMessage(m, '*');
};

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

// An 8x8 grid of 28x28 digit-like scribbles, white on black, as the VAE writes them.
w.__grid = (kind, step, seed) => {
  const cell = 28;
  const n = 8;
  const c = document.createElement('canvas');
  c.width = c.height = cell * n;
  const g = c.getContext('2d')!;
  g.fillStyle = '#000';
  g.fillRect(0, 0, c.width, c.height);
  const clarity = Math.min(1, 0.25 + step / 6000);
  for (let i = 0; i < n * n; i++) {
    const row = Math.floor(i / n);
    const col = i % n;
    const src = kind === 'reconstruction' ? (row >> 1) * n + col : i;
    const r = lcg(seed * 7919 + src * 104729 + 1);
    for (let k = 0; k < 5; k++) r();
    g.save();
    g.translate(col * cell + cell / 2, row * cell + cell / 2);
    g.strokeStyle = '#fff';
    g.lineCap = 'round';
    g.lineWidth = 2.6;
    g.globalAlpha = kind === 'reconstruction' && row % 2 === 1 ? 0.8 : kind === 'samples' ? 0.55 + 0.45 * clarity : 1;
    g.filter = kind === 'reconstruction' && row % 2 === 1 ? 'blur(0.8px)' : kind === 'samples' ? `blur(${1.4 - clarity}px)` : 'none';
    g.beginPath();
    const shape = Math.floor(r() * 4);
    if (shape === 0) g.ellipse(0, 0, 5 + r() * 2, 8 + r() * 2, r() * 0.6 - 0.3, 0, Math.PI * 2);
    else if (shape === 1) {
      g.moveTo(-2 + r() * 2, -9);
      g.lineTo(1 + r() * 2, 9);
    } else if (shape === 2) {
      g.moveTo(-6, -6);
      g.bezierCurveTo(8, -14, 10, 2, -6, 9);
      g.lineTo(7, 9);
    } else {
      g.moveTo(-6, -8);
      g.lineTo(6, -8);
      g.lineTo(-2, 9);
      g.moveTo(-3, 0);
      g.lineTo(5, 0);
    }
    g.stroke();
    g.restore();
  }
  return c.toDataURL('image/png');
};

// A VAE-looking loss history: -ELBO = reconstruction + KL, falling, noisy.
w.__history = (n, start = 0) => {
  const r = lcg(42 + start);
  const steps = new Array<number>(n);
  const negElbo = new Array<number>(n);
  const recon = new Array<number>(n);
  const kl = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const s = start + i + 1;
    const rc = 70 + 150 * Math.exp(-s / 900) + 20 * Math.exp(-s / 9000) + (r() - 0.5) * 9;
    const k = 26 - 18 * Math.exp(-s / 600) + (r() - 0.5) * 2.2;
    steps[i] = s;
    recon[i] = rc;
    kl[i] = k;
    negElbo[i] = rc + k;
  }
  return { steps, series: { negElbo, recon, kl } };
};

w.__point = (s) => {
  const { series } = w.__history(1, s - 1);
  return { step: s, epoch: s / 469, values: { negElbo: series.negElbo[0]!, recon: series.recon[0]!, kl: series.kl[0]! }, sentAt: Date.now() };
};

/** What the host says of a family's runs: its main loss, its kind of density and its grids. */
function familyView(family: Family): Pick<RunView, 'family' | 'lossKey' | 'density'> & { grids?: RunView['grids'] } {
  const spec = FAMILY_SPECS[family];
  return { family, lossKey: spec.lossKey, density: spec.density, ...(spec.grids ? { grids: spec.grids } : {}) };
}

w.__run = (o) => {
  const step = o.step;
  const evals: RunView['evals'] = [];
  for (let e = 469; e <= step; e += 469) {
    const k = 25.5 - 17 * Math.exp(-e / 600);
    const rc = 72 + 140 * Math.exp(-e / 900) + 18 * Math.exp(-e / 9000) + (e === 2345 ? -0.8 : 0);
    evals.push({ step: e, values: { testNegElbo: rc + k, testRecon: rc, testKl: k } });
  }
  const sampleStep = evals.length ? evals[evals.length - 1].step : 0;
  return {
    runId: o.runId || 'vae-mnist-20250110-1200',
    title: 'VAE (MLP 784-400-20)',
    ...familyView('vae'),
    dataset: 'mnist',
    dataKind: 'images',
    backend: o.backend || 'tfjs-node',
    state: o.state || 'training',
    step,
    epoch: step / 469,
    totalSteps: o.totalSteps || 9380,
    stepsPerSecond: o.sps === undefined ? 48.7 : o.sps,
    history: w.__history(o.points === undefined ? step : o.points, 0),
    evals,
    samples: sampleStep
      ? [
          { step: sampleStep, kind: 'samples', uri: w.__grid('samples', sampleStep, 1) },
          { step: sampleStep, kind: 'reconstruction', uri: w.__grid('reconstruction', sampleStep, 2) },
        ]
      : [],
    ...(o.error ? { error: o.error } : {}),
  };
};

// Density views of models on point data (see src/trainer/families/densityGrid.ts for the layout):
// 8 Gaussians on a circle (2-D) and a two-component mixture (1-D), with a model's field on the grid.
interface Component2d {
  w: number;
  mx: number;
  my: number;
  s: number;
}
interface Component1d {
  w: number;
  m: number;
  s: number;
}

const gauss = (r: () => number): number => {
  const u = Math.max(1e-12, r());
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};
const lse = (xs: number[]): number => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};
/** A mixture of k isotropic 2-D Gaussians on a circle, without the components in `skip`. */
const ring = (k: number, radius: number, s: number, skip: number[] = []): Component2d[] =>
  Array.from({ length: k }, (_, i) => i)
    .filter((i) => !skip.includes(i))
    .map((i, _, a) => ({ w: 1 / a.length, mx: radius * Math.cos((i * 2 * Math.PI) / k), my: radius * Math.sin((i * 2 * Math.PI) / k), s }));
const logp2 = (mix: Component2d[], x: number, y: number): number => lse(mix.map((c) => Math.log(c.w) - Math.log(2 * Math.PI * c.s * c.s) - ((x - c.mx) ** 2 + (y - c.my) ** 2) / (2 * c.s * c.s)));
const draw2 = (mix: Component2d[], n: number, r: () => number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = r();
    let j = 0;
    while (j < mix.length - 1 && (u -= mix[j].w) > 0) j++;
    const c = mix[j];
    out.push(c.mx + c.s * gauss(r), c.my + c.s * gauss(r));
  }
  return out;
};
const gridOf = (extent: number[], n: number, f: (x: number, y: number) => number): number[] => {
  const [x0, x1, y0, y1] = extent;
  const v: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) v.push(f(x0 + ((c + 0.5) * (x1 - x0)) / n, y1 - ((r + 0.5) * (y1 - y0)) / n));
  return v;
};
const round = (xs: number[]): number[] => xs.map((v) => Math.round(v * 1e4) / 1e4);
const data = ring(8, 2, 0.2);
const extent = [-3, 3, -3, 3];
const lossHistory = (key: string, n: number, from: number, to: number, noise: number): RunView['history'] => {
  const r = lcg(7);
  const steps: number[] = [];
  const vals: number[] = [];
  for (let i = 1; i <= n; i++) {
    steps.push(i);
    vals.push(to + (from - to) * Math.exp(-i / (n / 6)) + (r() - 0.5) * noise);
  }
  return { steps, series: { [key]: vals } };
};

w.__density = (which) => {
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
    const d = (x: number, y: number) => {
      const a = Math.log(Math.exp(logp2(data, x, y)) + 0.01);
      const b = Math.log(Math.exp(logp2(gen, x, y)) + 0.01);
      return 1 / (1 + Math.exp(0.8 * (b - a) + 0.5));
    };
    return { field: 'discriminator', dim: 2, extent, width: 64, height: 64, values: round(gridOf(extent, 64, d)), samples, test };
  }
  if (which === 'none') {
    const x0 = draw2(ring(8, 2, 0.26), 600, r);
    const noise = x0.map(() => gauss(r));
    // Linear beta schedule, T = 1000: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
    const abar = (t: number) => {
      let a = 1;
      for (let s = 1; s <= t; s++) a *= 1 - (1e-4 + ((0.02 - 1e-4) * (s - 1)) / 999);
      return a;
    };
    const reverse = [1000, 600, 400, 250, 100, 0].map((t) => {
      const a = abar(t);
      return { t, samples: round(x0.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * noise[i])) };
    });
    return { field: 'none', dim: 2, extent, width: 0, height: 0, values: [], samples: round(x0), test, reverse };
  }
  // 1-D: 0.35 N(-2, 0.6) + 0.65 N(1.3, 0.9); the model's fit is close but not exact.
  const pdf1 = (mix: Component1d[], x: number) => lse(mix.map((c) => Math.log(c.w) - 0.5 * Math.log(2 * Math.PI * c.s * c.s) - (x - c.m) ** 2 / (2 * c.s * c.s)));
  const truth = [
    { w: 0.35, m: -2, s: 0.6 },
    { w: 0.65, m: 1.3, s: 0.9 },
  ];
  const fit = [
    { w: 0.33, m: -1.95, s: 0.66 },
    { w: 0.67, m: 1.25, s: 0.93 },
  ];
  const pts: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const c = r() < truth[0].w ? truth[0] : truth[1];
    pts.push(c.m + c.s * gauss(r));
  }
  const bins = 40;
  const edges = Array.from({ length: bins + 1 }, (_, i) => -5 + (10 * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of pts) {
    const b = Math.floor(((v + 5) / 10) * bins);
    if (b >= 0 && b < bins) counts[b]++;
  }
  const xs = Array.from({ length: 200 }, (_, i) => -5 + (10 * i) / 199);
  const elbo = which === '1d-elbo';
  return { field: elbo ? 'elbo' : 'log-density', dim: 1, extent: [-5, 5, 0, 0], width: 200, height: 1, values: round(xs.map((x) => pdf1(fit, x) - (elbo ? 0.15 : 0))), samples: [], test: round(pts.slice(0, 600)), histogram: { edges: round(edges), counts } };
};

/** The family and the run's title for each density view. */
const DENSITY_RUNS: Record<DensityWhich, { family: Family; title: string }> = {
  logp: { family: 'mixture', title: 'Gaussian mixture (EM, K = 8)' },
  '1d': { family: 'mixture', title: 'Gaussian mixture (EM, K = 8)' },
  elbo: { family: 'vae', title: 'VAE (MLP 2-64-2)' },
  '1d-elbo': { family: 'vae', title: 'VAE (MLP 2-64-2)' },
  disc: { family: 'gan', title: 'GAN (MLP 2-128-128-2)' },
  none: { family: 'ddpm', title: 'Diffusion (DDPM, T = 1000)' },
};

w.__densityRun = (o) => {
  const { which } = o;
  const { family, title } = DENSITY_RUNS[which];
  const view = familyView(family);
  const steps = 3000;
  const metric = view.density.metric;
  // NLLs in nats for the likelihood families; a histogram JS (at most ln 2) for the others.
  const scores = metric === 'js' ? [0.21, 0.09, 0.064] : [3.41, 2.93, 2.874].map((v) => v + (which.startsWith('1d') ? -1.1 : 0));
  const evals = metric ? [1000, 2000, 3000].map((s, i) => ({ step: s, values: { [metric]: scores[i] } })) : [];
  return {
    runId: `${family}-toy-20250110-1200`,
    title,
    ...view,
    dataset: which.startsWith('1d') ? 'bimodal' : '8gaussians',
    dataKind: 'points',
    backend: 'cpu',
    state: 'finished',
    step: steps,
    epoch: 30,
    totalSteps: steps,
    stepsPerSecond: 310,
    history: lossHistory(view.lossKey, steps, 6, 2.9, 0.3),
    evals,
    samples: [],
    ...(o.grid === false ? {} : { densityGrid: { step: steps, grid: w.__density(which) } }),
  };
};

w.__galleryRuns = () => {
  const grids = (seed: number, count: number, every: number) => Array.from({ length: count }, (_, i) => ({ step: (i + 1) * every, kind: 'samples', uri: w.__grid('samples', (i + 1) * every, seed) }));
  return [
    { runId: 'vae-mnist-20250110-1200', title: 'VAE (MLP 784-400-20)', state: 'training', createdAt: new Date(Date.now() - 4 * 60000).toISOString(), grids: grids(1, 12, 469) },
    { runId: 'vae-mnist-20250109-1730', title: 'VAE (z=2) on MNIST', state: 'finished', createdAt: new Date(Date.now() - 20 * 3600000).toISOString(), grids: grids(5, 10, 938) },
    { runId: 'vae-fashion-20250108-0915', title: 'VAE on Fashion-MNIST, a long title that must not wrap', state: 'failed', createdAt: '2025-01-08T09:15:00Z', grids: [] },
  ];
};
