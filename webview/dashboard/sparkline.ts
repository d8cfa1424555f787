/** A small line chart of one series, drawn as SVG (no axes: the latest value is written beside it). */
const SVG = 'http://www.w3.org/2000/svg';
export const SPARK_WIDTH = 96;
export const SPARK_HEIGHT = 24;

export interface SparkOptions {
  /** Plot log10 of the values (gradient norms and update ratios span orders of magnitude). */
  log?: boolean;
}

/** The path's `d` for values over [0, width] × [0, height]; nulls (and non-positive values on a log scale) break the line. */
export function sparkPath(values: readonly (number | null)[], options: SparkOptions = {}, width = SPARK_WIDTH, height = SPARK_HEIGHT): string {
  const y = values.map((v) => (v === null || !Number.isFinite(v) || (options.log && v <= 0) ? null : options.log ? Math.log10(v) : v));
  const present = y.filter((v): v is number => v !== null);
  if (present.length === 0) return '';
  const lo = Math.min(...present);
  const hi = Math.max(...present);
  const span = hi - lo || 1;
  const dx = values.length > 1 ? width / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  y.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    // A flat series sits in the middle; 1 px margins keep the stroke inside.
    const py = hi === lo ? height / 2 : 1 + (height - 2) * (1 - (v - lo) / span);
    d += `${pen ? 'L' : 'M'}${(i * dx).toFixed(1)} ${py.toFixed(1)}`;
    pen = true;
  });
  return d;
}

export function sparkline(label: string): { svg: SVGSVGElement; path: SVGPathElement } {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
  svg.setAttribute('width', String(SPARK_WIDTH));
  svg.setAttribute('height', String(SPARK_HEIGHT));
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const path = document.createElementNS(SVG, 'path');
  svg.append(path);
  return { svg, path };
}

/** Bars of `counts`, scaled to the tallest, as SVG rects. */
export function histogramBars(counts: readonly number[], label: string, width = 240, height = 48): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'histogram');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('preserveAspectRatio', 'none');
  const top = Math.max(1, ...counts);
  const w = width / Math.max(1, counts.length);
  counts.forEach((c, i) => {
    if (c === 0) return;
    const rect = document.createElementNS(SVG, 'rect');
    const h = Math.max(1, (c / top) * height);
    rect.setAttribute('x', (i * w + 0.5).toFixed(1));
    rect.setAttribute('y', (height - h).toFixed(1));
    rect.setAttribute('width', Math.max(1, w - 1).toFixed(1));
    rect.setAttribute('height', h.toFixed(1));
    svg.append(rect);
  });
  return svg;
}
