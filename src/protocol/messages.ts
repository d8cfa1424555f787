/**
 * Messages between the extension host (or CLI) and the trainer child process. Each direction is
 * one discriminated union on `type`, declared here once as a decoder; the static types are
 * inferred from the decoders, so a field cannot be added to one and forgotten in the other.
 */
import { trainConfig } from './config';
import { arrayOf, bool, type Infer, num, object, oneOf, recordOf, str, tagged } from './decode';
import { SCORE_KINDS } from './external';
import { DENSITY_KINDS } from './families/spec';
import { activationsRecord, architecture, normsRecord } from './inspector';
import { moduleRef, sourceProblem } from './modelModule';

const step = num({ int: true, min: 0 });
const seed = num({ int: true, min: 0, max: 2 ** 32 - 1 });

/** After training: what to draw from a run's last checkpoint (see src/trainer/generate.ts). */
export const generateRequest = tagged({
  /** New samples; `temperature` scales the noise (or the logits), 1 being the model's own distribution. */
  samples: object({ count: num({ int: true, min: 1, max: 4096 }), seed }, { temperature: num({ above: 0, max: 10 }) }),
  /** `rows` strips, each between two draws from the prior, in `steps` images. */
  interpolation: object({ seed, steps: num({ int: true, min: 3, max: 32 }), rows: num({ int: true, min: 1, max: 16 }) }),
  /** A steps × steps grid over two latent dimensions, from -range to range, the others at 0. */
  traversal: object({ dims: arrayOf(num({ int: true, min: 0 }), { minLength: 2 }), steps: num({ int: true, min: 3, max: 32 }), range: num({ above: 0, max: 10 }) }),
  /** A VAE with a 2-D latent space: the encoded test images as a scatter coloured by label. */
  latentScatter: object({ count: num({ int: true, min: 10, max: 10000 }) }),
});
export type GenerateRequest = Infer<typeof generateRequest>;

/** Host → trainer. */
export const hostMessage = tagged({
  /** Train `config`; with `resumeFrom` (a run folder), continue that run from its last checkpoint instead. */
  start: object({ config: trainConfig }, { resumeFrom: str({ nonEmpty: true }) }),
  /** Finish the current step, write the final eval, samples and checkpoint, then exit. */
  stop: object({}),
  /** Write a sample grid now instead of waiting for the next eval. */
  sampleNow: object({}),
  /** Load the run's last checkpoint, draw what `request` asks into the run folder, and exit. */
  generate: object({ runDir: str({ nonEmpty: true }), request: generateRequest }),
  /** Type-check and load the model module at `module` (absolute), answer `described` (or an error with its problems), and exit. */
  describe: object({ module: str({ nonEmpty: true }) }),
});
export type HostMessage = Infer<typeof hostMessage>;

export const TRAINER_STATES = ['loading-data', 'training', 'evaluating', 'stopping', 'finished', 'stopped', 'failed'] as const;
export type TrainerState = (typeof TRAINER_STATES)[number];

const grid = object({
  rows: num({ int: true, min: 1 }),
  cols: num({ int: true, min: 1 }),
  /** Size of one cell in pixels. */
  cellWidth: num({ int: true, min: 1 }),
  cellHeight: num({ int: true, min: 1 }),
});
export type GridInfo = Infer<typeof grid>;

/** What the family can say about density, in the taxonomy's terms (see families/spec.ts). */
export const densityStory = object(
  { kind: oneOf(DENSITY_KINDS), summary: str() },
  {
    metric: str(),
    /** A run a person's own loop wrote: what its score is, as the loop declared (GenLab's families' go by `kind`). */
    scoreKind: oneOf(SCORE_KINDS),
  },
);
export type DensityStory = Infer<typeof densityStory>;

/** The best evaluation of a run on the family's score (`density.metric`, lower is better), as run.json and the summary record it. */
export const bestEvaluation = object({ step, metric: str(), value: num() });
export type BestEvaluation = Infer<typeof bestEvaluation>;

