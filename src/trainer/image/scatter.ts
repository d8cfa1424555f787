/**
 * A picture of a 2-D latent space: the encoded test images as dots coloured by their label, on a
 * white square with the axes through 0, and below it a legend of one test image per label drawn
 * in that label's colour (a legend that needs no font).
 */
import { encodeRgbPng } from '../../shared/png';

/** Tableau 10: ten colours that stay apart, one per class. */
const PALETTE: [number, number, number][] = [
  [78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178], [89, 161, 79],
  [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [120, 110, 105],
];
const MARGIN = 12;
const GLYPH = 28;

/**
 * `points` are count × 2 latent means, `labels` their classes (0..9), `glyphs[k]` a 28x28 image in
 * [0, 1] of class k. The view spans ±r, r covering 99% of the points, so a few outliers do not
 * shrink the rest.
 */
export function latentScatterPng(points: Float32Array, labels: Uint8Array, glyphs: Float32Array[], size = 480): Buffer {
  const width = size + 2 * MARGIN;
  const height = size + 3 * MARGIN + GLYPH;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  const paint = (x: number, y: number, [r, g, b]: [number, number, number], alpha: number) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    rgb[i] = Math.round(rgb[i] * (1 - alpha) + r * alpha);
    rgb[i + 1] = Math.round(rgb[i + 1] * (1 - alpha) + g * alpha);
    rgb[i + 2] = Math.round(rgb[i + 2] * (1 - alpha) + b * alpha);
  };
  const magnitudes = Array.from(points, Math.abs).sort((a, b) => a - b);
  const r = magnitudes[Math.floor(0.99 * (magnitudes.length - 1))] * 1.05 || 1;
  const toPixel = (v: number) => MARGIN + Math.round(((v + r) / (2 * r)) * (size - 1));
  const grey: [number, number, number] = [200, 200, 200];
  for (let k = 0; k < size; k++) {
    paint(toPixel(0), MARGIN + k, grey, 1);
    paint(MARGIN + k, MARGIN + size - 1 - (toPixel(0) - MARGIN), grey, 1);
  }
  for (let i = 0; i < labels.length; i++) {
    const x = toPixel(points[2 * i]);
    // Screen y grows downwards; latent y upwards.
    const y = MARGIN + size - 1 - (toPixel(points[2 * i + 1]) - MARGIN);
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) paint(x + dx, y + dy, PALETTE[labels[i] % 10], 0.55);
  }
  glyphs.forEach((glyph, k) => {
    const x0 = MARGIN + Math.round((k * size) / glyphs.length);
    const y0 = size + 2 * MARGIN;
    for (let y = 0; y < GLYPH; y++) for (let x = 0; x < GLYPH; x++) paint(x0 + x, y0 + y, PALETTE[k % 10], glyph[y * GLYPH + x]);
  });
  return encodeRgbPng(rgb, width, height);
}
