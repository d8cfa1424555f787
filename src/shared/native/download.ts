/** Downloads with an integrity check, kept in a per-user cache so that installing again reuses them. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../userError';
import { userFolder } from './location';

/** GENLAB_CACHE_DIR, else the platform's per-user cache folder. */
export function downloadCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.GENLAB_CACHE_DIR ? path.resolve(env.GENLAB_CACHE_DIR) : userFolder('cache', env);
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

export interface DownloadOptions {
  /** Expected hex digest: a file that does not match is deleted and refused. */
  sha256: string;
  signal?: AbortSignal;
  /** Bytes so far and the total when the server says it. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * `url` into the cache as `name`, unless a file of that name with the right digest is already
 * there. Written to a partial file first, so an interrupted download is never taken for a whole one.
 */
export async function cachedDownload(url: string, name: string, options: DownloadOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ file: string; reused: boolean }> {
  const dir = path.join(downloadCache(env), 'downloads');
  const file = path.join(dir, path.basename(name));
  if (fs.existsSync(file) && (await sha256Of(file)) === options.sha256) return { file, reused: true };
  fs.mkdirSync(dir, { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  try {
    const response = await fetch(url, { signal: options.signal, redirect: 'follow' });
    if (!response.ok || !response.body) throw new UserError(`Downloading ${url} failed: HTTP ${response.status} ${response.statusText}.`, 'Check that this machine reaches the package index, then try again.');
    const total = Number(response.headers.get('content-length')) || undefined;
    const hash = createHash('sha256');
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        hash.update(chunk);
        options.onProgress?.(received, total);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), count, fs.createWriteStream(partial), { signal: options.signal });
    const digest = hash.digest('hex');
    if (digest !== options.sha256) throw new UserError(`${url} arrived with sha256 ${digest}, not the ${options.sha256} its index gives: it was damaged or changed on the way, and was deleted.`, 'Try again; if it happens again, the index or a proxy between is serving another file.');
    fs.renameSync(partial, file);
    return { file, reused: false };
  } finally {
    fs.rmSync(partial, { force: true });
  }
}
