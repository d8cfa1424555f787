/**
 * The run folder's format, declared once as decoders: what the trainer writes, what every reader
 * decodes, and what media/schemas/run.schema.json and metrics-record.schema.json are generated
 * from, for other tools. A run folder holds:
 *   run.json                      the run record (runRecord), rewritten atomically
 *   metrics.jsonl                 one metricsRecord per line, append-only
 *   samples/step-NNNNNN[-kind].png  sample grids
 *   samples/generated/index.jsonl one generatedRecord per file drawn after training
 *   density/step-NNNNNN.json      a densityGrid (models on 1-D or 2-D data)
 *   checkpoints/step-NNNNNN/      the model (TensorFlow.js layers format) and trainingState
 *                                 (training-state.json, its tensors in training-state.bin)
 *   checkpoints/best/             the same, at the evaluation run.json's `best` names
 *   source/                       a model module's run: the files it trained (run.json's `source`)
 *   inspector/                    the Model tab: architecture.json, norms.jsonl, activations.jsonl
 *                                 (declared in inspector.ts; absent in runs from before it)
 * The version rule: a change of shape bumps RUN_FORMAT_VERSION; a reader reads every version up
 * to its own and says that a folder with a higher one is from a newer GenLab.
 */
import { trainConfig, FAMILIES, MODULE, type TrainConfig } from './config';
import { DATASETS } from './datasets';
import { arrayOf, type Decoder, DecodeError, documented, type Infer, type JsonSchema, num, object, oneOf, plainObject, recordOf, schemaOf, str, withSchema } from './decode';
import { EXTERNAL, type ExternalConfig, externalConfig } from './external';
import { bestEvaluation, densityGrid } from './messages';
import { moduleRef, moduleSource } from './modelModule';

/**
 * 2 added `best`: the best evaluation, whose model is checkpoints/best/. 3 added runs of a
 * person's model module (config.family "module", `source`) and `parameters`. 4 added runs a
 * person's own training loop writes through GenLab's loggers (config.family "external").
 */
export const RUN_FORMAT_VERSION = 4;

export const RUN_FILE = 'run.json';
export const METRICS_FILE = 'metrics.jsonl';
export const STATE_FILE = 'training-state.json';
export const STATE_DATA = 'training-state.bin';

export const RUN_STATUSES = ['running', 'finished', 'stopped', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const step = num({ int: true, min: 0 });
const time = documented(str({ nonEmpty: true }), 'An ISO 8601 time in UTC, as Date.toISOString writes it.');

/**
 * Metric values by name. JSON has no NaN or infinity, so JSON.stringify writes a diverged value as
 * null; it reads as absent, which the charts draw as a gap.
 */
const finite = num();
export const metricValues = withSchema<Decoder<Record<string, number>>>(
  (input, path) => {
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(plainObject(input, path))) {
      if (value === null) continue;
      out[key] = finite(value, `${path}.${key}`);
    }
    return out;
  },
  { type: 'object', additionalProperties: { type: ['number', 'null'] }, description: 'Metric values by name; null stands for a value that was not finite (a diverged loss).' },
);

/** A run's config: what GenLab trained it with, or what a person's own loop declared (external.ts). */
export type RunConfig = TrainConfig | ExternalConfig;

const isExternal = (input: unknown) => (input as { family?: unknown } | null)?.family === EXTERNAL;

/** The config as this GenLab checks it; its schema says what every config holds, the decoder applies each family's rules. */
const config = withSchema<Decoder<RunConfig>>(
  (input, path) => (isExternal(input) ? externalConfig(input, path) : trainConfig(input, path)),
  () => ({
    anyOf: [
      {
        type: 'object',
        required: ['family', 'dataset', 'seed', 'batchSize', 'learningRate', 'evalEvery', 'backend', 'runsDir', 'model'],
        properties: { family: { enum: [...FAMILIES, MODULE] }, dataset: { enum: [...DATASETS] }, model: { type: 'object' } },
        description: 'The training config: the fields of an experiment file (experiment.schema.json) with every default filled in, plus runsDir, and runName, experiment and keepCheckpoints when set.',
      },
      { ...schemaOf(externalConfig), description: "A run written by a person's own training loop through GenLab's Python or Node logger." },
    ],
  }),
);

/**
 * Settings written by another GenLab version, kept as recorded so the run can still be listed and
 * viewed; only the family is checked, because the views lay a run out by its family.
 */
const configAsRecorded: Decoder<RunConfig> = (input, path) => {
  const recorded = plainObject(input, path);
  const family = oneOf([...FAMILIES, MODULE, EXTERNAL])(recorded.family, `${path}.family`);
  // A module's run is laid out by what its module declared, an external one by what its script did.
  if (family === MODULE) moduleRef(recorded.module, `${path}.module`);
  if (family === EXTERNAL) return externalConfig(recorded, path);
  return recorded as TrainConfig;
};

