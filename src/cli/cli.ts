/**
 * `genlab`: headless training with the same trainer process the extension uses. The CLI is a
 * host like the extension: it forks the trainer, sends `start`, and renders what comes back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, type ConfigInput, completeConfig, DEFAULT_IMAGE_SIZE, DEFAULT_MAX_PARAMETERS, FAMILIES, type Family, familyDefaults, MODULE, type ModelKind, modelDefaults, type TrainConfig } from '../protocol/config';
import type { ModuleRef } from '../protocol/modelModule';
import { describeModule } from '../shared/modelModules';
import { nativeBackendInstalled } from '../shared/native/location';
import { DATASETS, dataKindOf } from '../protocol/datasets';
import { DecodeError } from '../protocol/decode';
import type { RunSummary, TrainerMessage } from '../protocol/messages';
import { FAMILY_SPECS, specOf } from '../protocol/families';
import type { OptionField } from '../protocol/families/spec';
import { formatValue } from '../protocol/format';
import { metricLabel } from '../protocol/metricLabels';
import { TrainerClient } from '../shared/trainerClient';
import { UserError } from '../shared/userError';
import { EXPORT_USAGE, exportCommand } from './exportCommand';
import { NATIVE_USAGE, nativeCommand } from './nativeCommand';
import { RUNS_USAGE, runsCommand } from './runsCheck';

/** Each option: its flag, the config field it sets (for error messages), and its help line. */
const OPTIONS = {
  dataset: { field: 'dataset', help: `training data: ${DATASETS.join(' | ')} (default: per family, below)` },
  epochs: { field: 'epochs', help: 'passes over the training set' },
  steps: { field: 'steps', help: 'optimiser steps (EM iterations for the mixture), instead of --epochs' },
  'batch-size': { field: 'batchSize', help: 'examples per step (default 128)' },
  lr: { field: 'learningRate', help: 'Adam learning rate (default 0.001)' },
  seed: { field: 'seed', help: 'random seed for initialisation, data order and noise (default 0)' },
  backend: { field: 'backend', help: `${BACKEND_CHOICES.join(' | ')}; auto tries tensorflow (genlab native install adds it), then wasm, then cpu (default auto)` },
  'eval-every': { field: 'evalEvery', help: 'steps between test evaluation, sample grids and checkpoints (default 500)' },
  patience: { field: 'patience', help: "early stopping: end after this many evaluations in a row that do not beat the best test score (default off: train to the end)" },
  out: { field: 'runsDir', help: 'folder that receives the run folder (default runs/)' },
  name: { field: 'runName', help: 'a name for the run, kept in run.json' },
  'max-parameters': { field: 'maxParameters', help: `largest model built, in parameters; a bigger config is refused before training (default ${DEFAULT_MAX_PARAMETERS}, about ${(DEFAULT_MAX_PARAMETERS * 16) / 1e6} MB in training)` },
  data: { field: 'data.path', help: 'your own data: a CSV file (dataset csv) or a folder of PNG/JPEG images (dataset image-folder)' },
  columns: { field: 'data.columns', help: 'with --data a CSV file: one or two columns, by header name or number, e.g. height or x,y' },
  'image-size': { field: 'data.size', help: `with --data a folder: images are cropped square and resized to this many pixels a side (default ${DEFAULT_IMAGE_SIZE})` },
  color: { field: 'data.color', help: 'with --data a folder: grayscale | rgb (default grayscale)' },
} as const;
type OptionName = keyof typeof OPTIONS;

/** Every family's model options as flags; a flag shared by families sets the same key in each. */
const MODEL_FLAGS = new Map<string, { field: OptionField; families: Family[] }>();
for (const family of FAMILIES) {
  for (const field of FAMILY_SPECS[family].fields) {
    const entry = MODEL_FLAGS.get(field.flag) ?? { field, families: [] };
    entry.families.push(family);
    MODEL_FLAGS.set(field.flag, entry);
  }
}

