/**
 * A person's folder of PNG and JPEG images as a dataset for the image families: decoded, cropped
 * and resized by imageFolder.ts, split a tenth for testing by a fixed shuffle (as CSV files are).
 */
import * as path from 'node:path';
import type { DataSource } from '../../protocol/config';
import { UserError } from '../../shared/userError';
import { describeSkippedFiles, loadImageFolder } from './imageFolder';
import { binarizeTestSet, type ImageDataset, type ImageSplit } from './imageDatasets';
import { fixedSplit } from './split';

type FolderSource = Extract<DataSource, { type: 'image-folder' }>;

export async function imageFolderDataset(source: FolderSource): Promise<ImageDataset> {
  const folder = await loadImageFolder(source.path, { size: source.size, color: source.color });
  const skipped = describeSkippedFiles(folder.skipped);
  if (folder.count < 2) {
    throw new UserError(`${source.path} holds only one readable image; training needs some to learn from and one to test on.`, `Add more PNG or JPEG files to the folder.${skipped ? ` ${skipped}` : ''}`);
  }
  const size = folder.width * folder.height * folder.channels;
  const take = (rows: Uint32Array): ImageSplit => {
    const pixels = new Uint8Array(rows.length * size);
    rows.forEach((r, i) => pixels.set(folder.pixels.subarray(r * size, (r + 1) * size), i * size));
    return { count: rows.length, pixels };
  };
  const split = fixedSplit(folder.count);
  const test = take(split.test);
  return {
    kind: 'images',
    name: 'image-folder',
    width: folder.width,
    height: folder.height,
    channels: folder.channels,
    train: take(split.train),
    test,
    testBinary: binarizeTestSet(test, size),
    source: `${path.basename(source.path)}: ${folder.count} images, ${folder.width}×${folder.height} ${source.color === 'rgb' ? 'RGB' : 'grayscale'} (${source.path})`,
    licence: 'Your own images.',
    ...(skipped ? { warnings: [skipped] } : {}),
  };
}
