/**
 * What the comparison shows, worked out without the DOM: each run's score in the terms of its
 * kind of density, and the table of settings with the cells that differ between runs marked.
 */
import type { DensityKind } from '../../src/protocol/families/spec';

const fixed = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

/**
 * A run's score, as its family can state it: an exact test NLL, a bound, or only how far its
 * samples are from the data (the histogram JS), saying why there is no likelihood.
 */
export function scoreText(kind: DensityKind, finalEval: Record<string, number>): { score: string; note?: string } {
  const js = finalEval.js === undefined ? undefined : `histogram JS ${fixed(finalEval.js)} nats`;
  switch (kind) {
    case 'explicit-tractable':
      return finalEval.testNll === undefined ? { score: 'no evaluation yet' } : { score: `test NLL ${fixed(finalEval.testNll)} nats`, note: 'exact' };
    case 'explicit-approximate':
      return finalEval.testNegElbo === undefined
        ? { score: 'no evaluation yet' }
        : { score: `test -ELBO ${fixed(finalEval.testNegElbo)} nats`, note: `an upper bound on the NLL${finalEval.testNllIwae === undefined ? '' : `; importance-weighted ${fixed(finalEval.testNllIwae)}`}` };
    case 'implicit':
      return { score: 'NLL not available: implicit model', ...(js ? { note: js } : {}) };
    case 'diffusion':
      return { score: 'NLL not computed here', ...(js ? { note: js } : {}) };
  }
}

export interface SettingsRow {
  key: string;
  values: string[];
  /** Not the same in every run. */
  differs: boolean;
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(prefix, Array.isArray(value) ? value.join(', ') : String(value));
  }
}

/** Where runs are kept and how they are named differ by nature; they are not settings. */
const NOT_SETTINGS = new Set(['runsDir', 'runName']);

/** One row per setting any run has (nested ones as `model.latentDim`), in first-seen order; '—' where a run lacks it. */
export function settingsRows(configs: object[]): SettingsRow[] {
  const flat = configs.map((c) => {
    const out = new Map<string, string>();
    flatten(c, '', out);
    return out;
  });
  const keys = [...new Set(flat.flatMap((m) => [...m.keys()]))].filter((k) => !NOT_SETTINGS.has(k));
  return keys.map((key) => {
    const values = flat.map((m) => m.get(key) ?? '—');
    return { key, values, differs: new Set(values).size > 1 };
  });
}

/** The loss curves on one x axis: the union of every run's steps, each run's values aligned to it (null where it has none). */
export function alignSeries(series: { steps: number[]; values: (number | null)[] }[]): { steps: number[]; columns: (number | null)[][] } {
  const steps = [...new Set(series.flatMap((s) => s.steps))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const columns = series.map((s) => {
    const column = new Array<number | null>(steps.length).fill(null);
    s.steps.forEach((step, i) => (column[index.get(step)!] = s.values[i] ?? null));
    return column;
  });
  return { steps, columns };
}
