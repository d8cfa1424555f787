/**
 * Telling a diverged run from a healthy one, from the numbers training already produces: the loss
 * terms of each step and the metrics of each evaluation. No tensors are read here, so watching
 * costs a few comparisons per step.
 *
 * Every run is watched for what breaks any model: a value that is not finite, a value that
 * explodes to EXPLOSION times the scale it started at, and, where every step sees the whole
 * training set (no minibatch noise), a loss that jumps up by a whole starting scale in one step.
 * A family adds the signs only it knows of (a Bernoulli NLL far beyond a coin flip per pixel, a
 * discriminator that has won outright) as `DivergenceSign`s on its model.
 */

/** A family's own sign of a broken run: a value outside sensible bounds, `times` records in a row. */
export interface DivergenceSign {
  /** 'train': a loss term of every step; 'eval': a test metric of every evaluation. */
  on: 'train' | 'eval';
  key: string;
  above?: number;
  below?: number;
  /** Records in a row the value must stay out of bounds (1 when unset: at once). */
  times?: number;
  /** Records before this step do not count: an untrained model may look like this for a while. */
  fromStep?: number;
  /** What the value says about the model, finishing "…: <meaning>", e.g. "the discriminator has won outright". */
  meaning: string;
}

export interface Diagnosis {
  step: number;
  /** What was seen, with the value and the step. */
  message: string;
}

/** A value this many times the scale its key started at (at least 1) has exploded. */
export const EXPLOSION = 1000;
/**
 * Minibatch losses that long in a row beyond EXPLOSION: a healthy run can spike for a single step
 * (RealNVP on MNIST at its defaults: 2,500 bits/dim at step 2, 5.5 before and after), a diverged
 * one stays up. Evaluations, far apart and on a fixed set, count at once.
 */
export const EXPLOSION_STEPS = 3;

const format = (v: number) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4))));

/** Watches one kind of record (train or eval) of one run. */
class Stream {
  private readonly start = new Map<string, number>();
  private readonly previous = new Map<string, number>();
  private readonly exploded = new Map<string, number>();
  private readonly outOfBounds = new Map<DivergenceSign, number>();

  constructor(
    private readonly what: string,
    private readonly signs: readonly DivergenceSign[],
    /** Each record sees the whole training set, so the values do not jitter from batch to batch. */
    private readonly noiseless: boolean,
    /** Records in a row a value must stay beyond EXPLOSION. */
    private readonly explosionRecords: number,
  ) {}

  observe(step: number, values: Record<string, number>): Diagnosis | undefined {
    // The family's own signs first: their diagnosis says more than the generic one.
    for (const sign of this.signs) {
      const value = values[sign.key];
      if (value === undefined || step < (sign.fromStep ?? 0)) continue;
      const out = (sign.above !== undefined && value > sign.above) || (sign.below !== undefined && value < sign.below);
      const run = out ? (this.outOfBounds.get(sign) ?? 0) + 1 : 0;
      this.outOfBounds.set(sign, run);
      if (run >= (sign.times ?? 1)) {
        const bound = value > (sign.above ?? Infinity) ? `above ${format(sign.above!)}` : `below ${format(sign.below!)}`;
        const span = run > 1 ? ` for ${run} ${this.what === 'test metric' ? 'evaluations' : 'steps'} in a row` : '';
        return { step, message: `Training diverged at step ${step}: the ${this.what} ${sign.key} was ${format(value)}, ${bound}${span}: ${sign.meaning}.` };
      }
    }
    for (const [key, value] of Object.entries(values)) {
      const found = this.generic(step, key, value);
      if (found) return found;
    }
    return undefined;
  }

  private generic(step: number, key: string, value: number): Diagnosis | undefined {
    if (!Number.isFinite(value)) return { step, message: `Training diverged at step ${step}: the ${this.what} ${key} became ${value}.` };
    const start = this.start.get(key);
    if (start === undefined) {
      this.start.set(key, value);
      this.previous.set(key, value);
      return undefined;
    }
    const scale = Math.max(Math.abs(start), 1);
    const previous = this.previous.get(key)!;
    this.previous.set(key, value);
    const exploded = Math.abs(value) > EXPLOSION * scale ? (this.exploded.get(key) ?? 0) + 1 : 0;
    this.exploded.set(key, exploded);
    if (exploded >= this.explosionRecords) {
      return { step, message: `Training diverged at step ${step}: the ${this.what} ${key} reached ${format(value)}, more than ${EXPLOSION} times its ${format(start)} at the start.` };
    }
    if (this.noiseless && value - previous > scale) {
      return { step, message: `Training diverged at step ${step}: the ${this.what} ${key} jumped from ${format(previous)} to ${format(value)} in one step on the whole training set, where every step should lower it.` };
    }
    return undefined;
  }
}

/** Watches a run's losses and evaluations; each call returns a diagnosis once the run has diverged. */
export class DivergenceWatch {
  private readonly trainStream: Stream;
  private readonly evalStream: Stream;

  constructor(signs: readonly DivergenceSign[] = [], options: { fullBatch?: boolean } = {}) {
    const fullBatch = options.fullBatch ?? false;
    this.trainStream = new Stream('loss term', signs.filter((s) => s.on === 'train'), fullBatch, fullBatch ? 1 : EXPLOSION_STEPS);
    this.evalStream = new Stream('test metric', signs.filter((s) => s.on === 'eval'), false, 1);
  }

  train(step: number, values: Record<string, number>): Diagnosis | undefined {
    return this.trainStream.observe(step, values);
  }

  evaluation(step: number, values: Record<string, number>): Diagnosis | undefined {
    return this.evalStream.observe(step, values);
  }
}

/** What to do about a diverged run, naming its likely cause. */
export function divergenceHint(diagnosis: Diagnosis, learningRate: number | undefined): string {
  const stopped = `The run stopped at step ${diagnosis.step}; what it wrote before is kept in its folder.`;
  if (learningRate === undefined) {
    return `This model has no learning rate, so the data is the likely cause: values repeated many times, far outliers, or fewer distinct points than components. Check the data, or fit fewer components. ${stopped}`;
  }
  return `The likely cause is a learning rate too high for this model and data (${learningRate}): start again with a lower one, e.g. ${Number((learningRate / 10).toPrecision(3))}. ${stopped}`;
}

/**
 * For a Bernoulli likelihood of `values` binary values (nats per example): predicting 1/2 for each
 * costs ln 2 per value, so a loss ten times that is beyond any model that is learning.
 */
export function bernoulliCeiling(key: string, values: number): DivergenceSign {
  return { on: 'train', key, above: 10 * values * Math.LN2, meaning: 'ten times what predicting 1/2 for every pixel costs, so the model is confidently wrong' };
}
