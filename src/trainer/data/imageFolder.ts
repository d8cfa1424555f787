/**
 * A person's own images: every PNG and JPEG file in a folder, as size×size grayscale or RGB
 * images. Decoding uses pngjs and jpeg-js, pure JavaScript with no native or WebAssembly parts, so
 * the extension stays one platform-independent package.
 *
 * - Subfolders are read too (one folder per class is a common layout), in sorted path order so a
 *   folder always loads the same way. Names starting with "." are skipped, and links to folders are
 *   not followed.
 * - Files count as images by extension (.png, .jpg, .jpeg, any case) and are decoded by content,
 *   so a JPEG named .png still loads. Any PNG (palette, 1 to 16 bits, interlaced, with alpha) and
 *   baseline or progressive JPEG (grey, RGB, CMYK) reads; files that do not are skipped and listed.
 * - JPEG photos are first turned upright by their EXIF orientation, as viewers show them.
 * - Transparent pixels are composited on white, as on a light page.
 * - The centred square is cropped (the longer side loses equal parts at both ends), then resized:
 *   area averaging (a box filter) when shrinking, so every source pixel counts, and bilinear
 *   interpolation when enlarging. Both act on the stored 8-bit sRGB values, as most tools do.
 * - Grayscale is Rec. 601 luma, 0.299 R + 0.587 G + 0.114 B.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DEFAULT_IMAGE_SIZE } from '../../protocol/config';
import { UserError } from '../../shared/userError';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;
export type ImageColor = 'grayscale' | 'rgb';

export interface ImageFolderOptions {
  /** Width and height of every image after cropping and resizing (default 28). */
  size?: number;
  /** Default grayscale. */
  color?: ImageColor;
}

export interface ImageFolder {
  /** count*height*width*channels values 0..255: image after image, each row-major with its channels interleaved (HWC). */
  pixels: Uint8Array;
  count: number;
  width: number;
  height: number;
  channels: 1 | 3;
  /** The images read, as paths relative to the folder, in the order of `pixels`. */
  files: string[];
  /** Image files that could not be read, with the reason. */
  skipped: { file: string; reason: string }[];
}

/** Larger images are refused before decoding; jpeg-js's own default limit is the same. */
const MAX_MEGAPIXELS = 100;
/** What one Uint8Array can safely hold here. */
const MAX_BYTES = 2 ** 31 - 1;
const [LUMA_R, LUMA_G, LUMA_B] = [0.299, 0.587, 0.114];