const summary = object(
  {
    runId: str(),
    runDir: str(),
    state: oneOf(TRAINER_STATES),
    steps: step,
    epochs: num({ min: 0 }),
    wallMs: num({ min: 0 }),
    stepsPerSecond: num({ min: 0 }),
    backend: str(),
    /** Last value of each eval metric, e.g. `testNegElbo`. */
    finalEval: recordOf(num()),
    samplesDir: str(),
  },
  {
    lastSamplePath: str(),
    checkpointDir: str(),
    /** The evaluation that scored best on the family's metric (lower is better), kept in checkpoints/best/. */
    best: bestEvaluation,
    /** Why the run ended before its budget although nobody stopped it (early stopping). */
    note: str(),
  },
);
export type RunSummary = Infer<typeof summary>;

/**
 * What a model on 1-D or 2-D data can show about its density, on a grid over the data's range.
 * `field` is what the grid holds: the exact log-density (explicit, tractable families), the ELBO
 * (a lower bound: the VAE), the discriminator's output (GAN: not a density), or nothing.
 */
export const DENSITY_FIELDS = ['log-density', 'elbo', 'discriminator', 'none'] as const;
export type DensityField = (typeof DENSITY_FIELDS)[number];

export const densityGrid = object(
  {
    field: oneOf(DENSITY_FIELDS),
    /** 1 or 2: the data's dimension. For 1-D data the grid is one row and `height` is 1. */
    dim: num({ int: true, min: 1, max: 2 }),
    /** [xMin, xMax, yMin, yMax] of the grid (y ignored for 1-D). */
    extent: arrayOf(num(), { minLength: 4 }),
    width: num({ int: true, min: 0 }),
    height: num({ int: true, min: 0 }),
    /** width*height values, row-major, first row at yMax (top); empty when `field` is 'none'. */
    values: arrayOf(num()),
    /** Points drawn from the model, flattened (n*dim). */
    samples: arrayOf(num()),
    /** Held-out data points, flattened (n*dim), to draw over the field. */
    test: arrayOf(num()),
  },
  {
    /** For 1-D data: a histogram of the test data (edges has one more entry than counts). */
    histogram: object({ edges: arrayOf(num()), counts: arrayOf(num()) }),
    /** Diffusion: the samples at a few steps of the reverse process, first (noise) to last. */
    reverse: arrayOf(object({ t: num({ int: true, min: 0 }), samples: arrayOf(num()) })),
  },
);
export type DensityGrid = Infer<typeof densityGrid>;

/** Trainer → host. */
export const trainerMessage = tagged({
  ready: object({
    backend: str(),
    versions: recordOf(str()),
    /** Why a faster backend was not used, e.g. "tfjs-node: not installed". */
    notes: arrayOf(str()),
  }),
  started: object({
    runId: str(),
    runDir: str(),
    config: trainConfig,
    totalSteps: step,
    stepsPerEpoch: num({ int: true, min: 1 }),
  }, {
    /** A resumed run: the step of the checkpoint it continues from (its history up to there is on disk). */
    resumedFromStep: step,
  }),
  status: object({ state: oneOf(TRAINER_STATES) }, { detail: str() }),
  metrics: object({
    step,
    epoch: num({ min: 0 }),
    values: recordOf(num()),
    elapsedMs: num({ min: 0 }),
    /** Wall-clock time (ms since the epoch) when the trainer sent it, for end-to-end latency. */
    sentAt: num(),
  }),
  samples: object({ step, kind: str(), path: str(), grid }),
  eval: object({ step, values: recordOf(num()) }),
  /** The density view of a model on 1-D or 2-D data, also saved as density/step-NNNNNN.json. */
  density: object({ step, path: str(), grid: densityGrid }),
  /** `problems`: where in a person's model module the error is (type errors, or the line that threw). */
  error: object({ message: str(), hint: str(), fatal: bool() }, { problems: arrayOf(sourceProblem) }),
  /** The answer to `describe`: what the module declares, and the files it is made of (absolute, itself first) with their digest. */
  described: object({ module: moduleRef, files: arrayOf(str({ nonEmpty: true })), sha256: str({ nonEmpty: true }) }),
  /** The Model tab (src/protocol/inspector.ts): the architecture once at the start, norms every few steps, activations at each evaluation. */
  architecture: object({ architecture }),
  norms: object({ record: normsRecord }),
  activations: object({ record: activationsRecord }),
  done: object({ summary }),
  /** The answer to `generate`: a PNG grid (image models) or a CSV of points (1-D and 2-D models), and what it shows. */
  generated: object({ path: str(), caption: str() }),
});
export type TrainerMessage = Infer<typeof trainerMessage>;
