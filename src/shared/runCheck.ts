/**
 * Validates a whole run folder against the run format (src/protocol/runFormat.ts): every file the
 * format declares, every line, every checkpoint's training state. What `genlab runs check` prints.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTERNAL } from '../protocol/external';
import { METRICS_FILE, newerFormat, RUN_FILE, type RunConfig, runRecord, STATE_FILE } from '../protocol/runFormat';
import { type FileProblem, readJsonFile } from './decodedFiles';
import { BEST_CHECKPOINT, inspectTrainingState, listDensityFiles, listGenerated, listSampleFiles, readDensityFile, readInspector, readMetricsLines, withInterrupted } from './runFolder';

export interface RunCheck {
  problems: FileProblem[];
  /** One line on what the folder holds, e.g. "vae on mnist, finished at step 40 of 40, 42 metrics records, ...". */
  summary: string;
}

/** Checks each checkpoint's training state; `bestStep` is the step run.json names as the best, if it can say. */
function checkCheckpoints(dir: string, bestStep: number | undefined, problems: FileProblem[]): number {
  const root = path.join(dir, 'checkpoints');
  const steps = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => /^step-\d{6}$/.test(n)).sort() : [];
  for (const name of [...steps, BEST_CHECKPOINT]) {
    const checkpoint = path.join(root, name);
    // A family that cannot resume writes no training state; its checkpoint is the model alone.
    if (!fs.existsSync(path.join(checkpoint, STATE_FILE))) continue;
    const state = inspectTrainingState(checkpoint);
    const expected = name === BEST_CHECKPOINT ? bestStep : Number(name.slice(5));
    if (!state.ok) problems.push(state.problem);
    else if (expected !== undefined && state.value.step !== expected) problems.push({ file: path.join(checkpoint, STATE_FILE), problem: `step: says ${state.value.step}, and ${name === BEST_CHECKPOINT ? `run.json's best is step ${expected}` : `its folder is ${name}`}` });
  }
  return steps.length;
}

/** "vae", or for a run a script wrote: external "My flow" (python). */
function modelName(config: RunConfig): string {
  return config.family === EXTERNAL ? `external ${JSON.stringify(config.external.family)} (${config.external.writer.language})` : config.family;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function checkRunFolder(dir: string): RunCheck {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return { problems: [{ file: dir, problem: 'is not a folder' }], summary: '' };
  const problems: FileProblem[] = [];
  const record = readJsonFile(path.join(dir, RUN_FILE), runRecord);
  const newer = newerFormat(record.ok ? record.value : record.parsed);
  if (newer) problems.push({ file: path.join(dir, RUN_FILE), problem: `${newer}; check it with that GenLab` });
  else if (!record.ok) problems.push(record.problem);

  const metricsFile = path.join(dir, METRICS_FILE);
  if (!fs.existsSync(metricsFile)) problems.push({ file: metricsFile, problem: 'is missing' });
  const metrics = readMetricsLines(metricsFile, problems);
  const generated = listGenerated(dir, problems);
  const densities = listDensityFiles(dir);
  for (const density of densities) {
    const read = readDensityFile(density.path);
    if (!read.ok) problems.push(read.problem);
  }
  const checkpoints = checkCheckpoints(dir, record.ok ? record.value.best?.step : undefined, problems);
  const inspector = readInspector(dir, problems);

  const run = record.ok ? withInterrupted(record.value) : undefined;
  const what = run ? `${run.id}: ${modelName(run.config)} on ${run.config.dataset}, ${run.interrupted ? 'interrupted' : run.status} at step ${run.progress.step}${run.progress.totalSteps ? ` of ${run.progress.totalSteps}` : ''}` : path.basename(dir);
  const counts = [
    plural(metrics.length, 'metrics record'),
    plural(listSampleFiles(dir).length, 'sample grid'),
    plural(checkpoints, 'checkpoint'),
    plural(densities.length, 'density view'),
    `${generated.length} generated`,
  ];
  // A run from before the Model tab has no inspector/ at all.
  if (inspector.architecture || inspector.norms.length || inspector.activations.length) {
    counts.push(`inspector: ${inspector.architecture ? `${plural(inspector.architecture.networks.length, 'network')}, ` : ''}${plural(inspector.norms.length, 'norms record')}, ${plural(inspector.activations.length, 'activations record')}`);
  }
  return { problems, summary: `${what}; ${counts.join(', ')}` };
}
