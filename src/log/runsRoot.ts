/** Where a script's runs go: where the GenLab extension looks for them (as python/genlab finds it). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';

const DEFAULT_RUNS_DIRECTORY = path.join('.genlab', 'runs');
/** What marks a workspace folder: VS Code's settings, a repository, GenLab's own folder. */
const WORKSPACE_MARKERS = ['.vscode', '.git', '.genlab'];

/** The nearest folder at or above `start` that looks like a workspace folder, else `start`. */
export function workspaceFolder(start: string): string {
  let folder = path.resolve(start);
  for (;;) {
    if (WORKSPACE_MARKERS.some((m) => fs.existsSync(path.join(folder, m)))) return folder;
    const parent = path.dirname(folder);
    if (parent === folder) return path.resolve(start);
    folder = parent;
  }
}

/** genlab.runsDirectory from the folder's .vscode/settings.json (JSON with comments), if it sets one. */
function setting(folder: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(folder, '.vscode', 'settings.json'), 'utf8');
  } catch {
    return undefined;
  }
  const value = (parse(text) as Record<string, unknown> | undefined)?.['genlab.runsDirectory'];
  return typeof value === 'string' && value.trim() ? value : undefined;
}

/**
 * An explicit folder; else GENLAB_RUNS_DIR (which the extension sets in VS Code's terminals to
 * the folder it shows); else the workspace folder's genlab.runsDirectory setting, resolved
 * against that folder; else .genlab/runs in it.
 */
export function runsRoot(explicit?: string, cwd = process.cwd()): string {
  if (explicit !== undefined) return path.resolve(explicit);
  const fromEnv = process.env.GENLAB_RUNS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const folder = workspaceFolder(cwd);
  return path.resolve(folder, setting(folder) ?? DEFAULT_RUNS_DIRECTORY);
}
