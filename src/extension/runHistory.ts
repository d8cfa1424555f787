/**
 * Everything known about one run, held by the extension host: built from the run folder on disk
 * and/or kept up to date from the live trainer's messages. Webviews lose their page when hidden,
 * so this is what they are re-initialised from.
 */
import * as path from 'node:path';
import { EXTERNAL, runDataKind, SCORE_KIND_OF } from '../protocol/external';
import { runTitle, scoreMetric, specOf } from '../protocol/families';
import { type ActivationsRecord, addNormsRecord, type Architecture, type InspectorView, type NormsColumns } from '../protocol/inspector';
import type { DensityGrid, TrainerMessage } from '../protocol/messages';
import type { ModuleSource } from '../protocol/modelModule';
import type { RunState, RunView, SampleImage } from '../protocol/webview';
import { METRICS_FILE, type MetricsRecord, metricsRecord, type RunConfig } from '../protocol/runFormat';
import { type FileProblem, JsonLinesTail, problemText } from '../shared/decodedFiles';
import { listDensityFiles, listSampleFiles, type ReadRun, readDensityFile, readInspector, readRunForViewing, type SampleFile } from '../shared/runFolder';

/**
 * What changes a run's history: a live trainer's message, or what the folder of a run another
 * process writes gained (a sample file, a state such as 'interrupted' read from run.json).
 */
export type RunUpdate =
  | Exclude<TrainerMessage, { type: 'samples' | 'density' | 'status' }>
  | { type: 'samples'; step: number; kind: string; path: string }
  | { type: 'density'; step: number; grid: DensityGrid }
  | { type: 'status'; state: RunState }
  /** What the run declares changed (a script named its score): its whole view is sent again. */
  | { type: 'declared' };

export class RunHistory<C extends RunConfig = RunConfig> {
  state: RunState = 'loading-data';
  backend = '';
  /** Why faster backends were passed over. */
  backendNotes: string[] = [];
  step = 0;
  epoch = 0;
  totalSteps = 0;
  stepsPerSecond = 0;
  readonly steps: number[] = [];
  readonly series: Record<string, (number | null)[]> = {};
  readonly evals: { step: number; values: Record<string, number> }[] = [];
  /** Every sample grid, oldest first. */
  readonly samples: SampleFile[] = [];
  error?: { message: string; hint: string };
  /** The newest density view (models on 1-D or 2-D data). */
  densityGrid?: { step: number; grid: DensityGrid };
  /** Problems met while reading the folder (a damaged line, a missing file); shown, never fatal. */
  readonly warnings: string[] = [];
  /** What training left out or adjusted (rows or files skipped, the batch cut to the data). */
  readonly notes: string[] = [];
  /** A model module's run: the sources it trained (run.json's `source`), once the trainer has copied them. */
  source?: ModuleSource;
  /** The Model tab's records (inspector/ in the run folder). */
  architecture?: Architecture;
  readonly norms: NormsColumns = { steps: [], layers: [] };
  readonly activations: ActivationsRecord[] = [];
  private readonly metricsTail: JsonLinesTail<MetricsRecord>;

  constructor(
    readonly runId: string,
    readonly runDir: string,
    /** Fixed for a run GenLab trains; a script may declare its loss and score as it goes (catchUp). */
    public config: C,
    readonly createdAt: string,
  ) {
    this.metricsTail = new JsonLinesTail(path.join(runDir, METRICS_FILE), metricsRecord);
  }

  get title(): string {
    return runTitle(this.config);
  }

  get live(): boolean {
    return this.state === 'loading-data' || this.state === 'training' || this.state === 'evaluating' || this.state === 'stopping';
  }

  /** Last value of each eval metric. */
  get finalEval(): Record<string, number> {
    return Object.assign({}, ...this.evals.map((e) => e.values));
  }

  static fromDisk(dir: string): RunHistory {
    const found = readRunForViewing(dir);
    if (!found) throw new Error(`${dir} holds no run (no run.json, metrics or samples)`);
    const { record } = found;
    const run = new RunHistory(record.id, dir, record.config, record.createdAt);
    run.warnings.push(...found.warnings);
    run.notes.push(...(record.notes ?? []));
    run.takeRecord(record);
    run.readMetrics();
    run.samples.push(...listSampleFiles(dir));
    run.readDensity();
    run.readInspector();
    run.step = Math.max(run.step, record.progress.step);
    return run;
  }

