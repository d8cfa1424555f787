/**
 * The training loop, shared by the child process (driven over IPC) and nothing else: the CLI and
 * the extension both talk to it through the trainer process. It owns the run folder and turns
 * everything that happens into protocol messages through `emit`.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import { DEFAULT_MAX_PARAMETERS, MODULE, type TrainConfig } from '../protocol/config';
import { scoreMetric, specOf } from '../protocol/families';
import type { RunSummary, TrainerMessage, TrainerState } from '../protocol/messages';
import { metricLabel } from '../protocol/metricLabels';
import type { BackendInfo } from './backend/select';
import { Batcher, loadDataset, trainCount, wholeTrainingSet } from './data/dataset';
import { UserError } from '../shared/userError';
import { BestTracker } from './bestEvaluation';
import { type Diagnosis, divergenceHint, DivergenceWatch } from './divergence';
import type { TrainableModel } from './families/family';
import type { ModelFamily } from './families/family';
import type { Dataset } from './data/dataset';
import { copySources, resolveFamily } from './modules/modelFamily';
import { gridToPng } from '../shared/png';
import { ModelInspector } from './inspector/inspector';
import { Rng } from './rng';
import { encodeState, restoreCheckpoint } from './families/trainingState';
import { latestResumableCheckpoint, readRunRecord, RunFolder, runStatusOf, writeTrainingState } from '../shared/runFolder';

export type Emit = (message: TrainerMessage) => void;

/**
 * Builds the model and counts what it learns: the size of every variable its construction made.
 * A module's size is known only now (a family's spec computes it beforehand), so the limit on
 * parameters is applied to it here.
 */
export function createCounted(family: ModelFamily, config: TrainConfig, data: Dataset, rng: Rng): { model: TrainableModel; parameters: number; created: tf.Variable[] } {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  const model = family.create(config, data, rng);
  const created = Object.entries(tf.engine().registeredVariables).flatMap(([name, v]) => (before.has(name) ? [] : [v]));
  // Scalars are optimisers' counters (Adam's powers of beta), not weights.
  const parameters = created.reduce((sum, v) => (v.rank === 0 ? sum : sum + v.size), 0);
  const limit = config.maxParameters ?? DEFAULT_MAX_PARAMETERS;
  if (config.family === MODULE && parameters > limit) {
    model.dispose();
    throw new UserError(`The model module's networks have ${parameters.toLocaleString('en-US')} parameters, above the limit of ${limit.toLocaleString('en-US')}.`, 'Make the model smaller, or raise the limit (setting genlab.maxParameters, CLI flag --max-parameters).');
  }
  return { model, parameters, created };
}

export class TrainingSession {
  private stopRequested = false;
  private sampleRequested = false;
  private state: TrainerState = 'loading-data';
  private run?: RunFolder;

  constructor(
    private readonly config: TrainConfig,
    private readonly backend: BackendInfo,
    private readonly emit: Emit,
    /** A run folder to continue from its last checkpoint, instead of starting a new run. */
    private readonly resumeFrom?: string,
  ) {}