function familyLine(family: Family): string {
  const spec = FAMILY_SPECS[family];
  const { budget } = familyDefaults(family);
  const length = 'epochs' in budget ? `${budget.epochs} epochs` : `${budget.steps} steps`;
  return `  ${family.padEnd(10)} ${spec.title}; default ${spec.defaultDataset}, ${length}`;
}

function modelFlagLine([flag, { field, families }]: [string, { field: OptionField; families: Family[] }]): string {
  const value = field.choices ? field.choices.join('|') : field.list ? 'N,N,...' : 'N';
  // A flag shared by families names the setting; the families' own prompts differ in detail.
  const help = `${families.join(', ')}: ${families.length > 1 ? field.label : field.prompt}`;
  const usage = `--${flag} ${value}`;
  return usage.length < 26 ? `  ${usage.padEnd(26)} ${help}` : `  ${usage}\n  ${''.padEnd(26)} ${help}`;
}

const USAGE = `Usage: genlab train <family> [options]
       genlab train --model <file> [options]   your own model module (add --help for its options)
       ${RUNS_USAGE}   validate a run folder: each problem with its file and line, or "ok"
       ${EXPORT_USAGE}   the run's newest model, with a README on loading it
       ${NATIVE_USAGE}   the native TensorFlow backend (tfjs-node) in your user folder

Trains a generative model headless and writes a run folder: run.json, metrics.jsonl,
samples/step-NNNNNN.png and checkpoints/ (TensorFlow.js layers format).

Families:
${FAMILIES.map(familyLine).join('\n')}

Options:
${Object.entries(OPTIONS).map(([flag, o]) => `  --${flag.padEnd(14)} ${o.help}`).join('\n')}
  --json           print every trainer message as a JSON line instead of progress
  -h, --help       show this help

Model options (defaults depend on the family and the kind of data):
${[...MODEL_FLAGS].map(modelFlagLine).join('\n')}

Ctrl-C stops after the current step and keeps the run (final eval, samples, checkpoint);
a second Ctrl-C ends the trainer at once.

Example: genlab train vae --dataset mnist --epochs 10 --out runs/`;

class CliError extends Error {}

function fail(message: string): never {
  throw new CliError(`${message}\nRun \`genlab train --help\` for the options.`);
}

function numberOption(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || Number.isNaN(n)) fail(`--${flag} expects a number, got "${value}".`);
  return n;
}

/** --data with --columns (a CSV file) or --image-size and --color (a folder) as the config's data source and dataset, checked for each other. */
function dataSource(v: Partial<Record<string, string>>): Pick<ConfigInput, 'dataset' | 'data'> {
  const { data: file, columns, dataset } = v;
  const folderFlags = (['image-size', 'color'] as const).filter((f) => v[f] !== undefined);
  if (file === undefined) {
    if (columns !== undefined) fail('--columns goes with --data (a CSV file).');
    if (folderFlags.length) fail(`--${folderFlags[0]} goes with --data (a folder of images).`);
    return {};
  }
  const folder = fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (dataset !== undefined && dataset !== (folder ? 'image-folder' : 'csv')) fail(`--data ${folder ? 'is a folder of images' : 'reads a CSV file'}; leave out --dataset ${dataset}.`);
  if (folder) {
    if (columns !== undefined) fail('--columns picks columns of a CSV file; --data is a folder of images.');
    const size = v['image-size'] === undefined ? DEFAULT_IMAGE_SIZE : numberOption('image-size', v['image-size']);
    return { dataset: 'image-folder', data: { type: 'image-folder', path: path.resolve(file), size, color: (v.color ?? 'grayscale') as 'grayscale' | 'rgb' } };
  }
  if (folderFlags.length) fail(`--${folderFlags[0]} goes with --data a folder of images; ${file} is not a folder.`);
  if (columns === undefined) fail('--data needs --columns: one or two of its columns, by header name or number, e.g. --columns height or --columns x,y.');
  return { dataset: 'csv', data: { type: 'csv', path: path.resolve(file), columns: columns.split(',').map((c) => c.trim()) } };
}

