/**
 * Runs written by a person's own training loop through GenLab's loggers (python/genlab, and
 * genlab/log for Node): config.family "external", with what the loop declared about its model in
 * place of a family's spec, so that the views lay it out and score it like GenLab's own runs.
 */
import { DATASET_LABELS, type DataKind, type DatasetName, dataKindOf } from './datasets';
import { arrayOf, type Decoder, documented, type Infer, num, object, oneOf, plainObject, str, withSchema } from './decode';
import { DENSITY_KINDS, type DensityKind } from './families/spec';

export const EXTERNAL = 'external';

/**
 * What a run's score is, whatever its family: an exact log-likelihood, a bound on it, or a figure
 * computed from samples (a divergence, an FID), which says nothing of likelihood.
 */
export const SCORE_KINDS = ['exact', 'bound', 'samples'] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** A score's kind when the script does not say: what a model of that density kind can report. */
export const SCORE_KIND_OF: Record<DensityKind, ScoreKind> = { 'explicit-tractable': 'exact', 'explicit-approximate': 'bound', implicit: 'samples', diffusion: 'samples' };

export const WRITERS = ['python', 'node'] as const;

const name = str({ nonEmpty: true });

/** The process that writes the run: run.json's `pid` on `host`. */
export const externalWriter = object(
  {
    language: oneOf(WRITERS),
    host: documented(name, 'The machine the writing process runs on: Stop signals its pid only there.'),
  },
  { script: documented(str(), 'The script that writes the run, as the process was started.') },
);
export type ExternalWriter = Infer<typeof externalWriter>;

export const externalDeclaration = object(
  {
    family: documented(name, 'The kind of model, as the script calls it ("vae", "PyTorch VAE"); a GenLab family\'s key takes that family\'s title.'),
    densityKind: oneOf(DENSITY_KINDS),
    data: documented(oneOf(['images', 'points'] as const), 'What the model learns: images (sample grids) or 1-D/2-D points (the density view).'),
    writer: externalWriter,
  },
  {
    loss: documented(name, 'The main training loss among the logged values; the first one logged when unset.'),
    metric: documented(name, 'The evaluation metric that scores the run (lower is better).'),
    metricKind: oneOf(SCORE_KINDS),
    summary: str({ nonEmpty: true }),
    checkpoints: documented(
      arrayOf(object({ path: str({ nonEmpty: true }), at: str({ nonEmpty: true }) }, { step: num({ int: true, min: 0 }) })),
      "Where the script saved its model (run.checkpoint_note): shown, never opened by GenLab.",
    ),
  },
);
export type ExternalDeclaration = Infer<typeof externalDeclaration>;

/** Settings as the script gave them: any JSON, shown in Compare beside GenLab's own. */
const settings = withSchema<Decoder<Record<string, unknown>>>((input, path) => plainObject(input, path), { type: 'object' });

const externalShape = object(
  {
    family: oneOf([EXTERNAL] as const),
    dataset: documented(name, 'The data, in the script\'s words; a GenLab dataset\'s name ("mnist") puts the run beside GenLab\'s runs on it.'),
    runsDir: name,
    external: externalDeclaration,
    settings: documented(settings, 'The config the script passed, as JSON.'),
  },
  { runName: name },
);
/** `module` is never set: it keeps `config.module` readable on any run's config. */
export type ExternalConfig = Infer<typeof externalShape> & { module?: undefined };
export const externalConfig: Decoder<ExternalConfig> = externalShape;

/** A dataset's title: GenLab's for its own datasets, else the name a script gave. */
export function datasetTitle(dataset: string): string {
  return DATASET_LABELS[dataset as DatasetName]?.title ?? dataset;
}

/** Whether a run's model learns images or points: declared by an external run, implied by a GenLab dataset. */
export function runDataKind(config: { dataset: string; external?: ExternalDeclaration }): DataKind {
  return config.external?.data ?? dataKindOf(config.dataset);
}
