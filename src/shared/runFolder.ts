/**
 * One training run on disk:
 *   run.json          config, seed, backend, versions, status, timestamps, final metrics (atomic)
 *   metrics.jsonl     one JSON record per line, append-only
 *   samples/          step-NNNNNN.png (the family's main sample grid) and step-NNNNNN-<kind>.png
 *   density/          step-NNNNNN.json: the density view of a model on 1-D or 2-D data
 *   checkpoints/      step-NNNNNN/: the model in TensorFlow.js layers format, and training-state.json
 *                     + .bin (weights, optimiser moments, counters) to resume from; the newest few are kept
 * A trainer killed at any point leaves every earlier line and file whole, and run.json still
 * says `running` with the pid that no longer exists, which readers report as interrupted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeConfig, FAMILIES, KEEP_CHECKPOINTS, trainConfig, type TrainConfig } from '../protocol/config';
import { DATASETS } from '../protocol/datasets';
import { decode } from '../protocol/decode';
import type { DensityGrid, TrainerState } from '../protocol/messages';
import { writeFileAtomic, writeJsonAtomic } from './atomicFile';

export type RunStatus = 'running' | 'finished' | 'stopped' | 'failed';

export interface RunRecord {
  formatVersion: 1;
  id: string;
  name?: string;
  status: RunStatus;
  pid: number;
  config: TrainConfig;
  seed: number;
  backend: string;
  versions: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  progress: { step: number; epoch: number; totalSteps: number };
  /** Last value of each eval metric. */
  finalMetrics: Record<string, number>;
  error?: { message: string; hint: string };
  /** Each time the run was continued, and from which step. */
  resumedAt?: { step: number; at: string }[];
  /** What training left out or adjusted to fit the data (rows or files skipped, the batch cut to the data). */
  notes?: string[];
}

export type MetricsRecord =
  | { kind: 'train'; step: number; epoch: number; elapsedMs: number; values: Record<string, number> }
  | { kind: 'eval'; step: number; epoch: number; elapsedMs: number; values: Record<string, number> };


export function stepName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

