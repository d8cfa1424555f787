/**
 * "GenLab: Train VAE": one quick pick whose first item starts training with the shown settings
 * (so Enter, Enter trains with the defaults) and whose other items change one setting each and
 * come back to the list.
 */
import * as vscode from 'vscode';
import { type ConfigInput, completeConfig, DATASETS, type DatasetName, type TrainConfig } from '../protocol/config';
import { DecodeError } from '../protocol/decode';

interface Draft {
  dataset: DatasetName;
  epochs: number;
  batchSize: number;
  learningRate: number;
  latentDim: number;
  hiddenSizes: number[];
  seed: number;
}

const DATASET_LABELS: Record<DatasetName, string> = { mnist: 'MNIST (handwritten digits)', 'fashion-mnist': 'Fashion-MNIST (clothing)' };

type Field = Exclude<keyof Draft, 'dataset'>;

/** How each numeric setting is shown, typed, and checked (by the same decoder the trainer uses). */
const FIELDS: Record<Field, { label: string; prompt: string; parse(text: string): unknown; show(d: Draft): string }> = {
  epochs: { label: 'Epochs', prompt: 'Passes over the training set (fractions allowed, e.g. 0.5)', parse: Number, show: (d) => String(d.epochs) },
  batchSize: { label: 'Batch size', prompt: 'Images per optimiser step', parse: Number, show: (d) => String(d.batchSize) },
  learningRate: { label: 'Learning rate', prompt: 'Adam learning rate', parse: Number, show: (d) => String(d.learningRate) },
  latentDim: { label: 'Latent dimension', prompt: 'Size of the latent code z', parse: Number, show: (d) => String(d.latentDim) },
  hiddenSizes: {
    label: 'Hidden layers',
    prompt: 'Hidden layer sizes, comma-separated (the decoder mirrors them)',
    parse: (t) => t.split(',').map((s) => Number(s.trim())),
    show: (d) => d.hiddenSizes.join(', '),
  },
  seed: { label: 'Seed', prompt: 'Random seed (initialisation, data order, noise)', parse: Number, show: (d) => String(d.seed) },
};

function toInput(d: Draft, base: Pick<ConfigInput, 'backend' | 'evalEvery' | 'runsDir'>): ConfigInput {
  return {
    family: 'vae',
    dataset: d.dataset,
    epochs: d.epochs,
    batchSize: d.batchSize,
    learningRate: d.learningRate,
    seed: d.seed,
    model: { latentDim: d.latentDim, hiddenSizes: d.hiddenSizes },
    ...base,
  };
}

function summary(d: Draft): string {
  return `${d.dataset === 'mnist' ? 'MNIST' : 'Fashion-MNIST'} · ${d.epochs} epochs · batch ${d.batchSize} · lr ${d.learningRate} · z=${d.latentDim} · hidden ${d.hiddenSizes.join('-')}`;
}

type Item = vscode.QuickPickItem & { action: 'start' | 'dataset' | Field };

/**
 * Shows the picker; resolves with a complete, validated config, or undefined if dismissed.
 * `base` carries the settings that come from the workspace (runs folder, backend, eval interval).
 */
export async function pickVaeConfig(base: Pick<ConfigInput, 'backend' | 'evalEvery' | 'runsDir'>): Promise<TrainConfig | undefined> {
  const defaults = completeConfig({ family: 'vae', ...base });
  const draft: Draft = {
    dataset: defaults.dataset,
    epochs: defaults.epochs ?? 10,
    batchSize: defaults.batchSize,
    learningRate: defaults.learningRate,
    latentDim: defaults.model.latentDim,
    hiddenSizes: defaults.model.hiddenSizes,
    seed: defaults.seed,
  };
  for (;;) {
    const items: Item[] = [
      { action: 'start', label: '$(play) Start training', description: summary(draft), alwaysShow: true },
      { action: 'dataset', label: '', kind: vscode.QuickPickItemKind.Separator },
      { action: 'dataset', label: '$(database) Dataset', description: DATASET_LABELS[draft.dataset] },
      ...(Object.keys(FIELDS) as Field[]).map((f): Item => ({ action: f, label: `$(edit) ${FIELDS[f].label}`, description: FIELDS[f].show(draft) })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'GenLab: Train VAE',
      placeHolder: 'Enter starts training with these settings; pick a setting to change it',
    });
    if (!picked) return undefined;
    if (picked.action === 'start') return completeConfig(toInput(draft, base));
    if (picked.action === 'dataset') {
      const choice = await vscode.window.showQuickPick(
        DATASETS.map((name) => ({ label: DATASET_LABELS[name], name, picked: name === draft.dataset })),
        { title: 'GenLab: Train VAE: dataset' },
      );
      if (choice) draft.dataset = choice.name;
      continue;
    }
    await editField(draft, picked.action, base);
  }
}

async function editField(draft: Draft, field: Field, base: Pick<ConfigInput, 'backend' | 'evalEvery' | 'runsDir'>): Promise<void> {
  const spec = FIELDS[field];
  // Validation runs the whole config through the protocol's decoder, so the message is the
  // trainer's own rule (e.g. "must be at least 1").
  const check = (text: string): string | undefined => {
    try {
      completeConfig(toInput({ ...draft, [field]: spec.parse(text) }, base));
      return undefined;
    } catch (err) {
      if (err instanceof DecodeError) return `${spec.label} ${err.problem}`;
      throw err;
    }
  };
  const text = await vscode.window.showInputBox({
    title: `GenLab: Train VAE: ${spec.label.toLowerCase()}`,
    prompt: spec.prompt,
    value: spec.show(draft),
    validateInput: check,
  });
  if (text !== undefined && !check(text)) (draft as unknown as Record<Field, unknown>)[field] = spec.parse(text);
}
