/**
 * The Model tab's records, declared once as decoders (the types are inferred from them): what the
 * trainer writes under a run's inspector/ folder and sends live, and what the dashboard decodes.
 *   inspector/architecture.json   the model's networks and their layers (architecture)
 *   inspector/norms.jsonl         one normsRecord per recording step, append-only
 *   inspector/activations.jsonl   one activationsRecord per evaluation, append-only
 */
import { arrayOf, documented, type Infer, nullable, num, object, str } from './decode';

export const INSPECTOR_DIR = 'inspector';
export const ARCHITECTURE_FILE = 'architecture.json';
export const NORMS_FILE = 'norms.jsonl';
export const ACTIVATIONS_FILE = 'activations.jsonl';

/** Norms are recorded this many times per evaluation interval (at least every step). */
export const NORMS_PER_EVAL = 10;

/** The steps whose norms are recorded, for a run that evaluates every `evalEvery` steps. */
export function normsEvery(evalEvery: number): number {
  return Math.max(1, Math.round(evalEvery / NORMS_PER_EVAL));
}

/** How many rows of the fixed batch the activations are measured on, and the bins of their histograms. */
export const ACTIVATION_ROWS = 64;
export const ACTIVATION_BINS = 24;

const count = () => num({ int: true, min: 0 });
const step = count;

export const layerSummary = object({
  name: str(),
  /** A layer's class (Dense, Conv2D), or "Variable" for a model built from plain variables. */
  className: str(),
  /** The layer's output shape as Keras prints it, e.g. "[null,3]" (null is the batch dimension); a variable's own shape. */
  outputShape: str(),
  parameters: count(),
});

export const networkSummary = object({ name: str(), layers: arrayOf(layerSummary), parameters: count() });

export const architecture = object(
  { networks: arrayOf(networkSummary), parameters: count() },
  {
    /** Why some of the model cannot be looked inside (a network whose layers could not be probed). */
    notes: arrayOf(str()),
  },
);

export const layerNorms = object(
  { network: str(), layer: str(), weightNorm: documented(num({ min: 0 }), "The layer's weights' L2 norm before the step.") },
  {
    /** Missing when no optimiser of the model applied gradients to the layer at this step. */
    gradientNorm: num({ min: 0 }),
    updateRatio: documented(num({ min: 0 }), '‖ΔW‖ / ‖W‖ of this step: about 1e-3 is healthy; far below, the layer barely learns; near 1, it is rewritten each step.'),
  },
);

export const normsRecord = object({ step: step(), layers: arrayOf(layerNorms) });

export const layerActivations = object({
  network: str(),
  layer: str(),
  min: num(),
  max: num(),
  mean: num(),
  std: num({ min: 0 }),
  /** Share of the activations that are exactly 0: near 1 after a ReLU is a dead layer. */
  zeros: num({ min: 0, max: 1 }),
  /** ACTIVATION_BINS counts over equal bins from min to max. */
  counts: arrayOf(count()),
});

export const activationsRecord = object({ step: step(), layers: arrayOf(layerActivations) });

/** What a view holds of the norms: one column per layer and measure, aligned with `steps` (null: not measured at that step). */
const column = () => arrayOf(nullable(num({ min: 0 })));
export const normsColumns = object({
  steps: arrayOf(step()),
  layers: arrayOf(object({ network: str(), layer: str(), weightNorm: column(), gradientNorm: column(), updateRatio: column() })),
});
export type NormsColumns = Infer<typeof normsColumns>;

/** Adds a record to the columns, in place; a record for a step already held (a resumed run's first) replaces nothing and is dropped. */
export function addNormsRecord(columns: NormsColumns, record: NormsRecord): void {
  if (record.step <= (columns.steps.at(-1) ?? -1)) return;
  const index = columns.steps.length;
  columns.steps.push(record.step);
  for (const l of record.layers) {
    let layer = columns.layers.find((c) => c.network === l.network && c.layer === l.layer);
    if (!layer) {
      const empty = () => new Array<number | null>(index).fill(null);
      layer = { network: l.network, layer: l.layer, weightNorm: empty(), gradientNorm: empty(), updateRatio: empty() };
      columns.layers.push(layer);
    }
    layer.weightNorm.push(l.weightNorm);
    layer.gradientNorm.push(l.gradientNorm ?? null);
    layer.updateRatio.push(l.updateRatio ?? null);
  }
  for (const layer of columns.layers) {
    for (const c of [layer.weightNorm, layer.gradientNorm, layer.updateRatio]) if (c.length < index + 1) c.push(null);
  }
}

/** Everything the Model tab shows of a run. */
export const inspectorView = object({ norms: normsColumns, activations: arrayOf(activationsRecord) }, { architecture });
export type InspectorView = Infer<typeof inspectorView>;

export type LayerSummary = Infer<typeof layerSummary>;
export type NetworkSummary = Infer<typeof networkSummary>;
export type Architecture = Infer<typeof architecture>;
export type LayerNorms = Infer<typeof layerNorms>;
export type NormsRecord = Infer<typeof normsRecord>;
export type LayerActivations = Infer<typeof layerActivations>;
export type ActivationsRecord = Infer<typeof activationsRecord>;
