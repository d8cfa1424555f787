/**
 * What the density view's painters share: the palette read from the theme, a canvas sized for the
 * screen, dots and axes drawn in a data frame, and the words and numbers the page uses for each field.
 */
import type { DensityGrid } from '../../src/protocol/messages';
import { formatCount, formatTick } from '../../src/protocol/format';
import { type Frame, toPixelX, toPixelY } from './densityPaint';
import { themeColour } from './theme';
import { l10n } from '../shared/l10n';

export interface Palette {
  foreground: string;
  muted: string;
  border: string;
  gridLine: string;
  /** Held-out points over a heatmap. */
  heatData: string;
  real: string;
  generated: string;
  /** The thin ring that keeps dots visible over a heatmap's colours. */
  ring: string;
  fontFamily: string;
  fontSize: number;
}

export function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    foreground: themeColour(style, '--vscode-foreground'),
    muted: themeColour(style, '--vscode-descriptionForeground', '--vscode-foreground'),
    border: themeColour(style, '--vscode-editorWidget-border', '--vscode-widget-border', '--vscode-contrastBorder', '--vscode-descriptionForeground'),
    gridLine: themeColour(style, '--vscode-widget-border', '--vscode-editorWidget-border', '--vscode-contrastBorder', '--vscode-descriptionForeground'),
    heatData: themeColour(style, '--vscode-charts-red', '--vscode-foreground'),
    real: themeColour(style, '--vscode-charts-blue', '--vscode-foreground'),
    generated: themeColour(style, '--vscode-charts-orange', '--vscode-foreground'),
    // The theme's own shadow: dark and faint in every theme but high contrast, which has none and gets the page's background.
    ring: themeColour(style, '--vscode-widget-shadow', '--vscode-editor-background'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(v('--vscode-font-size', '13px')) || 13,
  };
}

/** What each field is called on the page. */
export const FIELD_TEXT: Record<DensityGrid['field'], { title2d: string; title1d: string; value: string; curve: string; spoken: string }> = {
  'log-density': {
    title2d: l10n.t('log p(x), exact'),
    title1d: l10n.t('p(x), exact, over a histogram of the test data'),
    value: l10n.t('log p(x)'),
    curve: l10n.t('fitted pdf'),
    spoken: l10n.t('the exact log-density log p(x)'),
  },
  elbo: {
    title2d: l10n.t('ELBO(x) — a lower bound on log p(x)'),
    title1d: l10n.t('exp(ELBO(x)) — a lower bound on p(x)'),
    value: 'ELBO(x)',
    curve: 'exp(ELBO)',
    spoken: l10n.t('the ELBO, a lower bound on log p(x)'),
  },
  discriminator: {
    title2d: l10n.t('Discriminator output D(x) — not a density'),
    title1d: l10n.t('Discriminator output D(x) — not a density'),
    value: 'D(x)',
    curve: 'D(x)',
    spoken: l10n.t('the discriminator output D(x), which is not a density'),
  },
  none: { title2d: l10n.t('Generated samples against held-out data'), title1d: l10n.t('Generated samples against held-out data'), value: '', curve: l10n.t('generated samples'), spoken: '' },
};

/** A number in three significant digits, with a true minus sign: −0.00714, 1.19, −12.9, 1,230. */
export function short(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : v < 0 ? '−∞' : '—';
  const r = Number(v.toPrecision(3));
  const text = Math.abs(r) >= 1000 ? formatCount(Math.round(r)) : String(r === 0 ? 0 : r);
  return text.replace('-', '−');
}

/** Sets a canvas's size for `cssWidth × cssHeight` CSS pixels at the screen's pixel ratio; returns a context in CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, cssWidth: number, cssHeight: number): { ctx: CanvasRenderingContext2D; dpr: number } | undefined {
  const dpr = Math.max(1, window.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(cssWidth * dpr));
  const hh = Math.max(1, Math.round(cssHeight * dpr));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hh) canvas.height = hh;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return undefined;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssWidth, cssHeight);
  return { ctx, dpr };
}

/** What the pointer readout needs of the last drawing. */
export interface Drawn {
  frame: Frame;
  grid: DensityGrid;
  /** For 1-D: the histogram's density per bin. */
  histDensity?: number[];
}

/** Tick labels and axis titles: a little smaller than the editor's text. */
export function plotFont(p: Palette): string {
  return `${Math.max(10, p.fontSize - 2)}px ${p.fontFamily}`;
}

