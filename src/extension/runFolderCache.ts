/**
 * The run folders of a runs root as the views need them, read asynchronously and kept per folder
 * until its files change: with a thousand runs, a refresh of the Runs tree, a CodeLens request or
 * a gallery update reads only the folders that changed, and never blocks the extension host on
 * disk. No `vscode` import, so the unit tests and the benchmark run it under Node.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTERNAL, type ExternalWriter } from '../protocol/external';
import { METRICS_FILE, RUN_FILE, runRecord } from '../protocol/runFormat';
import { scoreMetric } from '../protocol/families';
import type { RunState } from '../protocol/webview';
import { type FileProblem, readJsonFileAsync } from '../shared/decodedFiles';
import { GENERATED_DIR, GENERATED_INDEX, type GeneratedRecord, type ListedRun, listGenerated, listSampleFiles, MAIN_SAMPLES, readRunForViewing, withInterrupted } from '../shared/runFolder';
import { runTitle } from '../protocol/families';
import type { RunHistory } from './runHistory';

export interface RunEntry {
  runId: string;
  dir: string;
  title: string;
  family: string;
  dataset: string;
  state: RunState;
  createdAt: string;
  step: number;
  totalSteps: number;
  finalMetrics: Record<string, number>;
  error?: { message: string; hint: string };
  /** A run a person's own training loop wrote through GenLab's logger: the process that writes it. */
  writer?: ExternalWriter;
  /** The experiment file the run was trained from, if any. */
  experiment?: string;
  /** A run of a person's model module: the module's file, and the digest of the sources it trained. */
  modulePath?: string;
  sourceDigest?: string;
  /** How many numbers the model learns, once the trainer has built it. */
  parameters?: number;
  /** The eval metric that scores the run (lower is better), if its model has one. */
  scoreMetric?: string;
  /** What is wrong with the run folder (a damaged or missing run.json); it is still shown. */
  warnings?: string[];
}

