/**
 * Path checks for anything that came from outside GenLab's own code: a run folder's contents
 * (run.json's `id`, `name`, paths), a settings value, an experiment file's data path. A run folder
 * may be a copy from someone else, so nothing read from it may steer where GenLab writes or
 * deletes; these checks compare real paths (symlinks resolved), since a link inside the runs
 * root can point anywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from './userError';

/**
 * The real path of `p`; for a path that does not exist yet, the real path of its nearest existing
 * ancestor with the rest appended, so that a file about to be created is judged by where it lands.
 */
export function realPathOf(p: string): string {
  const resolved = path.resolve(p);
  const missing: string[] = [];
  let at = resolved;
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...missing.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = path.dirname(at);
      if (parent === at) return resolved;
      missing.push(path.basename(at));
      at = parent;
    }
  }
}

/** Whether `candidate` is `root` or lies under it once both are resolved (symlinks, `..`, relative parts). */
export function insideRoot(root: string, candidate: string): boolean {
  const rel = path.relative(realPathOf(root), realPathOf(candidate));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Longest name most file systems accept for one component. */
const MAX_COMPONENT = 255;

/**
 * `name` if it is one harmless path component: not empty, not `.` or `..`, no separator, drive
 * colon or control character. Throws a UserError otherwise; `what` says where the name came from.
 */
export function safeComponent(name: string, what = 'The name'): string {
  // eslint-disable-next-line no-control-regex
  const bad = name === '' || name === '.' || name === '..' || name.length > MAX_COMPONENT || /[/\\:\u0000-\u001f]/.test(name);
  if (!bad) return name;
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  throw new UserError(`${what} ${shown} cannot be used as a file name.`, 'Use letters, digits, dashes and dots, without slashes, colons or a leading "..".');
}

/**
 * The real path of a run folder, if it is a folder directly inside the runs root (compared after
 * resolving symlinks, so a link out of the root is refused). Commands that write, rename, delete or
 * train in a run folder go through this.
 */
export function runFolderIn(root: string, dir: string): string {
  const realRoot = realPathOf(root);
  const real = realPathOf(dir);
  if (path.dirname(real) !== realRoot || !fs.statSync(real, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`${dir} is not a run folder inside the runs folder ${root}.`, 'GenLab acts only on run folders directly inside genlab.runsDirectory; move the run there (not a link to it) and refresh the Runs view.');
  }
  return real;
}

/**
 * Creates a new folder `name` in `parent` (or `name-2`, `name-3`… when taken) and returns its path:
 * an export never lands in, or clears, a folder it did not create. `name` must be one safe component.
 */
export function createFreshFolder(parent: string, name: string): string {
  safeComponent(name);
  for (let n = 1; ; n++) {
    const dir = path.join(parent, n === 1 ? name : `${name}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
