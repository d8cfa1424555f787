/**
 * One training run on disk, in the format src/protocol/runFormat.ts declares: the writer
 * (RunFolder, used by the trainer) and the readers, which decode every file they read. A reader
 * reports what it could not read, with path and line, and reads the rest.
 * A trainer killed at any point leaves every earlier line and file whole, and run.json still
 * says `running` with the pid that no longer exists, which readers report as interrupted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completeConfig, FAMILIES, KEEP_CHECKPOINTS, type TrainConfig } from '../protocol/config';
import { DATASETS } from '../protocol/datasets';
import { EXTERNAL } from '../protocol/external';
import type { Decoder } from '../protocol/decode';
import { ACTIVATIONS_FILE, type ActivationsRecord, activationsRecord, ARCHITECTURE_FILE, type Architecture, architecture, INSPECTOR_DIR, NORMS_FILE, type NormsRecord, normsRecord } from '../protocol/inspector';
import type { DensityGrid, TrainerState } from '../protocol/messages';
import {
  decodeProblem,
  densityFile,
  type GeneratedRecord,
  generatedRecord,
  METRICS_FILE,
  type MetricsRecord,
  metricsRecord,
  newerFormat,
  RUN_FILE,
  RUN_FORMAT_VERSION,
  type RunConfig,
  type RunRecord,
  runRecord,
  runRecordAsRecorded,
  type RunStatus,
  STATE_DATA,
  STATE_FILE,
  stateDataBytes,
  trainingState,
  type TrainingStateFile,
} from '../protocol/runFormat';
import { writeFileAtomic, writeJsonAtomic } from './atomicFile';
import { type FileProblem, type JsonFileRead, problemText, readJsonFile, readJsonLines } from './decodedFiles';
import { createFreshFolder } from './safePaths';
import { UserError } from './userError';

export { STATE_FILE };
export type { GeneratedRecord, MetricsRecord, RunRecord, RunStatus };

export function stepName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

function newRunId(config: RunConfig, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  // A module's runs are named after its file (my-vae.ts: my-vae-mnist-...), a script's after its
  // run or its model, in letters a folder name can hold anywhere.
  const model =
    config.family === 'module' ? folderSlug(path.basename(config.module.path).replace(/\.[^.]*$/, '')) || 'module' : config.family === EXTERNAL ? folderSlug(config.runName ?? config.external.family) || 'run' : config.family;
  return `${model}-${config.family === EXTERNAL ? folderSlug(config.dataset) || 'data' : config.dataset}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Lowercase ASCII letters, digits and dashes: "Réseau à moi" is reseau-a-moi. */
function folderSlug(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '');
}

/**
 * Creates the folder `id` under `runsDir`, or `id-2`, `id-3`... when another run (another window,
 * another CLI) took that name first: the creation itself is the test, so two runs never share one.
 */
export function createRunDir(runsDir: string, id: string): string {
  fs.mkdirSync(runsDir, { recursive: true });
  return createFreshFolder(path.resolve(runsDir), id);
}

/** Checkpoint folders being written (.step-NNNNNN.tmp) or removed (.step-NNNNNN.old): what a kill can leave behind. */
const CHECKPOINT_IN_PROGRESS = /^\.(step-\d{6}|best)\.(tmp|old)$/;
/** The folder under checkpoints/ that holds the model of the best evaluation (writeBestCheckpoint). */
export const BEST_CHECKPOINT = 'best';

