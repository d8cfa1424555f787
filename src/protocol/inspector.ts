/**
 * The Model tab's records, declared once as decoders (the types are inferred from them): what the
 * trainer writes under a run's inspector/ folder and sends live, and what the dashboard decodes.
 *   inspector/architecture.json   the networks' layers (architecture)
 *   inspector/norms.jsonl         one normsRecord per recording step, append-only
 */
import { arrayOf, type Infer, num, object, str } from './decode';

export const INSPECTOR_DIR = 'inspector';
export const ARCHITECTURE_FILE = 'architecture.json';
export const NORMS_FILE = 'norms.jsonl';

const count = () => num({ int: true, min: 0 });

export const layerSummary = object({
  name: str(),
  className: str(),
  /** The layer's output shape as Keras prints it, e.g. "[null,3]"; null is the batch dimension. */
  outputShape: str(),
  parameters: count(),
});

export const networkSummary = object({ name: str(), layers: arrayOf(layerSummary), parameters: count() });

export const architecture = object({ networks: arrayOf(networkSummary), parameters: count() });

export const layerNorms = object(
  { network: str(), layer: str(), weightNorm: num() },
  /** Missing when no optimiser of the model applied gradients to the layer at this step. */
  { gradientNorm: num(), updateRatio: num() },
);

export const normsRecord = object({ step: count(), layers: arrayOf(layerNorms) });

export type LayerSummary = Infer<typeof layerSummary>;
export type NetworkSummary = Infer<typeof networkSummary>;
export type Architecture = Infer<typeof architecture>;
export type LayerNorms = Infer<typeof layerNorms>;
export type NormsRecord = Infer<typeof normsRecord>;