/** The file `--model` names, looked up before parsing: its options decide which flags there are. */
export function modelModuleArgument(argv: string[]): string | undefined {
  const at = argv.findIndex((a) => a === '--model' || a.startsWith('--model='));
  if (at < 0) return undefined;
  const value = argv[at].startsWith('--model=') ? argv[at].slice('--model='.length) : argv[at + 1];
  if (!value || value.startsWith('-')) fail('--model expects the path of a model module, e.g. --model models/my-vae.ts.');
  return value;
}

/** The help of one model module: what it is, its data, and its options with their defaults. */
function moduleUsage(module: ModuleRef): string {
  const spec = specOf({ family: MODULE, module });
  const { budget, model } = modelDefaults({ family: MODULE, module });
  const length = 'epochs' in budget ? `${budget.epochs} epochs` : `${budget.steps} steps`;
  const defaults = model as Record<string, unknown>;
  const options = spec.fields.map((f) => {
    const value = f.choices ? f.choices.join('|') : f.list ? 'N,N,...' : 'N';
    return `  --${`${f.flag} ${value}`.padEnd(24)} ${f.prompt} (default ${JSON.stringify(defaults[f.key])})`;
  });
  return `Usage: genlab train --model ${path.relative(process.cwd(), module.path) || module.path} [options]

${spec.title}: ${spec.density.summary}
Data: ${spec.datasets.join(' | ')} (default ${spec.defaultDataset}, ${length})

Its options:
${options.length ? options.join('\n') : '  (none)'}

The training options (--steps, --lr, --batch-size, --out, ...) are those of \`genlab train --help\`.`;
}

export function parseCommandLine(argv: string[], module?: ModuleRef): { config: TrainConfig; json: boolean } | 'help' | { help: string } {
  const moduleFields = module ? specOf({ family: MODULE, module }).fields : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries([...Object.keys(OPTIONS), ...(module ? moduleFields.map((f) => f.flag) : MODEL_FLAGS.keys())].map((k) => [k, { type: 'string' as const }])),
        model: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (module && values.help) return { help: moduleUsage(module) };
  if (values.help || positionals.length === 0) return 'help';
  const [command, family, ...extra] = positionals;
  if (command !== 'train') fail(`Unknown command "${command}"; the commands are \`train\`, \`runs check\` and \`export\`.`);
  if (module && family) fail(`Train either a family or a model module: \`genlab train ${family}\` or \`genlab train --model <file>\`.`);
  if (!module && !family) fail(`Name the family to train, e.g. \`genlab train vae\` (families: ${FAMILIES.join(', ')}), or a model module with --model <file>.`);
  if (!module && !FAMILIES.includes(family as Family)) fail(`Unknown family "${family}"; choose one of: ${FAMILIES.join(', ')}.`);
  if (extra.length) fail(`Unexpected argument(s): ${extra.join(' ')}.`);

  const v = values as Partial<Record<string, string>>;
  const num = (flag: OptionName) => (v[flag] === undefined ? undefined : numberOption(flag, v[flag]));
  const fields = module ? moduleFields : FAMILY_SPECS[family as Family].fields;
  const model: Record<string, string | number | number[]> = {};
  for (const flag of module ? moduleFields.map((f) => f.flag) : MODEL_FLAGS.keys()) {
    const text = v[flag];
    if (text === undefined) continue;
    const field = fields.find((f) => f.flag === flag);
    if (!field) fail(`--${flag} applies to ${MODEL_FLAGS.get(flag)!.families.join(', ')}, not ${family}.`);
    model[field.key] = field.choices ? text : field.list ? text.split(',').map((t) => numberOption(flag, t)) : numberOption(flag, text);
  }
  const input = {
    ...(module ? { family: MODULE, module } : { family: family as Family }),
    dataset: v.dataset as ConfigInput['dataset'],
    epochs: num('epochs'),
    steps: num('steps'),
    batchSize: num('batch-size'),
    learningRate: num('lr'),
    seed: num('seed'),
    backend: v.backend as ConfigInput['backend'],
    evalEvery: num('eval-every'),
    patience: num('patience'),
    runsDir: v.out,
    runName: v.name,
    maxParameters: num('max-parameters'),
    ...dataSource(v),
    model,
  } as ConfigInput<ModelKind>;
  const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
  let config: TrainConfig;
  try {
    config = completeConfig({ ...defined(input), model: defined(input.model ?? {}) }, { nativeInstalled: nativeBackendInstalled() });
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    const field = err.path.replace(/^config\./, '').replace(/\[\d+\]$/, '');
    const flag =
      Object.entries(OPTIONS).find(([, o]) => o.field === field)?.[0] ??
      fields.find((f) => `model.${f.key}` === field)?.flag;
    fail(`${flag ? `--${flag}` : field}: ${err.problem}.`);
  }
  ensureWritableFolder(config.runsDir);
  return { config: { ...config, runsDir: path.resolve(config.runsDir) }, json: Boolean(values.json) };
}

function ensureWritableFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    fail(`Cannot write runs to "${dir}" (${code}). Choose a folder you can write to with --out.`);
  }
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

function formatValues(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${metricLabel(k)} ${formatValue(v)}`)
    .join(', ');
}

/** Renders progress: a bar redrawn in place on a terminal, plain lines (about 20 per run) otherwise. */
class Progress {
  private totalSteps = 1;
  private lastDraw = 0;
  private lastLineStep = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream) {
    this.tty = Boolean(out.isTTY);
  }

  setTotal(totalSteps: number): void {
    this.totalSteps = totalSteps;
  }

  metrics(m: Extract<TrainerMessage, { type: 'metrics' }>, lossKey: string): void {
    const rate = m.step / Math.max(m.elapsedMs / 1000, 1e-9);
    const eta = ((this.totalSteps - m.step) / Math.max(rate, 1e-9)) * 1000;
    const loss = m.values[lossKey] ?? Object.values(m.values)[0];
    const text = `step ${m.step}/${this.totalSteps}  epoch ${m.epoch.toFixed(2)}  ${metricLabel(lossKey)} ${loss.toFixed(2)}  ${rate.toFixed(1)} steps/s  ETA ${formatDuration(eta)}`;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && m.step !== this.totalSteps) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((m.step / this.totalSteps) * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`);
    } else if (m.step - this.lastLineStep >= Math.max(1, Math.round(this.totalSteps / 20)) || m.step === this.totalSteps) {
      this.lastLineStep = m.step;
      this.out.write(`${text}\n`);
    }
  }

  line(text: string): void {
    this.out.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
}

/** Relative to the current folder when inside it, absolute otherwise. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

/** `unit` qualifies the test figures: "nats per image" for likelihoods and bounds, none for divergences. */
function printSummary(s: RunSummary, unit: string | undefined, line: (t: string) => void): void {
  const verb = s.state === 'stopped' ? 'Stopped' : 'Finished';
  line(`${verb}: ${s.steps} steps (${s.epochs.toFixed(2)} epochs) in ${formatDuration(s.wallMs)}, ${s.stepsPerSecond.toFixed(1)} steps/s on ${s.backend}`);
  if (Object.keys(s.finalEval).length) line(`Test:    ${formatValues(s.finalEval)}${unit ? ` (${unit})` : ''}`);
  if (s.best) line(`Best:    ${formatValues({ [s.best.metric]: s.best.value })} at step ${s.best.step} (checkpoints/best/)`);
  if (s.note) line(s.note);
  if (s.lastSamplePath) line(`Samples: ${displayPath(s.lastSamplePath)}`);
  line(`Run:     ${displayPath(s.runDir)}`);
}

