/**
 * The "GenLab: Train …" quick pick: its first item starts training with the shown settings (so
 * Enter, Enter trains with the family's defaults) and each other item changes one setting and
 * comes back to the list. The dataset may be a built-in one or the person's own CSV file or image
 * folder. Every value is checked by the same decoder the trainer uses.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type ConfigInput, completeConfig, type DataSource, fitsDimension, type ModelKind, type ModelRef, modelDefaults, specOf, type TrainConfig, trainsNative } from '../protocol/config';
import { DATASET_LABELS, dataKindOf, SOURCE_DATASETS } from '../protocol/datasets';
import { DecodeError } from '../protocol/decode';
import type { FamilySpec } from '../protocol/families/spec';
import { nativeBackendInstalled } from '../shared/native/location';
import { UserError } from '../shared/userError';
import { ownDataRunName, pickColumns, pickCsvFile, pickImageFolder, pickImageSource, reportingUserErrors } from './ownData';

export type BaseSettings = Pick<ConfigInput, 'backend' | 'evalEvery' | 'runsDir' | 'keepCheckpoints'>;
type Input = ConfigInput<ModelKind>;

interface FieldSpec {
  label: string;
  prompt: string;
  /** Where the value lives: a top-level config field or one of `model`'s. */
  path: string;
  list?: boolean;
  choices?: readonly string[];
}

const COMMON_FIELDS: (FieldSpec & { path: 'learningRate' | 'batchSize' | 'seed' })[] = [
  { label: vscode.l10n.t('Learning rate'), prompt: vscode.l10n.t('Adam learning rate'), path: 'learningRate' },
  { label: vscode.l10n.t('Batch size'), prompt: vscode.l10n.t('Examples per optimiser step'), path: 'batchSize' },
  { label: vscode.l10n.t('Seed'), prompt: vscode.l10n.t('Random seed (initialisation, data order, noise)'), path: 'seed' },
];

/** The fields offered for a model on this data: its budget, its model options, and the optimiser's where it has one. */
function fieldsOf(spec: FamilySpec, draft: TrainConfig): FieldSpec[] {
  const budget: FieldSpec =
    draft.epochs !== undefined
      ? { label: vscode.l10n.t('Epochs'), prompt: vscode.l10n.t('Passes over the training set (fractions allowed, e.g. 0.5)'), path: 'epochs' }
      : { label: spec.stepsLabel ?? vscode.l10n.t('Steps'), prompt: vscode.l10n.t('Training steps'), path: 'steps' };
  const kind = dataKindOf(draft.dataset);
  const model = spec.fields.filter((f) => !f.only || f.only === kind).map((f) => ({ ...f, path: `model.${f.key}` }));
  const without: readonly string[] = spec.without ?? [];
  return [budget, ...model, ...COMMON_FIELDS.filter((f) => !without.includes(f.path))];
}

function datasetLabel(name: TrainConfig['dataset'], data?: DataSource): string {
  const { title, detail } = DATASET_LABELS[name];
  return data ? `${title}: ${path.basename(data.path)}` : `${title} (${detail})`;
}

type OwnData = DataSource['type'];

/** Where the model can train on the person's own data: a folder of images, a CSV file of one or two columns. */
function ownDataChoices(spec: FamilySpec): { label: string; description: string; source: OwnData }[] {
  return [
    ...(spec.defaults.images ? [{ label: vscode.l10n.t('$(folder) Your images…'), description: vscode.l10n.t('a folder of PNG and JPEG files'), source: 'image-folder' as const }] : []),
    ...([1, 2].some((dim) => fitsDimension(spec, dim)) ? [{ label: vscode.l10n.t('$(file) Your CSV file…'), description: vscode.l10n.t('numeric columns'), source: 'csv' as const }] : []),
  ];
}

async function pickOwnData(source: OwnData, spec: FamilySpec, title: string): Promise<DataSource | undefined> {
  if (source === 'image-folder') {
    const folder = await pickImageFolder();
    return folder && pickImageSource(folder.fsPath, spec, title);
  }
  const file = await pickCsvFile();
  const columns = file && (await pickColumns(file.fsPath));
  if (!file || !columns) return undefined;
  if (!fitsDimension(spec, columns.length)) {
    throw new UserError(vscode.l10n.t('{0} does not model {1}-D data.', spec.title, columns.length), columns.length === 1 ? vscode.l10n.t('Pick two columns, or another family.') : vscode.l10n.t('Pick one column, or another family.'));
  }
  return { type: 'csv', path: file.fsPath, columns };
}

function read(config: TrainConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
}

function withValue(config: TrainConfig, path: string, value: unknown): Input {
  const [head, key] = path.split('.');
  return (key ? { ...config, model: { ...config.model, [key]: value } } : { ...config, [head]: value }) as Input;
}