  /** What run.json says of the run's progress and state. */
  private takeRecord(record: ReadRun): void {
    this.backend = record.backend;
    this.backendNotes = record.backendNotes ?? [];
    this.totalSteps = record.progress.totalSteps;
    this.state = record.interrupted ? 'interrupted' : record.status === 'running' ? 'training' : record.status;
    this.error = record.error;
    this.source = record.source;
    this.epoch = Math.max(this.epoch, record.progress.epoch);
  }

  /**
   * A run another process is writing (a person's own loop, through GenLab's logger): what its
   * folder gained since the last read, applied to this history and returned in the order it
   * happened, for the dashboards to follow as they follow a live trainer.
   */
  catchUp(): RunUpdate[] {
    const updates: RunUpdate[] = [];
    const found = readRunForViewing(this.runDir);
    const ended = !found || found.record.interrupted || found.record.status !== 'running';
    const problems: FileProblem[] = [];
    const { records, restarted } = this.metricsTail.read(problems, { final: ended });
    this.warnings.push(...problems.map((p) => problemText(p, this.runDir)));
    if (restarted) this.clearMetrics();
    for (const record of records) {
      const update: RunUpdate = record.kind === 'eval' ? { type: 'eval', step: record.step, values: record.values } : { type: 'metrics', step: record.step, epoch: record.epoch, values: record.values, elapsedMs: record.elapsedMs, sentAt: Date.now() };
      this.apply(update);
      updates.push(update);
    }
    const known = new Set(this.samples.map((s) => s.path));
    for (const s of listSampleFiles(this.runDir)) {
      if (known.has(s.path)) continue;
      const update: RunUpdate = { type: 'samples', ...s };
      this.apply(update);
      updates.push(update);
    }
    const density = this.densityGrid?.step;
    this.readDensity();
    if (this.densityGrid && this.densityGrid.step !== density) updates.push({ type: 'density', ...this.densityGrid });
    if (found) {
      const { state, config } = this;
      this.takeRecord(found.record);
      if (found.record.config.family === EXTERNAL && JSON.stringify(found.record.config) !== JSON.stringify(config)) {
        this.config = found.record.config as C;
        updates.push({ type: 'declared' });
      }
      if (this.state !== state) updates.push({ type: 'status', state: this.state });
    }
    return updates;
  }

  private clearMetrics(): void {
    this.steps.length = 0;
    this.evals.length = 0;
    for (const key of Object.keys(this.series)) delete this.series[key];
  }

  private readMetrics(): void {
    const problems: FileProblem[] = [];
    for (const record of this.metricsTail.read(problems, { final: this.state !== 'training' }).records) {
      if (record.kind === 'eval') this.evals.push({ step: record.step, values: record.values });
      else this.addPoint(record.step, record.epoch, record.values, record.elapsedMs);
    }
    this.warnings.push(...problems.map((p) => problemText(p, this.runDir)));
  }

  private readDensity(): void {
    const newest = listDensityFiles(this.runDir).at(-1);
    if (!newest || newest.step === this.densityGrid?.step) return;
    const read = readDensityFile(newest.path);
    if (read.ok) this.densityGrid = { step: newest.step, grid: read.value };
    else this.warnings.push(`${problemText(read.problem, this.runDir)}; skipped`);
  }

  private readInspector(): void {
    const problems: FileProblem[] = [];
    const read = readInspector(this.runDir, problems);
    this.architecture = read.architecture;
    for (const record of read.norms) addNormsRecord(this.norms, record);
    this.activations.push(...read.activations);
    this.warnings.push(...problems.map((p) => problemText(p, this.runDir)));
  }

  private addPoint(step: number, epoch: number, values: Record<string, number>, elapsedMs: number): void {
    const index = this.steps.length;
    this.steps.push(step);
    for (const [key, value] of Object.entries(values)) {
      // A key that appears late is padded so every column stays aligned with `steps`.
      const column = (this.series[key] ??= new Array<number | null>(index).fill(null));
      column.push(value);
    }
    for (const column of Object.values(this.series)) if (column.length < index + 1) column.push(null);
    this.step = step;
    this.epoch = epoch;
    this.stepsPerSecond = step / Math.max(elapsedMs / 1000, 1e-9);
  }