/** Saves the context and clips drawing to the frame; the caller restores it. */
export function clipToFrame(ctx: CanvasRenderingContext2D, f: Frame): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.left, f.top, f.width, f.height);
  ctx.clip();
}

/** Faint lines across the frame at these x and y values. */
export function drawGridLines(ctx: CanvasRenderingContext2D, f: Frame, xs: readonly number[], ys: readonly number[], colour: string): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of xs) {
    const x = Math.round(toPixelX(f, t)) + 0.5;
    ctx.moveTo(x, f.top);
    ctx.lineTo(x, f.top + f.height);
  }
  for (const t of ys) {
    const y = Math.round(toPixelY(f, t)) + 0.5;
    ctx.moveTo(f.left, y);
    ctx.lineTo(f.left + f.width, y);
  }
  ctx.stroke();
}

/** A histogram's bars from y = 0, in the current fill: each starts `inset` px into its bin and leaves `gap` px of it. */
export function drawBars(ctx: CanvasRenderingContext2D, f: Frame, edges: readonly number[], density: readonly number[], inset: number, gap: number): void {
  const base = toPixelY(f, 0);
  for (let i = 0; i < density.length; i++) {
    const a = toPixelX(f, edges[i]);
    const b = toPixelX(f, edges[i + 1]);
    const y = toPixelY(f, density[i]);
    ctx.fillRect(a + inset, y, Math.max(0.5, b - a - gap), base - y);
  }
}

/** An axis title turned to read upwards, centred on `y`, in the current fill. */
export function drawSideTitle(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, baseline: CanvasTextBaseline): void {
  ctx.save();
  ctx.translate(x, y);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = baseline;
  ctx.fillText(text, 0, 0);
  ctx.restore();
}

/** Filled dots, optionally with a thin ring (the palette's) that keeps them visible on any colour. */
export function drawDots(ctx: CanvasRenderingContext2D, f: Frame, points: readonly number[], colour: string, r: number, alpha: number, ring?: string): void {
  if (!points.length) return;
  ctx.save();
  if (ring) {
    ctx.fillStyle = ring;
    ctx.beginPath();
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = toPixelX(f, points[i]);
      const y = toPixelY(f, points[i + 1]);
      ctx.moveTo(x + r + 0.7, y);
      ctx.arc(x, y, r + 0.7, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.fillStyle = colour;
  ctx.globalAlpha = alpha;
  if (ring) {
    // One path: overlapping dots do not darken each other (the field underneath carries density).
    ctx.beginPath();
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = toPixelX(f, points[i]);
      const y = toPixelY(f, points[i + 1]);
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.fill();
  } else {
    // Dot by dot: overlaps add up, so dense regions read darker.
    for (let i = 0; i + 1 < points.length; i += 2) {
      ctx.beginPath();
      ctx.arc(toPixelX(f, points[i]), toPixelY(f, points[i + 1]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}

/** The frame's border, ticks outside it and their labels in data units. */
export function drawAxes(ctx: CanvasRenderingContext2D, f: Frame, xTicks: { ticks: number[]; step: number }, yTicks: { ticks: number[]; step: number }, p: Palette): void {
  ctx.save();
  ctx.lineWidth = 1;
  ctx.strokeStyle = p.border;
  ctx.strokeRect(Math.round(f.left) - 0.5, Math.round(f.top) - 0.5, Math.round(f.width) + 1, Math.round(f.height) + 1);
  ctx.strokeStyle = p.muted;
  ctx.fillStyle = p.muted;
  ctx.font = plotFont(p);
  const bottom = f.top + f.height;
  ctx.beginPath();
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xTicks.ticks) {
    const x = Math.round(toPixelX(f, t)) + 0.5;
    ctx.moveTo(x, bottom + 0.5);
    ctx.lineTo(x, bottom + 4.5);
    ctx.fillText(formatTick(t, xTicks.step).replace('-', '−'), x, bottom + 6);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks.ticks) {
    const y = Math.round(toPixelY(f, t)) + 0.5;
    ctx.moveTo(f.left - 0.5, y);
    ctx.lineTo(f.left - 4.5, y);
    ctx.fillText(formatTick(t, yTicks.step).replace('-', '−'), f.left - 6, y);
  }
  ctx.stroke();
  ctx.restore();
}
