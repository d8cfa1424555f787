/** The reverse process of a diffusion model on points, as small multiples: the samples at each recorded t, noise first. */
import type { DensityGrid } from '../../src/protocol/messages';
import { h, setText } from '../shared/dom';
import { formatCount } from '../../src/protocol/format';
import { clipToFrame, drawBars, drawDots, type Palette, prepareCanvas } from './densityCanvas';
import { binPoints, type Frame, histogramDensity, plotAspect } from './densityPaint';
import { l10n } from '../shared/l10n';

export class ReverseStrip {
  readonly element = h('div', { class: 'density-reverse', hidden: true });
  private readonly strip = h('div', { class: 'density-strip' });
  private readonly frames: { figure: HTMLElement; canvas: HTMLCanvasElement; caption: HTMLElement }[] = [];

  constructor() {
    this.element.append(h('p', { class: 'density-reverse-title' }, l10n.t('Reverse process, from noise to samples')), this.strip);
  }

  /** Draws the grid's recorded steps at most `available` CSS px wide; hidden when the grid has none. */
  paint(grid: DensityGrid, available: number, p: Palette): void {
    const frames = grid.reverse ?? [];
    this.element.hidden = frames.length === 0;
    if (!frames.length) return;
    while (this.frames.length < frames.length) {
      const canvas = h('canvas', { class: 'density-reverse-canvas', role: 'img' });
      const caption = h('figcaption', {});
      const figure = h('figure', { class: 'density-frame' }, canvas, caption);
      this.strip.append(figure);
      this.frames.push({ figure, canvas, caption });
    }
    while (this.frames.length > frames.length) this.frames.pop()!.figure.remove();
    const gap = 8;
    // As many frames per row as fit at 64 px or more, rows balanced (6 frames: 3 + 3, not 5 + 1).
    const fit = Math.max(1, Math.min(frames.length, Math.floor((available + gap) / (64 + gap))));
    const perRow = Math.ceil(frames.length / Math.ceil(frames.length / fit));
    const size = Math.floor(Math.min(112, (available - gap * (perRow - 1)) / perRow));
    const [x0, x1, y0, y1] = grid.extent;
    const aspect = grid.dim === 2 ? plotAspect(grid.extent) : 0.7;
    frames.forEach((fr, i) => {
      const slot = this.frames[i];
      setText(slot.caption, l10n.t('t = {0}', formatCount(fr.t)));
      slot.canvas.dataset.t = String(fr.t);
      slot.canvas.setAttribute('aria-label', l10n.t('Samples at step t = {0} of the reverse process', fr.t));
      const width = size;
      const height = Math.round(size * aspect);
      const prepared = prepareCanvas(slot.canvas, width, height);
      if (!prepared) return;
      const { ctx } = prepared;
      const frame: Frame = { left: 0.5, top: 0.5, width: width - 1, height: height - 1, x0, x1, y0, y1 };
      clipToFrame(ctx, frame);
      if (grid.dim === 2) {
        drawDots(ctx, frame, fr.samples, p.generated, 1.1, 0.55);
      } else {
        const edges = grid.histogram?.edges ?? niceEdges(x0, x1, 30);
        const dens = histogramDensity(edges, binPoints(fr.samples, edges));
        const top = Math.max(1e-9, ...dens) * 1.1;
        const hf: Frame = { ...frame, x0: edges[0], x1: edges[edges.length - 1], y0: 0, y1: top };
        ctx.fillStyle = p.generated;
        ctx.globalAlpha = 0.6;
        drawBars(ctx, hf, edges, dens, 0, 0.5);
      }
      ctx.restore();
      ctx.strokeStyle = p.border;
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
    });
  }
}

function niceEdges(x0: number, x1: number, bins: number): number[] {
  return Array.from({ length: bins + 1 }, (_, i) => x0 + ((x1 - x0) * i) / bins);
}
