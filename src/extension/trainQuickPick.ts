/**
 * The "GenLab: Train …" quick pick: its first item starts training with the shown settings (so
 * Enter, Enter trains with the family's defaults) and each other item changes one setting and
 * comes back to the list. Every value is checked by the same decoder the trainer uses.
 */
import * as vscode from 'vscode';
import {
  type ConfigInput,
  completeConfig,
  type DatasetName,
  type Family,
  FAMILY_DATASETS,
  FAMILY_DEFAULTS,
  isImageDataset,
  type TrainConfig,
} from '../protocol/config';
import { DecodeError } from '../protocol/decode';
import { FAMILY_INFO } from '../protocol/families';

export type BaseSettings = Pick<ConfigInput, 'backend' | 'evalEvery' | 'runsDir'>;

const DATASET_LABELS: Record<DatasetName, string> = {
  mnist: 'MNIST (handwritten digits, 28x28)',
  'fashion-mnist': 'Fashion-MNIST (clothing, 28x28)',
  '8gaussians': '8 Gaussians (2-D)',
  checkerboard: 'Checkerboard (2-D)',
  moons: 'Two moons (2-D)',
  rings: 'Rings (2-D)',
  circles: 'Circles (2-D)',
  swissroll: 'Swiss roll (2-D)',
  pinwheel: 'Pinwheel (2-D)',
  '2spirals': 'Two spirals (2-D)',
  bimodal: 'Bimodal (1-D)',
};

interface FieldSpec {
  label: string;
  prompt: string;
  /** Where the value lives: a top-level config field or one of `model`'s. */
  path: string;
  list?: boolean;
}

const COMMON_FIELDS: FieldSpec[] = [
  { label: 'Learning rate', prompt: 'Adam learning rate', path: 'learningRate' },
  { label: 'Batch size', prompt: 'Examples per optimiser step', path: 'batchSize' },
  { label: 'Seed', prompt: 'Random seed (initialisation, data order, noise)', path: 'seed' },
];

const MODEL_FIELDS: Record<Family, FieldSpec[]> = {
  vae: [
    { label: 'Latent dimension', prompt: 'Size of the latent code z', path: 'model.latentDim' },
    { label: 'Hidden layers', prompt: 'Hidden layer sizes, comma-separated (the decoder mirrors them)', path: 'model.hiddenSizes', list: true },
  ],
  gaussian: [],
  mixture: [{ label: 'Components', prompt: 'Number of Gaussian components k', path: 'model.components' }],
  realnvp: [
    { label: 'Coupling layers', prompt: 'Affine coupling layers (masks alternate)', path: 'model.couplings' },
    { label: 'Hidden layers', prompt: 'Hidden layer sizes of each coupling network, comma-separated', path: 'model.hiddenSizes', list: true },
  ],
};

/** The fields offered for a family: its budget, its model options, and the optimiser's where it has one. */
function fieldsOf(family: Family, draft: TrainConfig): FieldSpec[] {
  const budget: FieldSpec =
    draft.epochs !== undefined
      ? { label: 'Epochs', prompt: 'Passes over the training set (fractions allowed, e.g. 0.5)', path: 'epochs' }
      : { label: family === 'mixture' ? 'EM iterations' : 'Steps', prompt: 'Training steps', path: 'steps' };
  // EM has no learning rate or batches; the Gaussian's gradient ascent uses the whole data set.
  const common = family === 'mixture' ? COMMON_FIELDS.slice(2) : family === 'gaussian' ? COMMON_FIELDS.filter((f) => f.path !== 'batchSize') : COMMON_FIELDS;
  return [budget, ...MODEL_FIELDS[family], ...common];
}

function read(config: TrainConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
}

function withValue(config: TrainConfig, path: string, value: unknown): ConfigInput {
  const [head, key] = path.split('.');
  return (key ? { ...config, model: { ...config.model, [key]: value } } : { ...config, [head]: value }) as ConfigInput;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function summary(config: TrainConfig): string {
  const budget = config.epochs !== undefined ? `${config.epochs} epochs` : `${config.steps} steps`;
  const model = Object.entries(config.model).map(([k, v]) => `${k} ${show(v)}`);
  return [DATASET_LABELS[config.dataset].replace(/ \(.*\)$/, ''), budget, ...model].join(' · ');
}

type Item = vscode.QuickPickItem & { action: 'start' | 'dataset' | FieldSpec };

/** Shows the picker; resolves with a complete, validated config, or undefined if dismissed. */
export async function pickTrainConfig(family: Family, base: BaseSettings): Promise<TrainConfig | undefined> {
  const title = `GenLab: ${FAMILY_INFO[family].title}`;
  let draft: TrainConfig = completeConfig({ family, ...base });
  for (;;) {
    const items: Item[] = [
      { action: 'start', label: '$(play) Start training', description: summary(draft), alwaysShow: true },
      { action: 'start', label: '', kind: vscode.QuickPickItemKind.Separator },
      { action: 'dataset', label: '$(database) Dataset', description: DATASET_LABELS[draft.dataset] },
      ...fieldsOf(family, draft).map((f): Item => ({ action: f, label: `$(edit) ${f.label}`, description: show(read(draft, f.path)) })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: 'Enter starts training with these settings; pick a setting to change it' });
    if (!picked) return undefined;
    if (picked.action === 'start') return draft;
    if (picked.action === 'dataset') {
      const choice = await vscode.window.showQuickPick(
        FAMILY_DATASETS[family].map((name) => ({ label: DATASET_LABELS[name], name, picked: name === draft.dataset })),
        { title: `${title}: dataset` },
      );
      // The budget's unit follows the data: epochs of images, steps of points.
      if (choice) draft = completeConfig({ ...withValue(draft, 'dataset', choice.name), ...(isImageDataset(choice.name) === isImageDataset(draft.dataset) ? {} : budgetFor(family)) });
      continue;
    }
    draft = (await editField(draft, picked.action, title)) ?? draft;
  }
}

function budgetFor(family: Family): { epochs?: number; steps?: number } {
  const { budget } = FAMILY_DEFAULTS[family];
  return 'epochs' in budget ? { epochs: budget.epochs, steps: undefined } : { steps: budget.steps, epochs: undefined };
}

async function editField(draft: TrainConfig, field: FieldSpec, title: string): Promise<TrainConfig | undefined> {
  const parse = (text: string): unknown => (field.list ? text.split(',').map((t) => Number(t.trim())) : Number(text));
  const attempt = (text: string): { config?: TrainConfig; problem?: string } => {
    try {
      return { config: completeConfig(withValue(draft, field.path, parse(text))) };
    } catch (err) {
      if (err instanceof DecodeError) return { problem: `${field.label} ${err.problem}` };
      throw err;
    }
  };
  const text = await vscode.window.showInputBox({
    title: `${title}: ${field.label.toLowerCase()}`,
    prompt: field.prompt,
    value: show(read(draft, field.path)),
    validateInput: (t) => attempt(t).problem,
  });
  return text === undefined ? undefined : attempt(text).config;
}