/** Decodes, crops and resizes every image in `dir` and its subfolders (see the notes above). */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
  const { size = DEFAULT_IMAGE_SIZE, color = 'grayscale' } = options;
  if (!Number.isInteger(size) || size < 1) throw new UserError(`The image size ${size} is not a whole number of pixels.`, 'Choose a size such as 28 or 64.');
  const channels = color === 'rgb' ? 3 : 1;
  const { images, others } = await findImages(dir);
  if (!images.length) {
    const found = [...others].map(([ext, n]) => `${n} ${ext || 'without extension'}`).join(', ');
    throw new UserError(
      `No PNG or JPEG images in ${dir}.`,
      `GenLab reads ${IMAGE_EXTENSIONS.join(', ')} files in the folder and its subfolders${found ? `; it holds ${found} files` : ''}. Convert them or choose another folder.`,
    );
  }
  const stride = size * size * channels;
  if (images.length * stride > MAX_BYTES) {
    throw new UserError(
      `${images.length} images of ${size}×${size}×${channels} would need ${((images.length * stride) / 2 ** 30).toFixed(1)} GiB in memory.`,
      'Choose a smaller size, grayscale, or a folder with fewer images.',
    );
  }
  const pixels = new Uint8Array(images.length * stride);
  const files: string[] = [];
  const skipped: ImageFolder['skipped'] = [];
  for (const file of images) {
    const relative = path.relative(dir, file);
    try {
      squareImage(decode(await readFile(file)), size, channels, pixels.subarray(files.length * stride, (files.length + 1) * stride));
      files.push(relative);
    } catch (err) {
      skipped.push({ file: relative, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  if (!files.length) {
    throw new UserError(`None of the ${images.length} image files in ${dir} could be read.`, `${describeSkippedFiles(skipped)} Check that they are PNG or JPEG files.`);
  }
  return { pixels: pixels.subarray(0, files.length * stride), count: files.length, width: size, height: size, channels, files, skipped };
}

/** A one-line report of skipped files: the first few with their reasons, then a count. */
export function describeSkippedFiles(skipped: ImageFolder['skipped']): string | undefined {
  if (!skipped.length) return undefined;
  const shown = skipped.slice(0, 3).map((s) => `${s.file} (${s.reason})`);
  return `Skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}: ${shown.join(', ')}${skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : ''}.`;
}

/** Image files under `dir`, sorted, and how many other files there are by extension (for the error when there are no images). */
async function findImages(dir: string): Promise<{ images: string[]; others: Map<string, number> }> {
  const images: string[] = [];
  const others = new Map<string, number>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full).then((s) => s.isFile(), () => false)))) {
        const ext = path.extname(entry.name).toLowerCase();
        if ((IMAGE_EXTENSIONS as readonly string[]).includes(ext)) images.push(full);
        else others.set(ext, (others.get(ext) ?? 0) + 1);
      }
    }
  };
  try {
    await walk(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new UserError(`Cannot read the folder ${dir} (${code}).`, code === 'ENOTDIR' ? 'Choose the folder that holds the images, not a file.' : 'Check that the folder exists and that you may read it.');
  }
  images.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { images, others };
}

interface Decoded {
  width: number;
  height: number;
  /** width*height RGBA values, row-major, as stored in the file. */
  data: Uint8Array;
  /** EXIF orientation 1..8: how to turn the stored pixels to show them upright. */
  orientation: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkSize(width: number, height: number): void {
  if (width * height > MAX_MEGAPIXELS * 1e6) throw new Error(`too large: ${width}×${height} pixels (at most ${MAX_MEGAPIXELS} megapixels)`);
}

function decode(bytes: Buffer): Decoded {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    if (bytes.length < 24) throw new Error('unreadable PNG: the file is cut short');
    // IHDR comes first: the size is known before pngjs allocates it.
    checkSize(bytes.readUInt32BE(16), bytes.readUInt32BE(20));
    let png: PNG;
    try {
      png = PNG.sync.read(bytes);
    } catch (err) {
      throw new Error(`unreadable PNG: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { width: png.width, height: png.height, data: png.data, orientation: 1 };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let image: { width: number; height: number; data: Uint8Array };
    try {
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 2048 });
    } catch (err) {
      throw new Error(`unreadable JPEG: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { ...image, orientation: exifOrientation(bytes) };
  }
  throw new Error(bytes.length ? 'not a PNG or JPEG file' : 'empty file');
}

/**
 * The orientation tag (0x0112) of a JPEG's EXIF block, 1 (as stored) when there is none or the
 * block is malformed. The block is a TIFF structure in an APP1 segment before the image data.
 */
function exifOrientation(jpegBytes: Uint8Array): number {
  const view = new DataView(jpegBytes.buffer, jpegBytes.byteOffset, jpegBytes.byteLength);
  let at = 2;
  while (at + 4 <= view.byteLength && view.getUint8(at) === 0xff) {
    const marker = view.getUint8(at + 1);
    const length = view.getUint16(at + 2);
    // Start of scan: the headers are over.
    if (marker === 0xda) break;
    if (marker === 0xe1 && length >= 16 && at + 2 + length <= view.byteLength && view.getUint32(at + 4) === 0x45786966 /* "Exif" */) {
      return tiffOrientation(new DataView(view.buffer, view.byteOffset + at + 10, length - 8));
    }
    at += 2 + length;
  }
  return 1;
}

function tiffOrientation(tiff: DataView): number {
  const little = tiff.getUint16(0) === 0x4949; // "II"; "MM" is big-endian
  const ifd = tiff.getUint32(4, little);
  if (ifd + 2 > tiff.byteLength) return 1;
  const entries = tiff.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > tiff.byteLength) return 1;
    if (tiff.getUint16(entry, little) === 0x0112) {
      const value = tiff.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * Writes the upright image's centred square, resized to size×size with `channels` channels, into
 * `out` as bytes. Resizing is separable: rows first, then columns, through a float buffer.
 */
function squareImage(image: Decoded, size: number, channels: 1 | 3, out: Uint8Array): void {
  const turned = image.orientation >= 5;
  const width = turned ? image.height : image.width;
  const height = turned ? image.width : image.height;
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const taps = resamplingTaps(side, size);
  const line = new Float32Array(side * channels);
  const rows = new Float32Array(side * size * channels);
  const pixel = new Float32Array(channels);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      readUpright(image, x0 + x, y0 + y, width, height, pixel);
      line.set(pixel, x * channels);
    }
    for (let j = 0; j < size; j++) {
      const { first, weights } = taps[j];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < weights.length; k++) sum += weights[k] * line[(first + k) * channels + c];
        rows[(y * size + j) * channels + c] = sum;
      }
    }
  }
  for (let i = 0; i < size; i++) {
    const { first, weights } = taps[i];
    for (let j = 0; j < size * channels; j++) {
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * rows[(first + k) * size * channels + j];
      out[i * size * channels + j] = Math.min(255, Math.max(0, Math.round(sum)));
    }
  }
}

