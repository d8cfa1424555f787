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
 * posted; `window.__send(msg)` delivers a host message, `window.__posted` holds what it sent: see
 * HarnessWindow in webviewHarness.ts, the page's script, for the rest).
 *
 * Needs `npm run build`. The page can also carry the production CSP (`csp: true`, with `file:`
 * standing for webview.cspSource) and report any violation, to check the bundles obey it.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DensityWhich, HarnessWindow, RunOptions } from './webviewHarness';

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

/**
 * The harness page's own script (webviewHarness.ts), bundled for the browser once per process.
 * esbuild is loaded when needed, as playwright is: it is a build tool, not part of the bench bundle.
 */
let harnessJs: string | undefined;
function harnessScript(): string {
  if (harnessJs === undefined) {
    const esbuild = createRequire(__filename)('esbuild') as typeof import('esbuild');
    const entry = path.join(ROOT, 'bench', 'webviewHarness.ts');
    harnessJs = esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', target: 'es2022', write: false, logLevel: 'warning' }).outputFiles[0].text;
  }
  return harnessJs;
}

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
  fs.writeFileSync(path.join(dir, 'harness.js'), harnessScript());
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
  await p.waitForFunction(() => (window as unknown as HarnessWindow).__posted.some((m) => m.type === 'ready'));
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
      const w = window as unknown as HarnessWindow;
      w.__send({ type: 'init', run: w.__run({ step: n, points: n, totalSteps: n + 20_000 }) });
    }, points);
    await page.waitForFunction((n) => document.getElementById('loss-chart')?.dataset.points === String(n), points, { timeout: 30_000 });
    const result = await page.evaluate(
      ([start, count]) =>
        new Promise<{ deltas: number[] }>((resolve) => {
          const w = window as unknown as HarnessWindow;
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
      (window as unknown as HarnessWindow).__posted.flatMap((m) => (m.type === 'drawn' ? [m.latencyMs] : [])),
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

const sendInit = (p: PwPage, o: RunOptions): Promise<void> =>
  p.evaluate((opts) => {
    const w = window as unknown as HarnessWindow;
    w.__send({ type: 'init', run: w.__run(opts) });
  }, o);

/** Loads a toy-data run with a density view (`which`: logp, elbo, disc, none, 1d, 1d-elbo). */
const sendDensityRun = (p: PwPage, which: DensityWhich, grid = true): Promise<void> =>
  p.evaluate(
    (o) => {
      const w = window as unknown as HarnessWindow;
      w.__send({ type: 'init', run: w.__densityRun(o) });
    },
    { which, grid },
  );

const sendRuns = (p: PwPage, empty = false): Promise<void> =>
  p.evaluate((none) => {
    const w = window as unknown as HarnessWindow;
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
        const w = window as unknown as HarnessWindow;
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
      const v = await p.evaluate(() => (window as unknown as HarnessWindow).__csp);
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