  /** Ends training after the current step; the final eval, samples and checkpoint are still written. */
  requestStop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.state === 'training' || this.state === 'evaluating') this.setState('stopping');
  }

  requestSample(): void {
    this.sampleRequested = true;
  }

  private setState(state: TrainerState, detail?: string): void {
    this.state = state;
    this.emit({ type: 'status', state, ...(detail ? { detail } : {}) });
  }

  async execute(): Promise<RunSummary> {
    try {
      return await this.train();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const hint = err instanceof UserError ? err.hint : 'The run folder keeps everything written so far; see the trainer log for details.';
      this.run?.update({ status: 'failed', finishedAt: new Date().toISOString(), error: { message, hint } });
      this.run?.close();
      this.setState('failed', message);
      throw err;
    }
  }

  private async train(): Promise<RunSummary> {
    this.setState('loading-data', this.config.dataset);
    const { family, config: requested, module } = resolveFamily(this.config, this.resumeFrom);
    const data = await loadDataset(requested.dataset, requested.data);
    const notes: string[] = [];
    const warn = (message: string, hint: string) => {
      notes.push(message);
      this.emit({ type: 'error', message, hint, fatal: false });
    };
    for (const warning of data.warnings ?? []) {
      warn(warning, data.kind === 'images' ? 'Those files are left out; convert or replace them to include them.' : 'Those rows are left out; fix them in the file to include them.');
    }
    // A person's small folder or file may hold fewer examples than a batch of the family's defaults.
    const available = trainCount(data);
    const config = requested.batchSize > available ? { ...requested, batchSize: available } : requested;
    if (config !== requested) {
      warn(`The batch size ${requested.batchSize} is larger than the ${available} training examples; each step uses all ${available}.`, 'Set a smaller batch size for more steps per epoch, or add data.');
    }
    const rng = new Rng(config.seed);
    const checkpoint = this.resumeFrom === undefined ? undefined : latestResumableCheckpoint(this.resumeFrom);
    if (this.resumeFrom !== undefined && !checkpoint) {
      throw new UserError(`The run in ${this.resumeFrom} has no checkpoint to resume from.`, 'Checkpoints are written every evalEvery steps and at the end; start a new run instead.');
    }
    const resumedFromStep = checkpoint?.step;
    const whole = family.fullBatch && data.kind === 'points' ? wholeTrainingSet(data) : undefined;
    // A resumed run draws its batches in a new order (a stream forked by the step it resumes at):
    // the loss continues where it was, though not bit for bit as an uninterrupted run would.
    const batchRng = resumedFromStep === undefined ? rng.fork(2) : rng.fork(2).fork(resumedFromStep);
    const batches = whole ? undefined : new Batcher(data, config.batchSize, batchRng, family.grayscale);
    const stepsPerEpoch = batches?.stepsPerEpoch ?? 1;
    const totalSteps = config.steps ?? Math.max(1, Math.round(config.epochs * stepsPerEpoch));
    const { model, parameters, created } = createCounted(family, config, data, rng.fork(1));
    notes.push(...(model.notes ?? []));
    if (checkpoint) await restoreCheckpoint(model, checkpoint.dir);
    const inspector = new ModelInspector(model, created, data, { grayscale: family.grayscale ?? false, evalEvery: config.evalEvery, seed: config.seed });
    const run = (this.run =
      checkpoint && this.resumeFrom
        ? RunFolder.reopen(this.resumeFrom, config, checkpoint.step, totalSteps)
        : RunFolder.create(config, this.backend.label, this.backend.versions, totalSteps));
    // A module's run keeps the files it trained, so it can be resumed and sampled after they change.
    if (module && !checkpoint) run.update({ source: copySources(module, run.dir) });
    // Kept with the run, so that its dashboard says so whenever it is opened.
    run.update({ parameters, ...(notes.length ? { notes } : {}), ...(this.backend.notes.length ? { backendNotes: this.backend.notes } : {}) });
    run.writeArchitecture(inspector.architecture);
    this.emit({
      type: 'started',
      runId: run.id,
      runDir: run.dir,
      config,
      totalSteps,
      stepsPerEpoch,
      ...(resumedFromStep !== undefined ? { resumedFromStep } : {}),
    });
    this.emit({ type: 'architecture', architecture: inspector.architecture });

    const startedAt = performance.now();
    const elapsed = () => run.elapsedBefore + performance.now() - startedAt;
    const finalEval: Record<string, number> = {};
    const spec = specOf(config);
    const watch = new DivergenceWatch(model.divergenceSigns, { fullBatch: family.fullBatch });
    const diverged = (found: Diagnosis) => new UserError(found.message, divergenceHint(found, spec.without?.includes('learningRate') ? undefined : config.learningRate));
    const best = new BestTracker(scoreMetric(config), config.patience, this.resumeFrom === undefined ? undefined : readRunRecord(this.resumeFrom).best);
    let stoppedEarly: string | undefined;
    let lastSamplePath: string | undefined;
    let checkpointDir: string | undefined;
    let step = resumedFromStep ?? 0;
    let lastEvalStep = resumedFromStep ?? -1;

    const evaluateAndSave = async () => {
      this.setState('evaluating');
      const values = model.evaluate();
      Object.assign(finalEval, values);
      const epoch = step / stepsPerEpoch;
      run.appendMetrics({ kind: 'eval', step, epoch, elapsedMs: elapsed(), values });
      this.emit({ type: 'eval', step, values });
      const found = watch.evaluation(step, values);
      if (found) throw diverged(found);
      for (const w of model.warnings?.() ?? []) if (!notes.includes(w.message)) warn(w.message, w.hint);
      const activations = inspector.activations(step);
      if (activations) {
        run.appendActivations(activations);
        this.emit({ type: 'activations', record: activations });
      }
      const { improved, exhausted } = best.observe(step, values);
      lastSamplePath = this.writeSamples(model, run, step) ?? lastSamplePath;
      checkpointDir = await run.writeCheckpoint(step, async (dir) => {
        await model.save(dir);
        if (model.getState) await this.saveState(dir, step, await model.getState());
      });
      if (improved) await run.writeBestCheckpoint((dir) => fs.promises.cp(checkpointDir!, dir, { recursive: true }));
      if (exhausted && step < totalSteps) stoppedEarly = this.earlyStopNote(step, best);
      if (stoppedEarly) notes.push(stoppedEarly);
      run.update({ progress: { step, epoch, totalSteps }, finalMetrics: { ...finalEval }, ...(best.best ? { best: best.best } : {}), ...(notes.length ? { notes } : {}) });
      lastEvalStep = step;
      if (!this.stopRequested && !stoppedEarly) this.setState('training');
    };

    try {
      this.setState('training');
      while (step < totalSteps && !this.stopRequested && !stoppedEarly) {
        const x = whole ?? batches!.next();
        const recording = inspector.recordsNorms(step + 1);
        if (recording) inspector.beforeStep();
        const values = model.trainStep(x);
        if (x !== whole) x.dispose();
        step++;
        const norms = recording ? inspector.afterStep(step) : undefined;
        if (norms) {
          run.appendNorms(norms);
          this.emit({ type: 'norms', record: norms });
        }
        const found = watch.train(step, values);
        if (found) throw diverged(found);
        const epoch = step / stepsPerEpoch;
        const elapsedMs = elapsed();
        run.appendMetrics({ kind: 'train', step, epoch, elapsedMs, values });
        this.emit({ type: 'metrics', step, epoch, values, elapsedMs, sentAt: Date.now() });
        if (step % config.evalEvery === 0) await evaluateAndSave();
        if (this.sampleRequested) {
          this.sampleRequested = false;
          lastSamplePath = this.writeSamples(model, run, step) ?? lastSamplePath;
        }
        // Lets IPC messages (stop, sampleNow) and signals in between steps.
        await yieldToEventLoop();
      }
      if (lastEvalStep !== step) await evaluateAndSave();
    } finally {
      inspector.dispose();
      model.dispose();
      whole?.dispose();
    }

    const state: TrainerState = this.stopRequested && step < totalSteps ? 'stopped' : 'finished';
    const wallMs = elapsed();
    const epochs = step / stepsPerEpoch;
    run.update({ status: runStatusOf(state), finishedAt: new Date().toISOString(), progress: { step, epoch: epochs, totalSteps } });
    run.close();
    this.setState(state, stoppedEarly);
    const summary: RunSummary = {
      runId: run.id,
      runDir: run.dir,
      state,
      steps: step,
      epochs,
      wallMs,
      stepsPerSecond: step / Math.max(wallMs / 1000, 1e-9),
      backend: this.backend.label,
      finalEval,
      samplesDir: run.samplesDir,
      ...(lastSamplePath ? { lastSamplePath } : {}),
      ...(checkpointDir ? { checkpointDir } : {}),
      ...(best.best ? { best: best.best } : {}),
      ...(stoppedEarly ? { note: stoppedEarly } : {}),
    };
    this.emit({ type: 'done', summary });
    return summary;
  }

  private earlyStopNote(step: number, best: BestTracker): string {
    const { step: bestStep, metric, value } = best.best!;
    return `Stopped early at step ${step}: the ${metricLabel(metric)} had not improved for ${this.config.patience} evaluations; the best, ${Number(value.toPrecision(5))} at step ${bestStep}, is kept in checkpoints/best/.`;
  }

  private async saveState(dir: string, step: number, state: Awaited<ReturnType<NonNullable<TrainableModel['getState']>>>): Promise<void> {
    const { manifest, data } = await encodeState(state);
    writeTrainingState(dir, step, manifest, data);
    // Variables are the model's own; anything else was made for the checkpoint.
    for (const { tensor } of state) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }

  /**
   * Writes what the model can show at this step: sample grids (image models) and its density
   * view (models on 1-D or 2-D data). Returns the path of the main sample grid, if any.
   */
  private writeSamples(model: TrainableModel, run: RunFolder, step: number): string | undefined {
    const grid = model.density?.();
    if (grid) {
      this.emit({ type: 'density', step, path: run.writeDensity(step, grid), grid });
    }
    let first: string | undefined;
    for (const grid of model.sample?.() ?? []) {
      const { png, rows } = gridToPng(grid);
      const file = run.writeSample(step, grid.kind, png);
      first ??= file;
      this.emit({
        type: 'samples',
        step,
        kind: grid.kind,
        path: file,
        grid: { rows, cols: grid.cols, cellWidth: grid.width, cellHeight: grid.height },
      });
    }
    return first;
  }
}
