/**
 * What the comparison shows, worked out without the DOM: each run's score in the terms of its
 * kind of density, the runs grouped by the data they learned, and the table of settings and final
 * metrics with the cells that differ between runs marked.
 */
import { metricLabel } from '../../src/protocol/metricLabels';
import type { DensityStory } from '../../src/protocol/messages';
import { formatCount, formatValue } from '../../src/protocol/format';
import type { Architecture } from '../../src/protocol/inspector';
import { l10n } from '../shared/l10n';
import { scoreKindLabel } from '../shared/runState';

/** Which pixels an image model's likelihood is of: binarised and 8-bit figures do not compare. */
const of = (pixels?: string) => (pixels ? `; of ${pixels}` : '');

const fixed = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

/**
 * A run's score, as its family can state it: an exact test NLL, a bound, or only how far its
 * samples are from the data (the histogram JS), saying why there is no likelihood.
 */
export function scoreText(story: Pick<DensityStory, 'kind' | 'metric' | 'scoreKind'>, finalEval: Record<string, number>, pixels?: string): { score: string; note?: string } {
  const { kind, metric, scoreKind } = story;
  // A run a script wrote is scored by what it named, in the terms it declared.
  if (scoreKind) {
    if (!metric) return { score: l10n.t('no score named'), note: l10n.t('the script names none in its evaluations') };
    const value = finalEval[metric];
    if (value === undefined) return { score: l10n.t('no evaluation yet') };
    return { score: `${metricLabel(metric)} ${fixed(value)}`, note: `${scoreKindLabel(scoreKind)}${of(pixels)}` };
  }
  const js = finalEval.js === undefined ? undefined : l10n.t('histogram JS {0} nats', fixed(finalEval.js));
  switch (kind) {
    case 'explicit-tractable':
      return finalEval.testNll === undefined
        ? { score: l10n.t('no evaluation yet') }
        : { score: l10n.t('test NLL {0} nats', fixed(finalEval.testNll)), note: `${l10n.t('exact')}${finalEval.testBitsPerDim === undefined ? '' : `; ${l10n.t('{0} bits/dim', fixed(finalEval.testBitsPerDim))}`}${of(pixels)}` };
    case 'explicit-approximate':
      return finalEval.testNegElbo === undefined
        ? { score: l10n.t('no evaluation yet') }
        : { score: l10n.t('test -ELBO {0} nats', fixed(finalEval.testNegElbo)), note: `${l10n.t('an upper bound on the NLL')}${finalEval.testNllIwae === undefined ? '' : `; ${l10n.t('importance-weighted {0}', fixed(finalEval.testNllIwae))}`}${of(pixels)}` };
    case 'implicit':
      return { score: l10n.t('NLL not available: implicit model'), ...(js ? { note: js } : {}) };
    case 'diffusion':
      return { score: l10n.t('NLL not computed here'), ...(js ? { note: js } : {}) };
  }
}

/** Runs on the same data, in the order their datasets first appear among the runs picked. */
export function groupByDataset<R extends { dataset: string }>(runs: R[]): { dataset: string; runs: R[] }[] {
  const groups = new Map<string, R[]>();
  for (const run of runs) {
    const group = groups.get(run.dataset);
    if (group) group.push(run);
    else groups.set(run.dataset, [run]);
  }
  return [...groups].map(([dataset, members]) => ({ dataset, runs: members }));
}

/**
 * Which cells of a row stand out: those that differ from the value most runs share. When no
 * value is shared by more runs than any other (two runs, two values), every cell stands out.
 */
export function differingCells(values: string[]): boolean[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size < 2) return values.map(() => false);
  const ranked = [...counts.values()].sort((a, b) => b - a);
  if (ranked[0] === ranked[1]) return values.map(() => true);
  const common = [...counts].find(([, n]) => n === ranked[0])![0];
  return values.map((v) => v !== common);
}

export interface TableRow {
  key: string;
  values: string[];
  /** Per cell: it differs from the other runs' value. */
  differs: boolean[];
}

const row = (key: string, values: string[]): TableRow => ({ key, values, differs: differingCells(values) });

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, Array.isArray(value) ? value.join(', ') : String(value));
  }
}

/** Where runs are kept and how they are named differ by nature; they are not settings. */
const NOT_SETTINGS = new Set(['runsDir', 'runName']);

/**
 * One row per setting any run has (nested ones as `model.latentDim`), in first-seen order; '—'
 * where a run lacks it or its family has no use for it (`without`: EM has no learning rate).
 */
export function settingsRows(runs: { config: object; without?: readonly string[] }[]): TableRow[] {
  const flat = runs.map(({ config, without = [] }) => {
    const out = new Map<string, string>();
    flatten(config, '', out);
    for (const key of without) out.delete(key);
    return out;
  });
  const keys = [...new Set(flat.flatMap((m) => [...m.keys()]))].filter((k) => !NOT_SETTINGS.has(k));
  return keys.map((key) => row(key, flat.map((m) => m.get(key) ?? '—')));
}

/** One row per eval metric any run has, each run's last value of it; '—' where a run has none. */
export function metricRows(finals: Record<string, number>[]): TableRow[] {
  const keys = [...new Set(finals.flatMap((f) => Object.keys(f)))];
  return keys.map((key) => row(l10n.t('final {0}', metricLabel(key)), finals.map((f) => formatValue(f[key]))));
}

/**
 * The architectures side by side: the total, each network's count, and each layer as its type,
 * output shape and parameters (keyed "network · layer"); '—' where a run has no such network or
 * layer, or (a run from before the Model tab) no architecture at all.
 */
export function architectureRows(architectures: (Architecture | undefined)[]): TableRow[] {
  const cells = architectures.map((a) => {
    const out = new Map<string, string>();
    if (!a) return out;
    out.set(l10n.t('parameters'), formatCount(a.parameters));
    for (const n of a.networks) {
      out.set(n.name, formatCount(n.parameters));
      for (const l of n.layers) out.set(`${n.name} · ${l.name}`, `${l.className} ${l.outputShape}, ${formatCount(l.parameters)}`);
    }
    return out;
  });
  if (cells.every((c) => c.size === 0)) return [];
  const keys = [...new Set(cells.flatMap((c) => [...c.keys()]))];
  return keys.map((key) => row(key, cells.map((c) => c.get(key) ?? '—')));
}

/** The last value of each eval metric. */
export function finalEval(evals: { values: Record<string, number> }[]): Record<string, number> {
  return Object.assign({}, ...evals.map((e) => e.values)) as Record<string, number>;
}

/**
 * The loss curves on one x axis: the union of every run's steps, each run's values aligned to it
 * (null where it has none). With `positiveOnly` (a log scale) values ≤ 0 are gaps too.
 */
export function alignSeries(series: { steps: number[]; values: (number | null)[] }[], positiveOnly = false): { steps: number[]; columns: (number | null)[][] } {
  const steps = [...new Set(series.flatMap((s) => s.steps))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const columns = series.map((s) => {
    const column = new Array<number | null>(steps.length).fill(null);
    s.steps.forEach((step, i) => {
      const v = s.values[i] ?? null;
      column[index.get(step)!] = positiveOnly && v !== null && v <= 0 ? null : v;
    });
    return column;
  });
  return { steps, columns };
}