function show(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function summary(config: TrainConfig): string {
  const budget = config.epochs !== undefined ? vscode.l10n.t('{0} epochs', config.epochs) : vscode.l10n.t('{0} steps', config.steps);
  const model = Object.entries(config.model).map(([k, v]) => `${k} ${show(v)}`);
  return [config.data ? path.basename(config.data.path) : DATASET_LABELS[config.dataset].title, budget, ...model].join(' · ');
}

type Item = vscode.QuickPickItem & { action: 'start' | 'save' | 'dataset' | FieldSpec };

/**
 * Shows the picker; resolves with a complete, validated config, or undefined if dismissed or if
 * the person chose to save the settings as an experiment file instead (`save`).
 */
export async function pickTrainConfig(ref: ModelRef, base: BaseSettings, save?: (draft: TrainConfig) => Promise<unknown>): Promise<TrainConfig | undefined> {
  const spec = specOf(ref);
  const title = vscode.l10n.t('GenLab: {0}', spec.title);
  // The model (a family, or a module with its declaration) and the person's settings, and then the choices made here.
  const context = { nativeInstalled: nativeBackendInstalled() };
  const fresh = (input: Partial<Input>): TrainConfig => completeConfig({ ...ref, ...base, ...input } as Input, context);
  let draft: TrainConfig = fresh({});
  for (;;) {
    // Said where the defaults are the native backend's, so that the person knows why they differ from the README's.
    const tuned = trainsNative(draft.backend, context) && modelDefaults(ref, draft.dataset).native !== undefined;
    const items: Item[] = [
      {
        action: 'start',
        label: vscode.l10n.t('$(play) Start training'),
        description: summary(draft),
        ...(tuned ? { detail: vscode.l10n.t('Defaults for the native backend (tensorflow), where this model’s steps cost less') } : {}),
        alwaysShow: true,
      },
      { action: 'start', label: '', kind: vscode.QuickPickItemKind.Separator },
      { action: 'dataset', label: vscode.l10n.t('$(database) Dataset'), description: datasetLabel(draft.dataset, draft.data) },
      ...fieldsOf(spec, draft).map((f): Item => ({ action: f, label: `$(edit) ${f.label}`, description: show(read(draft, f.path)) })),
      ...(save ? [{ action: 'save' as const, label: vscode.l10n.t('$(save) Save as experiment file…'), description: vscode.l10n.t('a *.genlab.json to train from the editor') }] : []),
    ];
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Enter starts training with these settings; pick a setting to change it') });
    if (!picked) return undefined;
    if (picked.action === 'start') return draft;
    if (picked.action === 'save') {
      await save?.(draft);
      return undefined;
    }
    if (picked.action === 'dataset') {
      const choice = await vscode.window.showQuickPick<vscode.QuickPickItem & { name?: TrainConfig['dataset']; source?: OwnData }>(
        [
          ...spec.datasets.filter((name) => !(SOURCE_DATASETS as readonly string[]).includes(name)).map((name) => ({ label: datasetLabel(name), name, picked: name === draft.dataset })),
          { label: vscode.l10n.t('Your data'), kind: vscode.QuickPickItemKind.Separator },
          ...ownDataChoices(spec),
        ],
        { title: vscode.l10n.t('{0}: dataset', title) },
      );
      if (choice?.source) {
        // The person's data brings the defaults for its kind, and names the run after it.
        const data = await reportingUserErrors(() => pickOwnData(choice.source!, spec, title));
        if (data) draft = fresh({ seed: draft.seed, dataset: data.type, data, runName: ownDataRunName(spec, data) });
      } else if (choice?.name) {
        // Another kind of data brings that kind's defaults: epochs of images or steps of points, a conv net or an MLP.
        const { data: _data, runName: _runName, ...builtIn } = draft;
        const sameKind: boolean = !draft.data && dataKindOf(choice.name) === dataKindOf(draft.dataset);
        draft = sameKind ? completeConfig(withValue(builtIn as TrainConfig, 'dataset', choice.name)) : fresh({ seed: draft.seed, dataset: choice.name });
      }
      continue;
    }
    draft = (await editField(draft, picked.action, title)) ?? draft;
  }
}

async function editField(draft: TrainConfig, field: FieldSpec, title: string): Promise<TrainConfig | undefined> {
  if (field.choices) {
    const current = read(draft, field.path);
    const pick = await vscode.window.showQuickPick(
      field.choices.map((label) => ({ label, picked: label === current })),
      { title: `${title}: ${field.label.toLowerCase()}`, placeHolder: field.prompt },
    );
    return pick && completeConfig(withValue(draft, field.path, pick.label));
  }
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