function newRunId(config: TrainConfig, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${config.family}-${config.dataset}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Maps the trainer's state at exit to what run.json records. */
export function runStatusOf(state: TrainerState): RunStatus {
  if (state === 'finished' || state === 'stopped' || state === 'failed') return state;
  return 'running';
}

export class RunFolder {
  readonly dir: string;
  readonly samplesDir: string;
  private record: RunRecord;
  private readonly metricsFd: number;

  /**
   * @param elapsedBefore training time already spent (a resumed run), so that the elapsed times
   * in metrics.jsonl keep counting rather than start again at zero.
   */
  private constructor(dir: string, record: RunRecord, readonly elapsedBefore = 0) {
    this.dir = dir;
    this.samplesDir = path.join(dir, 'samples');
    this.record = record;
    fs.mkdirSync(this.samplesDir, { recursive: true });
    writeJsonAtomic(path.join(dir, 'run.json'), record);
    this.metricsFd = fs.openSync(path.join(dir, 'metrics.jsonl'), 'a');
  }

  /**
   * Reopens a run to continue it from the checkpoint at `step`: metrics recorded after that step
   * (a run killed between checkpoints) are dropped, so the history stays one line per step.
   */
  static reopen(dir: string, config: TrainConfig, step: number, totalSteps: number): RunFolder {
    const record = readRunRecord(dir);
    const metricsFile = path.join(dir, 'metrics.jsonl');
    const kept = readMetricsLines(metricsFile).filter((line) => line.step <= step);
    const elapsedMs = kept.at(-1)?.elapsedMs ?? 0;
    writeFileAtomic(metricsFile, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const { interrupted: _interrupted, error: _error, finishedAt: _finishedAt, ...rest } = record;
    return new RunFolder(dir, {
      ...rest,
      status: 'running',
      pid: process.pid,
      config,
      updatedAt: new Date().toISOString(),
      progress: { ...record.progress, step, totalSteps },
      resumedAt: [...(record.resumedAt ?? []), { step, at: new Date().toISOString() }],
    }, elapsedMs);
  }

  static create(config: TrainConfig, backend: string, versions: Record<string, string>, totalSteps: number): RunFolder {
    const now = new Date();
    const id = newRunId(config, now);
    const dir = path.resolve(config.runsDir, id);
    fs.mkdirSync(dir, { recursive: true });
    return new RunFolder(dir, {
      formatVersion: 1,
      id,
      ...(config.runName ? { name: config.runName } : {}),
      status: 'running',
      pid: process.pid,
      config,
      seed: config.seed,
      backend,
      versions,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      progress: { step: 0, epoch: 0, totalSteps },
      finalMetrics: {},
    });
  }

  get id(): string {
    return this.record.id;
  }

  /** One line per write call, so a kill can at worst lose the line being written, never an earlier one. */
  appendMetrics(record: MetricsRecord): void {
    fs.writeSync(this.metricsFd, `${JSON.stringify(record)}\n`);
  }

  update(patch: Partial<Omit<RunRecord, 'id' | 'formatVersion'>>): void {
    this.record = { ...this.record, ...patch, updatedAt: new Date().toISOString() };
    writeJsonAtomic(path.join(this.dir, 'run.json'), this.record);
  }

  writeSample(step: number, kind: string, png: Uint8Array): string {
    const file = path.join(this.samplesDir, kind === MAIN_SAMPLES ? `${stepName(step)}.png` : `${stepName(step)}-${kind}.png`);
    writeFileAtomic(file, png);
    return file;
  }

  writeDensity(step: number, grid: DensityGrid): string {
    const dir = path.join(this.dir, 'density');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stepName(step)}.json`);
    writeJsonAtomic(file, grid);
    return file;
  }

  /**
   * Writes a checkpoint into a temporary folder and renames it into place, so a checkpoint folder
   * that exists is complete; then prunes all but the newest few.
   */
  async writeCheckpoint(step: number, save: (dir: string) => Promise<void>): Promise<string> {
    const root = path.join(this.dir, 'checkpoints');
    const final = path.join(root, stepName(step));
    const tmp = path.join(root, `.${stepName(step)}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    await save(tmp);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
    const kept = fs
      .readdirSync(root)
      .filter((n) => /^step-\d{6}$/.test(n))
      .sort();
    for (const old of kept.slice(0, -(this.record.config.keepCheckpoints ?? KEEP_CHECKPOINTS))) fs.rmSync(path.join(root, old), { recursive: true, force: true });
    return final;
  }

  close(): void {
    fs.closeSync(this.metricsFd);
  }
}

export interface SampleFile {
  step: number;
  kind: string;
  path: string;
}

/** The kind of a family's main grid of samples, saved as step-NNNNNN.png; other kinds add their name. */
export const MAIN_SAMPLES = 'samples';
const SAMPLE_FILE = /^step-(\d{6})(?:-([a-z-]+))?\.png$/;

/** The sample grids a run folder holds (as `writeSample` names them) by step; the main grid first within a step. */
export function listSampleFiles(runDir: string): SampleFile[] {
  const dir = path.join(runDir, 'samples');
  if (!fs.existsSync(dir)) return [];
  const rank = (kind: string) => (kind === MAIN_SAMPLES ? '' : kind);
  return fs
    .readdirSync(dir)
    .flatMap((name) => {
      const m = SAMPLE_FILE.exec(name);
      return m ? [{ step: Number(m[1]), kind: m[2] ?? MAIN_SAMPLES, path: path.join(dir, name) }] : [];
    })
    .sort((a, b) => a.step - b.step || rank(a.kind).localeCompare(rank(b.kind)));
}

/** The records of metrics.jsonl; a torn last line (a kill mid-write) is skipped. */
export function readMetricsLines(file: string): MetricsRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as MetricsRecord] : [];
      } catch {
        return [];
      }
    });
}

/** The newest checkpoint that holds a training state, if any. */
export function latestResumableCheckpoint(runDir: string): { step: number; dir: string } | undefined {
  const root = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(root)) return undefined;
  const steps = fs
    .readdirSync(root)
    .filter((n) => /^step-\d{6}$/.test(n) && fs.existsSync(path.join(root, n, STATE_FILE)))
    .sort();
  const last = steps.at(-1);
  return last ? { step: Number(last.slice(5)), dir: path.join(root, last) } : undefined;
}

export const STATE_FILE = 'training-state.json';
const STATE_DATA = 'training-state.bin';

export function writeTrainingState(dir: string, step: number, manifest: unknown, data: Uint8Array): void {
  writeFileAtomic(path.join(dir, STATE_DATA), data);
  writeJsonAtomic(path.join(dir, STATE_FILE), { step, manifest });
}

export function readTrainingState(dir: string): { step: number; manifest: unknown; data: Uint8Array } {
  const { step, manifest } = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { step: number; manifest: unknown };
  return { step, manifest, data: fs.readFileSync(path.join(dir, STATE_DATA)) };
}

