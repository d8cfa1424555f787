/**
 * TensorFlow's wheel (tensorflow-cpu, or tensorflow for the GPU build), found the way pip would find it: the index this machine's pip is told to
 * use (PIP_INDEX_URL, then pip's configuration files), else PyPI, read through the simple
 * repository API (PEP 503), whose links carry each file's sha256.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../userError';

export const PYPI_SIMPLE = 'https://pypi.org/simple/';

/** pip's configuration files, lowest priority first (https://pip.pypa.io/en/stable/topics/configuration/). */
function pipConfigFiles(env: NodeJS.ProcessEnv): string[] {
  const home = os.homedir();
  return [
    '/etc/pip.conf',
    path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'pip', 'pip.conf'),
    path.join(home, '.pip', 'pip.conf'),
    ...(env.VIRTUAL_ENV ? [path.join(env.VIRTUAL_ENV, 'pip.conf')] : []),
    ...(env.PIP_CONFIG_FILE ? [env.PIP_CONFIG_FILE] : []),
  ];
}

/** `index-url` from an INI file's [global] or [install] section. */
export function indexUrlInConfig(text: string): string | undefined {
  let section = '';
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1].trim().toLowerCase();
    const setting = /^index[-_]url\s*[=:]\s*(\S+)/i.exec(line);
    if (setting && (section === 'global' || section === 'install')) found = setting[1];
  }
  return found;
}

/** The simple index pip would use here, ending in '/'. */
export function pipIndexUrl(env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  let chosen = { url: PYPI_SIMPLE, from: 'PyPI (no index configured for pip)' };
  for (const file of pipConfigFiles(env)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const url = indexUrlInConfig(text);
    if (url) chosen = { url, from: file };
  }
  if (env.PIP_INDEX_URL) chosen = { url: env.PIP_INDEX_URL, from: 'PIP_INDEX_URL' };
  return { url: chosen.url.endsWith('/') ? chosen.url : `${chosen.url}/`, from: chosen.from };
}

export interface WheelLink {
  filename: string;
  url: string;
  sha256: string;
}

/** Every file linked from a project's simple-index page, with its sha256 where the link gives one. */
export function wheelLinks(html: string, pageUrl: string): WheelLink[] {
  const links: WheelLink[] = [];
  for (const match of html.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/gi)) {
    const href = match[1].replace(/&amp;/g, '&');
    const sha256 = /#sha256=([0-9a-f]{64})/.exec(href)?.[1];
    if (sha256) links.push({ filename: match[2].trim(), url: new URL(href.replace(/#.*$/, ''), pageUrl).toString(), sha256 });
  }
  return links;
}

/**
 * The manylinux x86_64 wheel of `project` (tensorflow-cpu or tensorflow) `version`. Any CPython
 * tag serves: the C library inside is the same, and nothing here runs Python.
 */
export async function findTensorflowWheel(project: string, version: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<WheelLink & { index: string }> {
  const index = pipIndexUrl(env);
  const page = new URL(`${project}/`, index.url).toString();
  let html: string;
  try {
    const response = await fetch(page, { signal, headers: { Accept: 'text/html' } });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    html = await response.text();
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new UserError(
      `The pip index ${index.url} (from ${index.from}) could not be read: ${err instanceof Error ? err.message : String(err)}.`,
      'Check that this machine reaches it (or set PIP_INDEX_URL to a mirror that does), then try again.',
    );
  }
  const wanted = new RegExp(`^${project.replace(/-/g, '_')}-${version.replace(/\./g, '\\.')}-cp3\\d+-cp3\\d+-manylinux[^-]*x86_64\\.whl$`);
  const wheels = wheelLinks(html, page).filter((l) => wanted.test(l.filename));
  if (!wheels.length) {
    throw new UserError(`The pip index ${index.url} has no ${project} ${version} wheel for Linux x86_64 with a sha256.`, `Point PIP_INDEX_URL at an index that mirrors PyPI's ${project} ${version}, then try again.`);
  }
  const python = (w: WheelLink) => Number(/-cp3(\d+)-/.exec(w.filename)![1]);
  return { ...wheels.sort((a, b) => python(b) - python(a))[0], index: index.url };
}
