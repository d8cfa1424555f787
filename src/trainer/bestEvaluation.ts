/**
 * The best evaluation of a run on its family's score (the spec's `density.metric`, lower is
 * better), and early stopping: with a patience of n, the run ends once n evaluations in a row
 * have not beaten the best. A model that overfits a small data set reaches its best long before
 * its budget; the best is what the run should be judged and sampled by.
 */
import type { BestEvaluation } from '../protocol/messages';

export class BestTracker {
  private worseInARow = 0;

  constructor(
    /** The eval metric that scores the run; undefined (or absent from the evaluations) for families without one. */
    private readonly metric: string | undefined,
    /** Evaluations in a row without improvement before the run ends; undefined: never. */
    private readonly patience: number | undefined,
    /** A resumed run's best before it stopped, so that it is beaten only by a better one. */
    private current: BestEvaluation | undefined,
  ) {}

  get best(): BestEvaluation | undefined {
    return this.current;
  }

  /** Records an evaluation: `improved` when it is the new best, `exhausted` when patience has run out. */
  observe(step: number, values: Record<string, number>): { improved: boolean; exhausted: boolean } {
    const value = this.metric === undefined ? undefined : values[this.metric];
    if (value === undefined || !Number.isFinite(value)) return { improved: false, exhausted: false };
    const improved = this.current === undefined || value < this.current.value;
    if (improved) this.current = { step, metric: this.metric!, value };
    this.worseInARow = improved ? 0 : this.worseInARow + 1;
    return { improved, exhausted: this.patience !== undefined && this.worseInARow >= this.patience };
  }
}
