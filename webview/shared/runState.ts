/** How each run state reads in the views: a label, a codicon and a colour tone. Pure. */
import type { RunState } from '../../src/protocol/webview';
import type { ScoreKind } from '../../src/protocol/external';
import { DENSITY_KIND_LABELS, type DensityKind } from '../../src/protocol/families/spec';
import { l10n } from './l10n';

export type Tone = 'active' | 'ok' | 'warn' | 'error';

export interface StateLook {
  label: string;
  icon: string;
  /** The icon turns (while work is under way). */
  spin: boolean;
  tone: Tone;
}

export const STATE_LOOK: Record<RunState, StateLook> = {
  'loading-data': { label: l10n.t('Loading data'), icon: 'loading', spin: true, tone: 'active' },
  // Static on purpose: training lasts minutes, and a spinning icon repaints the page every frame.
  training: { label: l10n.t('Training'), icon: 'pulse', spin: false, tone: 'active' },
  evaluating: { label: l10n.t('Evaluating'), icon: 'beaker', spin: false, tone: 'active' },
  stopping: { label: l10n.t('Stopping'), icon: 'loading', spin: true, tone: 'warn' },
  finished: { label: l10n.t('Finished'), icon: 'pass-filled', spin: false, tone: 'ok' },
  stopped: { label: l10n.t('Stopped'), icon: 'debug-stop', spin: false, tone: 'warn' },
  failed: { label: l10n.t('Failed'), icon: 'error', spin: false, tone: 'error' },
  interrupted: { label: l10n.t('Interrupted'), icon: 'warning', spin: false, tone: 'warn' },
};

/** The trainer is working and can be asked to stop. */
export function canStop(state: RunState): boolean {
  return state === 'loading-data' || state === 'training' || state === 'evaluating';
}

/** The model exists and can draw samples on request. */
export function canSample(state: RunState): boolean {
  return state === 'training' || state === 'evaluating';
}

/** The taxonomy line's lead: "Explicit, approximate density". */
export function densityKindLabel(kind: string): string {
  return DENSITY_KIND_LABELS[kind as DensityKind] ?? kind;
}

/**
 * The family's summary for the taxonomy line, which shows the kind of density in bold before it:
 * without the kind's own words when the summary opens with them (they would be said twice).
 */
export function summaryAfterKind(kindLabel: string, summary: string): string {
  const text = summary.trim();
  return text.toLowerCase().startsWith(kindLabel.toLowerCase()) ? text.slice(kindLabel.length).replace(/^\s*[:,.—-]\s*/, '') : text;
}

/** What a score is, as a script that logs its own run declared it. */
export function scoreKindLabel(kind: ScoreKind): string {
  switch (kind) {
    case 'exact':
      return l10n.t('exact');
    case 'bound':
      return l10n.t('an upper bound on the NLL');
    case 'samples':
      return l10n.t('sample-based: not a likelihood');
  }
}