async function train(config: TrainConfig, json: boolean): Promise<number> {
  const progress = new Progress(process.stdout);
  const { lossKey } = specOf(config);
  let summary: RunSummary | undefined;
  let lastError: Extract<TrainerMessage, { type: 'error' }> | undefined;
  const client = TrainerClient.start(config, {
    onMessage: (m) => {
      if (json) process.stdout.write(`${JSON.stringify(m)}\n`);
      switch (m.type) {
        case 'ready':
          if (!json) progress.line(`Backend: ${m.backend}${m.notes.length ? ` (${m.notes.join('; ')})` : ''}`);
          break;
        case 'started':
          progress.setTotal(m.totalSteps);
          if (!json) progress.line(`Run ${m.runId}: ${m.totalSteps} steps of ${m.config.batchSize} on ${config.dataset}`);
          break;
        case 'metrics':
          if (!json) progress.metrics(m, lossKey);
          break;
        case 'eval':
          if (!json && Object.keys(m.values).length) progress.line(`step ${m.step}: ${formatValues(m.values)}`);
          break;
        case 'error':
          if (m.fatal) lastError = m;
          if (!json) progress.line(`${m.fatal ? 'Error' : 'Warning'}: ${m.message}\n  ${m.hint}`);
          break;
        case 'done':
          summary = m.summary;
          break;
      }
    },
    onLog: (line) => process.stderr.write(`${line}\n`),
    onInvalid: (problem) => process.stderr.write(`Ignored an invalid trainer message: ${problem}\n`),
  }, path.join(__dirname, 'trainer.js'));

  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts === 1) {
      // With --json, stdout carries only trainer messages.
      const note = 'Stopping after the current step (Ctrl-C again to end the trainer at once)…';
      if (json) process.stderr.write(`${note}\n`);
      else progress.line(note);
      client.stop();
    } else {
      client.kill();
    }
  });

  const exit = await client.exited;
  if (summary) {
    const explicit = specOf(config).density.kind.startsWith('explicit');
    if (!json) printSummary(summary, explicit ? `nats per ${dataKindOf(config.dataset) === 'images' ? 'image' : 'point'}` : undefined, (t) => progress.line(t));
    return 0;
  }
  if (!lastError) {
    process.stderr.write(`The trainer ended without finishing (exit code ${exit.code}, signal ${exit.signal}). The run folder keeps what was written.\n`);
  }
  return 1;
}

/** The module's declaration from the trainer; its problems are printed as file:line:column, as editors and terminals link them. */
async function describedModule(file: string): Promise<ModuleRef> {
  if (!fs.existsSync(file)) fail(`--model ${file}: no such file.`);
  const described = await describeModule(file, path.join(__dirname, 'trainer.js'), (line) => process.stderr.write(`${line}\n`));
  if (described.ok) return described.module;
  const located = described.problems.map((p) => `${displayPath(p.file)}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
  throw new UserError(located.length ? `${located.join('\n')}\n${described.message.split('\n')[0]}` : described.message, described.hint);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'runs') {
    process.exitCode = runsCommand(process.argv.slice(3), process.stdout, process.stderr);
    return;
  }
  if (process.argv[2] === 'export') {
    process.exitCode = exportCommand(process.argv.slice(3), process.stdout, process.stderr);
    return;
  }
  if (process.argv[2] === 'native') {
    process.exitCode = await nativeCommand(process.argv.slice(3), process.stdout, process.stderr);
    return;
  }
  let parsed;
  try {
    const argv = process.argv.slice(2);
    const file = modelModuleArgument(argv);
    parsed = parseCommandLine(argv, file === undefined ? undefined : await describedModule(file));
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`genlab: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed === 'help' || 'help' in parsed) {
    process.stdout.write(`${parsed === 'help' ? USAGE : parsed.help}\n`);
    return;
  }
  process.exitCode = await train(parsed.config, parsed.json);
}

main().catch((err) => {
  // A UserError says what to change; a stack trace would bury that. Anything else is a bug, with its stack.
  const text = err instanceof UserError ? `${err.message}\n  ${err.hint}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`genlab: ${text}\n`);
  process.exitCode = 1;
});
