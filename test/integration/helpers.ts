import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TRAINER = path.join(ROOT, 'dist', 'trainer.js');
export const CLI = path.join(ROOT, 'bin', 'genlab.js');

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `genlab-${label}-`));
}

export function readJsonLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function isPng(file: string): boolean {
  return fs.readFileSync(file).subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when `predicate` holds, polling; rejects after `ms`. */
export async function until(predicate: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A Python 3.8+ that imports `modules`: GENLAB_PYTHON if set, else python3 on the PATH, else
 * Debian's (/usr/bin/python3, where apt installs numpy and PyTorch). Undefined when none does.
 */
export function findPython(modules: string[] = []): string | undefined {
  const candidates = process.env.GENLAB_PYTHON ? [process.env.GENLAB_PYTHON] : ['python3', '/usr/bin/python3'];
  const check = ['import sys', 'assert sys.version_info >= (3, 8)', ...modules.map((m) => `import ${m}`)].join('; ');
  return candidates.find((python) => spawnSync(python, ['-c', check], { stdio: 'ignore', timeout: 60000 }).status === 0);
}