/** Removes a folder so that no reader sees it half deleted: renamed out of the way first, then deleted. */
function removeDirAtomically(dir: string): void {
  const doomed = path.join(path.dirname(dir), `.${path.basename(dir)}.old`);
  fs.rmSync(doomed, { recursive: true, force: true });
  fs.renameSync(dir, doomed);
  fs.rmSync(doomed, { recursive: true, force: true });
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
  /** Opened at the first record: a run with none has no inspector/ (an older run's shape). */
  private normsFd?: number;
  private activationsFd?: number;

  /**
   * @param elapsedBefore training time already spent (a resumed run), so that the elapsed times
   * in metrics.jsonl keep counting rather than start again at zero.
   */
  private constructor(dir: string, record: RunRecord, readonly elapsedBefore = 0) {
    this.dir = dir;
    this.samplesDir = path.join(dir, 'samples');
    this.record = record;
    fs.mkdirSync(this.samplesDir, { recursive: true });
    this.removeUnfinishedCheckpoints();
    writeJsonAtomic(path.join(dir, 'run.json'), record);
    this.metricsFd = fs.openSync(path.join(dir, 'metrics.jsonl'), 'a');
  }

  /**
   * Reopens a run to continue it from the checkpoint at `step`: metrics recorded after that step
   * (a run killed between checkpoints) are dropped, so the history stays one line per step.
   */
  static reopen(dir: string, config: TrainConfig, step: number, totalSteps: number): RunFolder {
    const record = readTrainedRunRecord(dir);
    const metricsFile = path.join(dir, 'metrics.jsonl');
    const kept = keepLinesUpTo(metricsFile, metricsRecord, step);
    const elapsedMs = kept.at(-1)?.elapsedMs ?? 0;
    keepLinesUpTo(path.join(dir, INSPECTOR_DIR, NORMS_FILE), normsRecord, step);
    keepLinesUpTo(path.join(dir, INSPECTOR_DIR, ACTIVATIONS_FILE), activationsRecord, step);
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

  /** A new run folder; a run a script writes (genlab/log) gives its own `seed`, as its config has none. */
  static create(config: RunConfig, backend: string, versions: Record<string, string>, totalSteps: number, seed = config.family === EXTERNAL ? 0 : config.seed): RunFolder {
    const now = new Date();
    const dir = createRunDir(config.runsDir, newRunId(config, now));
    return new RunFolder(dir, {
      formatVersion: RUN_FORMAT_VERSION,
      id: path.basename(dir),
      ...(config.runName ? { name: config.runName } : {}),
      status: 'running',
      pid: process.pid,
      config,
      seed,
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

  writeArchitecture(architecture: Architecture): void {
    writeJsonAtomic(path.join(this.inspectorDir(), ARCHITECTURE_FILE), architecture);
  }

  /** Appended like metrics.jsonl: one line per write call. */
  appendNorms(record: NormsRecord): void {
    fs.writeSync((this.normsFd ??= fs.openSync(path.join(this.inspectorDir(), NORMS_FILE), 'a')), `${JSON.stringify(record)}\n`);
  }

  appendActivations(record: ActivationsRecord): void {
    fs.writeSync((this.activationsFd ??= fs.openSync(path.join(this.inspectorDir(), ACTIVATIONS_FILE), 'a')), `${JSON.stringify(record)}\n`);
  }

  private inspectorDir(): string {
    const dir = path.join(this.dir, INSPECTOR_DIR);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  writeDensity(step: number, grid: DensityGrid): string {
    const dir = path.join(this.dir, 'density');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stepName(step)}.json`);
    writeJsonAtomic(file, grid);
    return file;
  }

  private get checkpointsDir(): string {
    return path.join(this.dir, 'checkpoints');
  }

  /**
   * Writes a checkpoint into a temporary folder and renames it into place, so a checkpoint folder
   * that exists is complete; then prunes all but the newest few, each removed atomically.
   */
  async writeCheckpoint(step: number, save: (dir: string) => Promise<void>): Promise<string> {
    const root = this.checkpointsDir;
    const final = await this.replaceCheckpoint(stepName(step), save);
    const kept = fs
      .readdirSync(root)
      .filter((n) => /^step-\d{6}$/.test(n))
      .sort();
    const keep = this.record.config.family === EXTERNAL ? KEEP_CHECKPOINTS : (this.record.config.keepCheckpoints ?? KEEP_CHECKPOINTS);
    for (const old of kept.slice(0, -keep)) removeDirAtomically(path.join(root, old));
    return final;
  }

  /** The model at the best evaluation so far, as checkpoints/best/ (never pruned), replacing the previous best. */
  writeBestCheckpoint(save: (dir: string) => Promise<void>): Promise<string> {
    return this.replaceCheckpoint(BEST_CHECKPOINT, save);
  }

  /** Saves into a temporary folder renamed into place as checkpoints/<name>, so a checkpoint folder that exists is complete. */
  private async replaceCheckpoint(name: string, save: (dir: string) => Promise<void>): Promise<string> {
    const final = path.join(this.checkpointsDir, name);
    const tmp = path.join(this.checkpointsDir, `.${name}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    await save(tmp);
    if (fs.existsSync(final)) removeDirAtomically(final);
    fs.renameSync(tmp, final);
    return final;
  }

  /** The half-written or half-removed checkpoint folders a killed trainer left. */
  private removeUnfinishedCheckpoints(): void {
    const root = this.checkpointsDir;
    if (!fs.existsSync(root)) return;
    for (const name of fs.readdirSync(root)) if (CHECKPOINT_IN_PROGRESS.test(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }

  close(): void {
    for (const fd of [this.metricsFd, this.normsFd, this.activationsFd]) if (fd !== undefined) fs.closeSync(fd);
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

/**
 * The sample grids a run folder holds (as `writeSample` names them) by step; the main grid first
 * within a step. Only plain files: a symbolic link planted in a copied run could point a webview
 * (allowed to show anything in the runs folder) at an image from elsewhere.
 */
export function listSampleFiles(runDir: string): SampleFile[] {
  const dir = path.join(runDir, 'samples');
  if (!fs.existsSync(dir)) return [];
  const rank = (kind: string) => (kind === MAIN_SAMPLES ? '' : kind);
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const m = entry.isFile() ? SAMPLE_FILE.exec(entry.name) : null;
      return m ? [{ step: Number(m[1]), kind: m[2] ?? MAIN_SAMPLES, path: path.join(dir, entry.name) }] : [];
    })
    .sort((a, b) => a.step - b.step || rank(a.kind).localeCompare(rank(b.kind)));
}

/** Rewrites a JSON-lines file of a run being resumed from `step` with the records up to it (those after belong to steps that will run again). */
function keepLinesUpTo<T extends { step: number }>(file: string, decoder: Decoder<T>, step: number): T[] {
  if (!fs.existsSync(file)) return [];
  const kept = readJsonLines(file, decoder).records.filter((r) => r.step <= step);
  writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return kept;
}

/** What the Model tab shows of a run, as far as its inspector/ files can be read (a run from before them has none). */
export interface InspectorRecords {
  architecture?: Architecture;
  norms: NormsRecord[];
  activations: ActivationsRecord[];
}

export function readInspector(runDir: string, problems: FileProblem[]): InspectorRecords {
  const dir = path.join(runDir, INSPECTOR_DIR);
  if (!fs.existsSync(dir)) return { norms: [], activations: [] };
  const read = readJsonFile(path.join(dir, ARCHITECTURE_FILE), architecture);
  if (!read.ok) problems.push(read.problem);
  const lines = <T>(file: string, decoder: Decoder<T>): T[] => {
    const found = readJsonLines(path.join(dir, file), decoder);
    problems.push(...found.problems);
    return found.records;
  };
  return { ...(read.ok ? { architecture: read.value } : {}), norms: lines(NORMS_FILE, normsRecord), activations: lines(ACTIVATIONS_FILE, activationsRecord) };
}

/** The records of metrics.jsonl that decode; each line that does not is skipped, and added to `problems` when given. */
export function readMetricsLines(file: string, problems?: FileProblem[]): MetricsRecord[] {
  const read = readJsonLines(file, metricsRecord);
  problems?.push(...read.problems);
  return read.records;
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

export function writeTrainingState(dir: string, step: number, manifest: unknown, data: Uint8Array): void {
  writeFileAtomic(path.join(dir, STATE_DATA), data);
  writeJsonAtomic(path.join(dir, STATE_FILE), { step, manifest });
}

export type SavedTrainingState = TrainingStateFile & { data: Uint8Array };

/** A checkpoint's training state, decoded, its data checked to be as long as its manifest says (a cut file is not). */
export function inspectTrainingState(dir: string): { ok: true; value: SavedTrainingState } | { ok: false; problem: FileProblem } {
  const read = readJsonFile(path.join(dir, STATE_FILE), trainingState);
  if (!read.ok) return read;
  const file = path.join(dir, STATE_DATA);
  const data = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  const expected = stateDataBytes(read.value.manifest);
  if (data?.length !== expected) return { ok: false, problem: { file, problem: data ? `holds ${data.length} bytes, and ${STATE_FILE} describes ${expected}` : 'is missing' } };
  return { ok: true, value: { ...read.value, data } };
}

export function readTrainingState(dir: string): SavedTrainingState {
  const state = inspectTrainingState(dir);
  if (!state.ok) throw new UserError(`The checkpoint's training state cannot be read: ${problemText(state.problem)}.`, 'Delete this checkpoint folder to resume from the one before it, or train a new run.');
  return state.value;
}

export type ReadRun = RunRecord & { interrupted: boolean };

/**
 * A run's record for listing and viewing, also when run.json is damaged or missing (a hand edit, a
 * copy, another version): a record whose settings do not decode is shown as recorded, and a
 * missing or unreadable one is rebuilt from the folder's name and metrics. `warnings` says what
 * was wrong, with the file and field. Undefined for a folder that holds no run at all. `read` is
 * run.json as already read (the extension host reads it asynchronously).
 */
export function readRunForViewing(dir: string, read: JsonFileRead<RunRecord> = readJsonFile(path.join(dir, RUN_FILE), runRecord)): { record: ReadRun; warnings: string[] } | undefined {
  const parsed = read.ok ? read.value : read.parsed;
  const newer = newerFormat(parsed);
  let problem: string;
  if (newer) problem = `${RUN_FILE} ${newer}; update GenLab to open it fully`;
  else if (read.ok) return { record: withInterrupted(read.value), warnings: [] };
  else problem = problemText(read.problem, dir);
  const asRecorded = parsed === undefined ? undefined : decodeProblem(runRecordAsRecorded, parsed);
  if (asRecorded?.ok) return { record: withInterrupted(asRecorded.value), warnings: [`${problem}; shown as recorded`] };
  const metrics = readMetricsLines(path.join(dir, METRICS_FILE));
  if (!metrics.length && !fs.existsSync(path.join(dir, 'samples'))) return undefined;
  return { record: rebuiltRecord(dir, metrics), warnings: [`${problem}; rebuilt from the folder name and ${METRICS_FILE}`] };
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
    formatVersion: RUN_FORMAT_VERSION,
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

/** Reads a run's record to work with it (resume, sample, export); throws a UserError naming the file and field when it does not decode. */
export function readRunRecord(dir: string): ReadRun {
  const file = path.join(dir, RUN_FILE);
  const read = readJsonFile(file, runRecord);
  const newer = newerFormat(read.ok ? read.value : read.parsed);
  if (newer) throw new UserError(`${file} ${newer}.`, 'Update GenLab to work with this run.');
  if (!read.ok) throw new UserError(`This run's record cannot be read: ${problemText(read.problem)}.`, '`genlab runs check <run-folder>` lists every problem; fix run.json, or train a new run.');
  return withInterrupted(read.value);
}

/** A run GenLab trained, as resuming, sampling and exporting need it: a run a person's own loop wrote has no GenLab model to load. */
export function readTrainedRunRecord(dir: string): ReadRun & { config: TrainConfig } {
  const record = readRunRecord(dir);
  if (record.config.family !== EXTERNAL) return record as ReadRun & { config: TrainConfig };
  const { writer } = record.config.external;
  throw new UserError(
    `This run was written by ${writer.script ? `the ${writer.language} script ${writer.script}` : `a ${writer.language} script`} through GenLab's logger, not trained by GenLab, so GenLab has no model of it to resume, sample or export.`,
    'Run the script again to continue it; GenLab shows and compares its runs like its own.',
  );
}

/**
 * Changes fields of a run's record from outside its trainer (a rename, a failure the trainer could
 * not record). The record is decoded as recorded, so a run written by another GenLab version can
 * still be renamed; one from a newer format is left alone.
 */
export function patchRunRecord(dir: string, patch: (record: RunRecord) => RunRecord): void {
  const file = path.join(dir, RUN_FILE);
  const read = readJsonFile(file, runRecordAsRecorded);
  const newer = newerFormat(read.ok ? read.value : read.parsed);
  if (newer) throw new UserError(`${file} ${newer}.`, 'Update GenLab to work with this run.');
  if (!read.ok) throw new UserError(`This run's record cannot be read: ${problemText(read.problem)}.`, '`genlab runs check <run-folder>` lists every problem; fix run.json, or train a new run.');
  writeJsonAtomic(file, { ...patch(read.value), updatedAt: new Date().toISOString() });
}

/** A `running` run whose process is gone was interrupted. */
export function withInterrupted(record: RunRecord): ReadRun {
  // A script on another machine (a remote window's host) may be alive: its pid means nothing here.
  const elsewhere = record.config.family === EXTERNAL && record.config.external.writer.host !== os.hostname();
  return { ...record, interrupted: record.status === 'running' && !elsewhere && !processAlive(record.pid) };
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

/** What a run has generated after training, oldest first; a line that does not decode, or names a missing file, is skipped and added to `problems` when given. */
export function listGenerated(runDir: string, problems?: FileProblem[]): (GeneratedRecord & { path: string })[] {
  const index = path.join(runDir, GENERATED_DIR, GENERATED_INDEX);
  const read = readJsonLines(index, generatedRecord);
  problems?.push(...read.problems);
  return read.records.flatMap((r) => {
    const file = path.join(runDir, GENERATED_DIR, path.basename(r.file));
    if (fs.lstatSync(file, { throwIfNoEntry: false })?.isFile()) return [{ ...r, path: file }];
    problems?.push({ file: index, problem: `names ${r.file}, which is missing or not a plain file` });
    return [];
  });
}

/** The density views a run folder holds, by step. */
export function listDensityFiles(runDir: string): { step: number; path: string }[] {
  const dir = path.join(runDir, 'density');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^step-\d{6}\.json$/.test(n))
    .sort()
    .map((n) => ({ step: Number(n.slice(5, 11)), path: path.join(dir, n) }));
}

/** A density view, decoded. */
export function readDensityFile(file: string): { ok: true; value: DensityGrid } | { ok: false; problem: FileProblem } {
  return readJsonFile(file, densityFile);
}

export type ListedRun = ReadRun & { dir: string; warnings: string[] };

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