/**
 * A run's record for listing and viewing, also when run.json is damaged or missing (a hand edit, a
 * copy, an older version): settings that do not decode are kept as they are, and a missing record
 * is rebuilt from the folder's name and metrics. `warnings` says what was wrong. Undefined for a
 * folder that holds no run at all.
 */
export function readRunForViewing(dir: string): { record: RunRecord & { interrupted: boolean }; warnings: string[] } | undefined {
  let record: (RunRecord & { interrupted: boolean }) | undefined;
  let problem: string | undefined;
  try {
    record = readRunRecord(dir);
  } catch (err) {
    problem = fs.existsSync(path.join(dir, 'run.json')) ? `run.json cannot be read (${err instanceof Error ? err.message : String(err)})` : 'run.json is missing';
  }
  if (record) {
    const checked = decode(trainConfig, record.config, 'config');
    const known = (FAMILIES as readonly string[]).includes(record.config?.family);
    if (checked.ok && known) return { record, warnings: [] };
    if (known) return { record, warnings: [`run.json's settings are not those of this GenLab version (${checked.ok ? '' : checked.error}); shown as recorded`] };
    problem = `run.json names an unknown family "${String(record.config?.family)}"`;
  }
  const metrics = readMetricsLines(path.join(dir, 'metrics.jsonl'));
  if (!metrics.length && !fs.existsSync(path.join(dir, 'samples'))) return undefined;
  return { record: rebuiltRecord(dir, metrics), warnings: [`${problem}; rebuilt from the folder name and metrics.jsonl`] };
}

/** The record a run folder implies: its name says family and dataset (as newRunId writes them), metrics the progress. */
function rebuiltRecord(dir: string, metrics: MetricsRecord[]): RunRecord & { interrupted: boolean } {
  const id = path.basename(dir);
  const family = FAMILIES.find((f) => id.startsWith(`${f}-`)) ?? 'vae';
  const dataset = DATASETS.find((d) => id.startsWith(`${family}-${d}-`)) ?? completeConfig({ family }).dataset;
  let config: TrainConfig;
  try {
    config = completeConfig({ family, dataset, runsDir: path.dirname(dir) });
  } catch {
    config = completeConfig({ family, runsDir: path.dirname(dir) });
  }
  const last = metrics.at(-1);
  const at = fs.statSync(dir).mtime.toISOString();
  return {
    formatVersion: 1,
    id,
    status: 'stopped',
    pid: 0,
    config,
    seed: config.seed,
    backend: 'unknown',
    versions: {},
    createdAt: at,
    updatedAt: at,
    progress: { step: last?.step ?? 0, epoch: last?.epoch ?? 0, totalSteps: last?.step ?? 0 },
    finalMetrics: Object.assign({}, ...metrics.filter((m) => m.kind === 'eval').map((m) => m.values)),
    interrupted: false,
  };
}

/** Reads a run's record; a `running` run whose process is gone is reported as interrupted. */
export function readRunRecord(dir: string): RunRecord & { interrupted: boolean } {
  const record = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
  return { ...record, interrupted: record.status === 'running' && !processAlive(record.pid) };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Grids and points drawn from a trained run (src/trainer/generate.ts), listed in index.jsonl. */
export const GENERATED_DIR = path.join('samples', 'generated');
export const GENERATED_INDEX = 'index.jsonl';

/** One line of samples/generated/index.jsonl. */
export interface GeneratedRecord {
  file: string;
  caption: string;
  step: number;
  createdAt: string;
}

/** What a run has generated after training, oldest first; a torn or foreign line is skipped. */
export function listGenerated(runDir: string): (GeneratedRecord & { path: string })[] {
  const index = path.join(runDir, GENERATED_DIR, GENERATED_INDEX);
  if (!fs.existsSync(index)) return [];
  return fs
    .readFileSync(index, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const r = JSON.parse(line) as GeneratedRecord;
        const file = path.join(runDir, GENERATED_DIR, path.basename(r.file));
        return typeof r.caption === 'string' && fs.existsSync(file) ? [{ ...r, path: file }] : [];
      } catch {
        return [];
      }
    });
}

export type ListedRun = RunRecord & { dir: string; interrupted: boolean; warnings: string[] };

/** Every run under `root` (a light listing: run.json only), newest first; a damaged one is listed with its warnings, a folder that is no run is skipped. */
export function listRuns(root: string): ListedRun[] {
  if (!fs.existsSync(root)) return [];
  const runs: ListedRun[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(root, entry.name);
    const found = readRunForViewing(dir);
    if (found) runs.push({ ...found.record, dir, warnings: found.warnings });
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