/**
 * The upright pixel (x, y) of a width×height view, composited on white, as grey or RGB in `out`.
 * Orientations 2-8 are the flips and quarter turns of EXIF, mapped back to stored coordinates.
 */
function readUpright(image: Decoded, x: number, y: number, width: number, height: number, out: Float32Array): void {
  let sx = x;
  let sy = y;
  switch (image.orientation) {
    case 2: sx = width - 1 - x; break;
    case 3: sx = width - 1 - x; sy = height - 1 - y; break;
    case 4: sy = height - 1 - y; break;
    case 5: sx = y; sy = x; break;
    case 6: sx = y; sy = width - 1 - x; break;
    case 7: sx = height - 1 - y; sy = width - 1 - x; break;
    case 8: sx = height - 1 - y; sy = x; break;
  }
  const i = (sy * image.width + sx) * 4;
  const { data } = image;
  const alpha = data[i + 3] / 255;
  const white = 255 * (1 - alpha);
  const r = data[i] * alpha + white;
  const g = data[i + 1] * alpha + white;
  const b = data[i + 2] * alpha + white;
  if (out.length === 1) out[0] = LUMA_R * r + LUMA_G * g + LUMA_B * b;
  else {
    out[0] = r;
    out[1] = g;
    out[2] = b;
  }
}

/**
 * For each of `m` outputs resampled from `n` inputs: its first input and the weights of the inputs
 * from there. Shrinking averages the inputs each output covers, in proportion to the overlap;
 * enlarging interpolates between the two nearest input centres (pixel centres at i + 0.5, edges
 * clamped). Equal sizes copy.
 */
function resamplingTaps(n: number, m: number): { first: number; weights: number[] }[] {
  const scale = n / m;
  return Array.from({ length: m }, (_, j) => {
    if (scale > 1) {
      const lo = j * scale;
      const hi = lo + scale;
      const first = Math.floor(lo);
      const weights: number[] = [];
      for (let k = first; k < Math.min(hi, n); k++) weights.push((Math.min(k + 1, hi) - Math.max(k, lo)) / scale);
      return { first, weights };
    }
    if (n === 1) return { first: 0, weights: [1] };
    const x = Math.min(Math.max((j + 0.5) * scale - 0.5, 0), n - 1);
    const first = Math.min(Math.floor(x), n - 2);
    const t = x - first;
    return { first, weights: [1 - t, t] };
  });
}