  /** Applies a live trainer message, or what a followed run's folder gained. */
  apply(message: RunUpdate): void {
    switch (message.type) {
      case 'ready':
        this.backend = message.backend;
        this.backendNotes = message.notes;
        return;
      case 'started':
        this.totalSteps = message.totalSteps;
        return;
      case 'status':
        this.state = message.state;
        return;
      case 'metrics':
        this.addPoint(message.step, message.epoch, message.values, message.elapsedMs);
        return;
      case 'eval':
        this.evals.push({ step: message.step, values: message.values });
        return;
      case 'samples':
        this.samples.push({ step: message.step, kind: message.kind, path: message.path });
        return;
      case 'density':
        this.densityGrid = { step: message.step, grid: message.grid };
        return;
      case 'error':
        if (message.fatal) this.error = { message: message.message, hint: message.hint };
        else this.notes.push(message.message);
        return;
      case 'architecture':
        this.architecture = message.architecture;
        return;
      case 'norms':
        addNormsRecord(this.norms, message.record);
        return;
      case 'activations':
        this.activations.push(message.record);
        return;
      case 'done':
        this.state = message.summary.state;
        this.stepsPerSecond = message.summary.stepsPerSecond;
        return;
    }
  }

  /** The newest grid of each kind. */
  latestSamples(): SampleFile[] {
    const latest = new Map<string, SampleFile>();
    for (const s of this.samples) latest.set(s.kind, s);
    return [...latest.values()];
  }

  /** What the family can say about density, scored by its metric for this kind of data (and, for a run a script wrote, what that score is). */
  private densityStory(): RunView['density'] {
    const { kind, summary } = specOf(this.config).density;
    const metric = scoreMetric(this.config);
    const scoreKind = this.config.family === EXTERNAL ? (this.config.external.metricKind ?? SCORE_KIND_OF[kind]) : undefined;
    return { kind, summary, ...(metric ? { metric } : {}), ...(scoreKind ? { scoreKind } : {}) };
  }

  toView(asUri: (file: string) => string): RunView {
    const info = specOf(this.config);
    const image = (s: SampleFile): SampleImage => ({ step: s.step, kind: s.kind, uri: asUri(s.path) });
    return {
      runId: this.runId,
      title: this.title,
      family: this.config.family,
      dataset: this.config.dataset,
      dataKind: runDataKind(this.config),
      backend: this.backend,
      ...(this.backendNotes.length ? { backendNotes: this.backendNotes } : {}),
      state: this.state,
      step: this.step,
      epoch: this.epoch,
      totalSteps: this.totalSteps,
      stepsPerSecond: this.stepsPerSecond,
      lossKey: info.lossKey,
      density: this.densityStory(),
      history: { steps: this.steps, series: this.series },
      evals: this.evals,
      samples: this.latestSamples().map(image),
      ...(this.error ? { error: this.error } : {}),
      ...(this.densityGrid ? { densityGrid: this.densityGrid } : {}),
      ...(this.warnings.length ? { warnings: this.warnings } : {}),
      ...(this.notes.length ? { notes: this.notes } : {}),
      ...(info.grids ? { grids: info.grids } : {}),
      ...(this.architecture || this.norms.steps.length ? { inspector: this.inspectorView() } : {}),
      ...(this.config.family === EXTERNAL ? { external: { title: info.title, writer: this.config.external.writer } } : {}),
      ...(this.config.module ? { module: { title: info.title, file: path.basename(this.config.module.path), version: this.version() } } : {}),
    };
  }

  private inspectorView(): InspectorView {
    return { norms: this.norms, activations: this.activations, ...(this.architecture ? { architecture: this.architecture } : {}) };
  }

  /** Which version of a module's sources the run trained: the start of their digest, as git abbreviates a commit. */
  private version(): string {
    return this.source?.sha256.slice(0, 12) ?? '';
  }

  /** The run's settings as Compare lists them: a module by its file and version, not its whole declaration. */
  comparedSettings(): Record<string, unknown> {
    if (this.config.family === EXTERNAL) {
      // A script's run: its own settings, and what wrote it; not the host, the pid or its checkpoints' paths.
      const { family, dataset, external, settings } = this.config;
      return { family, dataset, script: `${external.writer.language} ${external.writer.script ? path.basename(external.writer.script) : ''}`.trim(), settings };
    }
    const { module, ...config } = this.config;
    return module ? { module: { file: path.basename(module.path), version: this.version() }, ...config } : config;
  }
}