function runRecordOf(settings: Decoder<RunConfig>) {
  return object(
    {
      formatVersion: documented(num({ int: true, min: 1 }), `The run format's version; this GenLab writes ${RUN_FORMAT_VERSION} and reads every version up to it.`),
      id: documented(str({ nonEmpty: true }), "The run's id: its folder's name when created, <family>-<dataset>-<yyyymmdd-hhmmss>-<suffix>."),
      status: documented(oneOf(RUN_STATUSES), 'running while the trainer works; a running run whose pid is gone was interrupted (killed).'),
      pid: documented(num({ int: true, min: 0 }), 'The process that trains (or trained) the run.'),
      config: settings,
      seed: num({ int: true, min: 0, max: 2 ** 32 - 1 }),
      backend: documented(str(), 'The TensorFlow.js backend that trained it, e.g. "wasm (SIMD, 1 thread)".'),
      versions: documented(recordOf(str()), 'Package versions, e.g. tfjs-core.'),
      createdAt: time,
      updatedAt: time,
      progress: object({ step, epoch: num({ min: 0 }), totalSteps: step }),
      finalMetrics: documented(metricValues, 'The last value of each test metric.'),
    },
    {
      name: documented(str({ nonEmpty: true }), "The run's own name, shown instead of its family's title."),
      finishedAt: time,
      error: documented(object({ message: str(), hint: str() }), 'Why a failed run failed, and what to do.'),
      resumedAt: documented(arrayOf(object({ step, at: time })), 'Each time the run was continued, and from which step.'),
      notes: documented(arrayOf(str()), 'What training left out or adjusted to fit the data (rows or files skipped, the batch cut to the data).'),
      backendNotes: documented(arrayOf(str()), 'Why faster backends were passed over, e.g. "tfjs-node: not installed (…)".'),
      best: documented(bestEvaluation, "The evaluation that scored best on the family's metric (lower is better); its model is checkpoints/best/."),
      parameters: documented(num({ int: true, min: 0 }), 'How many numbers the model learns: the size of every variable it made.'),
      source: documented(moduleSource, "A model module's run: the files it trained, copied into source/, and their digest."),
    },
  );
}

/** run.json as this GenLab writes it. */
export const runRecord = runRecordOf(config);
export type RunRecord = Infer<typeof runRecord>;
/** run.json whose settings may be another version's (see configAsRecorded). */
export const runRecordAsRecorded = runRecordOf(configAsRecorded);

/** One line of metrics.jsonl: the training losses of a step, or the test metrics of an evaluation. */
export const metricsRecord = object({
  kind: oneOf(['train', 'eval'] as const),
  step,
  epoch: documented(num({ min: 0 }), 'Passes over the training set so far (fractional).'),
  elapsedMs: documented(num({ min: 0 }), 'Training time so far in milliseconds, counted across resumes.'),
  values: metricValues,
});
export type MetricsRecord = Infer<typeof metricsRecord>;

/** One line of samples/generated/index.jsonl: a file drawn from the trained run. */
export const generatedRecord = object({
  file: documented(str({ nonEmpty: true }), 'The file name in samples/generated/: a PNG grid, or a CSV of points.'),
  caption: str(),
  step: documented(step, 'The checkpoint it was drawn from.'),
  createdAt: time,
});
export type GeneratedRecord = Infer<typeof generatedRecord>;

/** density/step-NNNNNN.json: the density view the trainer also sends live. */
export const densityFile = densityGrid;

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, complex64: 8 } as const;

/** training-state.json: the tensors in training-state.bin, in order (TensorFlow.js's weights manifest). */
export const trainingState = object({
  step,
  manifest: arrayOf(object({ name: str({ nonEmpty: true }), shape: arrayOf(num({ int: true, min: 0 })), dtype: oneOf(Object.keys(DTYPE_BYTES) as (keyof typeof DTYPE_BYTES)[]) })),
});
export type TrainingStateFile = Infer<typeof trainingState>;

/** The size training-state.bin must have for its manifest, to tell a whole file from a cut one. */
export function stateDataBytes(manifest: TrainingStateFile['manifest']): number {
  return manifest.reduce((sum, t) => sum + t.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[t.dtype], 0);
}

/** A run.json from a newer GenLab than this one, in words, or undefined when this version reads it. */
export function newerFormat(record: unknown): string | undefined {
  const version = (record as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version !== 'number' || version <= RUN_FORMAT_VERSION) return undefined;
  return `is from a newer GenLab (run format ${version}; this version reads formats up to ${RUN_FORMAT_VERSION})`;
}

/** A decoding problem as "field: problem" (or the problem alone, for the value as a whole). */
export function decodeProblem<T>(decoder: Decoder<T>, input: unknown): { ok: true; value: T } | { ok: false; problem: string } {
  try {
    return { ok: true, value: decoder(input, '') };
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    const field = err.path.replace(/^\./, '');
    return { ok: false, problem: field ? `${field}: ${err.problem}` : err.problem };
  }
}

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

/** The schemas committed under media/schemas/, generated from the decoders above. */
export function runFormatSchemas(): Record<'run.schema.json' | 'metrics-record.schema.json', JsonSchema> {
  return {
    'run.schema.json': {
      $schema: DRAFT_07,
      title: 'GenLab run record (run.json)',
      description: `A GenLab run folder's run.json, run format ${RUN_FORMAT_VERSION}.`,
      ...schemaOf(runRecord),
    },
    'metrics-record.schema.json': {
      $schema: DRAFT_07,
      title: 'GenLab metrics record (one line of metrics.jsonl)',
      description: 'One line of a GenLab run folder\'s metrics.jsonl: kind "train" holds a step\'s training losses, kind "eval" the test metrics.',
      ...schemaOf(metricsRecord),
    },
  };
}
