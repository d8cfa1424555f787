/**
 * Messages between the extension host and its webviews (the run dashboard and the sample
 * gallery). The host keeps each run's whole history and sends it in `init` whenever a webview
 * (re)loads, because VS Code discards a hidden webview's page; after that, live updates follow.
 * Webview → host messages are decoded by the host before use (a webview is untrusted input).
 */
import { arrayOf, type Decoder, type Infer, nullable, num, object, oneOf, plainObject, recordOf, str, tagged } from './decode';
import { externalWriter } from './external';
import { activationsRecord, architecture, inspectorView, normsRecord } from './inspector';
import { densityGrid, densityStory, TRAINER_STATES } from './messages';

const step = num({ int: true, min: 0 });

/** A run's state as views show it: the trainer's states, plus a run whose trainer died unfinished. */
export const RUN_STATES = [...TRAINER_STATES, 'interrupted'] as const;
export type RunState = (typeof RUN_STATES)[number];
const runState = oneOf(RUN_STATES);

/** One sample grid image: `uri` is already a webview URI (asWebviewUri); `caption` describes a grid drawn after training. */
const sampleImage = object({ step, kind: str(), uri: str() }, { caption: str() });
export type SampleImage = Infer<typeof sampleImage>;

/** Loss history in columns: `steps[i]` goes with `series[key][i]` for every key; null is a gap. */
const history = object({ steps: arrayOf(step), series: recordOf(arrayOf(nullable(num()))) });
export type MetricHistory = Infer<typeof history>;

const runView = object(
  {
    runId: str(),
    title: str(),
    family: str(),
    dataset: str(),
    /** Whether the model learns images (sample grids) or points (the density view). */
    dataKind: oneOf(['images', 'points'] as const),
    backend: str(),
    state: runState,
    step,
    epoch: num({ min: 0 }),
    totalSteps: step,
    stepsPerSecond: num({ min: 0 }),
    lossKey: str(),
    density: densityStory,
    history,
    evals: arrayOf(object({ step, values: recordOf(num()) })),
    /** The newest image of each kind. */
    samples: arrayOf(sampleImage),
  },
  {
    error: object({ message: str(), hint: str() }),
    /** The newest density view, for models on 1-D or 2-D data. */
    densityGrid: object({ step, grid: densityGrid }),
    /** The family's image grids with their captions, in the order shown. */
    grids: arrayOf(object({ kind: str(), title: str(), note: str() })),
    /** Problems met reading the run folder (a damaged line, a rebuilt run.json); the rest is shown. */
    warnings: arrayOf(str()),
    /** What training left out or adjusted to fit the data (rows or files skipped, the batch cut to the data). */
    notes: arrayOf(str()),
    /** Why faster backends were passed over (e.g. the native one is not installed). */
    backendNotes: arrayOf(str()),
    /** A run of a person's model module: the title it declares, and the file and version (its sources' digest) it trained. */
    module: object({ title: str(), file: str(), version: str() }),
    /** A run a person's own training loop writes through GenLab's logger: its kind of model, and the process that writes it (GenLab can only ask it to stop). */
    external: object({ title: str(), writer: externalWriter }),
    /** The Model tab: missing for a run from before GenLab recorded it. */
    inspector: inspectorView,
  },
);
export type RunView = Infer<typeof runView>;

export const DASHBOARD_TABS = ['training', 'model'] as const;
export type DashboardTab = (typeof DASHBOARD_TABS)[number];

/** Host → dashboard. */
export const toDashboard = tagged({
  init: object({ run: runView }),
  metrics: object({
    points: arrayOf(object({ step, epoch: num({ min: 0 }), values: recordOf(num()), sentAt: num() })),
    stepsPerSecond: num({ min: 0 }),
  }),
  eval: object({ step, values: recordOf(num()) }),
  samples: object({ image: sampleImage }),
  density: object({ step, grid: densityGrid }),
  status: object({ state: runState }, { error: object({ message: str(), hint: str() }) }),
  architecture: object({ architecture }),
  norms: object({ record: normsRecord }),
  activations: object({ record: activationsRecord }),
  /** Brings a tab to the front (Inspect opens the Model tab). */
  showTab: object({ tab: oneOf(DASHBOARD_TABS) }),
});
export type ToDashboard = Infer<typeof toDashboard>;

/** Dashboard → host. */
export const fromDashboard = tagged({
  ready: object({}),
  stop: object({}),
  sampleNow: object({}),
  /** Sent after drawing metrics: how long after the trainer sent them they appeared (ms). */
  drawn: object({ step, latencyMs: num({ min: 0 }), points: num({ int: true, min: 0 }) }),
});
export type FromDashboard = Infer<typeof fromDashboard>;

const galleryRun = object({
  runId: str(),
  title: str(),
  state: runState,
  createdAt: str(),
  /** Every grid of samples the run saved during training, oldest first, then those drawn after training. */
  grids: arrayOf(sampleImage),
});
export type GalleryRun = Infer<typeof galleryRun>;

/** Host → gallery. */
export const toGallery = tagged({
  /** All runs, newest first. Sent on load and whenever a run or its samples change. */
  runs: object({ runs: arrayOf(galleryRun) }),
});
export type ToGallery = Infer<typeof toGallery>;

/** Gallery → host. */
export const fromGallery = tagged({
  ready: object({}),
  openRun: object({ runId: str() }),
});
export type FromGallery = Infer<typeof fromGallery>;

/** Any JSON object: a run's settings as recorded, shown as they are (a damaged run's may not decode as a config). */
const settings: Decoder<Record<string, unknown>> = (input, path) => plainObject(input, path);

/** Host → compare view. */
export const toCompare = tagged({
  /** The runs to compare, in the order picked, each with everything its dashboard would show. */
  init: object({ runs: arrayOf(object({ view: runView, config: settings })) }),
});
export type ToCompare = Infer<typeof toCompare>;

/** Compare view → host. */
export const fromCompare = tagged({
  ready: object({}),
  openRun: object({ runId: str() }),
});
export type FromCompare = Infer<typeof fromCompare>;