/** A listed run as the views show it, with the state of its trainer laid over it while it trains (fresher than its run.json). */
export function runEntry(r: ListedRun, running?: RunHistory): RunEntry {
  return {
    runId: r.id,
    dir: r.dir,
    title: runTitle(r.config),
    family: r.config.family,
    dataset: r.config.dataset,
    ...(r.config.family === EXTERNAL ? { writer: r.config.external.writer } : {}),
    ...(r.config.family !== EXTERNAL && r.config.experiment ? { experiment: r.config.experiment } : {}),
    ...(r.config.module ? { modulePath: r.config.module.path } : {}),
    ...optional('sourceDigest', r.source?.sha256),
    ...optional('parameters', r.parameters),
    ...optional('scoreMetric', scoreMetric(r.config)),
    state: running?.state ?? (r.interrupted ? 'interrupted' : r.status === 'running' ? 'training' : r.status),
    createdAt: r.createdAt,
    step: running?.step ?? r.progress.step,
    totalSteps: r.progress.totalSteps,
    finalMetrics: running?.finalEval ?? r.finalMetrics,
    ...(r.error ? { error: r.error } : {}),
    ...(r.warnings.length ? { warnings: r.warnings } : {}),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** A run's images for the gallery: its main sample grids, oldest first, then what was generated from it. */
export interface RunImages {
  grids: { step: number; path: string }[];
  generated: (GeneratedRecord & { path: string })[];
  /** Lines of the generated index that could not be read. */
  problems: FileProblem[];
}

/**
 * What tells one version of a file from the next without reading it: an atomic write replaces the
 * inode, an append grows the size, and any write moves the mtime. A missing file counts too.
 */
export async function signature(files: string[]): Promise<string> {
  const stats = await Promise.all(files.map((f) => fs.promises.stat(f).catch(() => undefined)));
  return stats.map((s) => (s ? `${s.ino}:${s.mtimeMs}:${s.size}` : '-')).join('|');
}

/**
 * One value per folder, read again only when the signature of the files it is read from changed.
 * The promise is kept, so callers that ask while a read is under way share it.
 */
class FolderMemo<T> {
  private readonly entries = new Map<string, { signature: string; value: Promise<T> }>();
  /** Folders read so far (not served from the cache). */
  reads = 0;

  constructor(
    private readonly files: (dir: string) => string[],
    private readonly read: (dir: string) => Promise<T>,
  ) {}

  async get(dir: string): Promise<T> {
    const current = await signature(this.files(dir));
    let entry = this.entries.get(dir);
    if (entry?.signature !== current) {
      entry = { signature: current, value: this.read(dir) };
      this.entries.set(dir, entry);
      this.reads++;
    }
    return entry.value;
  }

  forget(dir: string): void {
    this.entries.delete(dir);
  }

  keepOnly(dirs: ReadonlySet<string>): void {
    for (const dir of this.entries.keys()) if (!dirs.has(dir)) this.entries.delete(dir);
  }
}

/** run.json read without blocking; the rare damaged folder is rebuilt from its metrics by the shared reader. */
async function readListedRun(dir: string): Promise<ListedRun | undefined> {
  const found = readRunForViewing(dir, await readJsonFileAsync(path.join(dir, RUN_FILE), runRecord));
  return found && { ...found.record, dir, warnings: found.warnings };
}

async function readImages(dir: string): Promise<RunImages> {
  const problems: FileProblem[] = [];
  return {
    grids: listSampleFiles(dir).filter((s) => s.kind === MAIN_SAMPLES).map(({ step, path: file }) => ({ step, path: file })),
    generated: listGenerated(dir, problems).filter((g) => g.path.endsWith('.png')),
    problems,
  };
}

/**
 * `work` on every item, a few at a time: started all at once, a thousand folders' stats and reads
 * would be queued in one synchronous stretch and their results handled in another, each long
 * enough to hold up every other task of the extension host.
 */
async function inTurns<T, R>(items: T[], work: (item: T) => Promise<R>, atOnce = IN_FLIGHT): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  return results;
}

const IN_FLIGHT = 16;

export class RunFolderCache {
  // A rebuilt record (run.json damaged or missing) comes from metrics.jsonl, so that file is part of its signature.
  private readonly records = new FolderMemo((dir) => [path.join(dir, RUN_FILE), path.join(dir, METRICS_FILE)], readListedRun);
  // A new grid renames a file into samples/, a generated one into samples/generated/ and a line onto its index.
  private readonly imageLists = new FolderMemo((dir) => [path.join(dir, 'samples'), path.join(dir, GENERATED_DIR), path.join(dir, GENERATED_DIR, GENERATED_INDEX)], readImages);

  /** How many run folders were actually read: what the cache saves, for tests and the benchmark. */
  get reads(): { runs: number; images: number } {
    return { runs: this.records.reads, images: this.imageLists.reads };
  }

  /** Every run under `root`, newest first; a damaged one is listed with its warnings, a folder that is no run is skipped. */
  async list(root: string): Promise<ListedRun[]> {
    const dirs = (await fs.promises.readdir(root, { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => path.join(root, entry.name));
    const found = await inTurns(dirs, (dir) =>
      this.records.get(dir).catch(() => {
        // Deleted while being read: the next listing decides.
        this.records.forget(dir);
        return undefined;
      }),
    );
    const present = new Set(dirs);
    this.records.keepOnly(present);
    this.imageLists.keepOnly(present);
    return found
      .filter((run): run is ListedRun => run !== undefined)
      .map((run) => (run.status === 'running' ? { ...run, interrupted: withInterrupted(run).interrupted } : run))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The images of each run folder, in order; a folder's are read again only when its samples folder or generated index changed. */
  images(dirs: string[]): Promise<RunImages[]> {
    return inTurns(dirs, (dir) => this.imageLists.get(dir));
  }
}
