/**
 * A folder of small PNG images for tests of training on a person's own images: discs of random
 * size, place and colour on a dark background (structure a model can learn in a few steps).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRgbPng } from '../../src/shared/png';
import { Rng } from '../../src/trainer/rng';

export function writeDiscFolder(dir: string, count: number, size = 16, seed = 1): string {
  const rng = new Rng(seed);
  fs.mkdirSync(dir, { recursive: true });
  for (let n = 0; n < count; n++) {
    const [cx, cy] = [size * (0.3 + 0.4 * rng.next()), size * (0.3 + 0.4 * rng.next())];
    const radius = size * (0.15 + 0.15 * rng.next());
    const colour = [rng.next(), rng.next(), rng.next()].map((c) => 80 + Math.round(175 * c));
    const rgb = new Uint8Array(size * size * 3).fill(10);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= radius) rgb.set(colour, (y * size + x) * 3);
      }
    }
    fs.writeFileSync(path.join(dir, `disc-${String(n).padStart(3, '0')}.png`), encodeRgbPng(rgb, size, size));
  }
  return dir;
}
