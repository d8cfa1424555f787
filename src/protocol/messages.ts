/**
 * Messages between the extension host (or CLI) and the trainer child process. Each direction is
 * one discriminated union on `type`, declared here once as a decoder; the static types are
 * inferred from the decoders, so a field cannot be added to one and forgotten in the other.
 */
import { trainConfig } from './config';
import { arrayOf, bool, type Infer, num, object, oneOf, recordOf, str, tagged } from './decode';

const step = num({ int: true, min: 0 });

/** Host → trainer. */
export const hostMessage = tagged({
  start: object({ config: trainConfig }),
  /** Finish the current step, write the final eval, samples and checkpoint, then exit. */
  stop: object({}),
  /** Write a sample grid now instead of waiting for the next eval. */
  sampleNow: object({}),
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

/** What the family can say about density, in the taxonomy's terms (see families/family.ts). */
export const densityStory = object(
  { kind: oneOf(['explicit-tractable', 'explicit-approximate', 'implicit'] as const), summary: str() },
  { metric: str() },
);
export type DensityStory = Infer<typeof densityStory>;

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
  { lastSamplePath: str(), checkpointDir: str() },
);
export type RunSummary = Infer<typeof summary>;

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
  error: object({ message: str(), hint: str(), fatal: bool() }),
  done: object({ summary }),
});
export type TrainerMessage = Infer<typeof trainerMessage>;
