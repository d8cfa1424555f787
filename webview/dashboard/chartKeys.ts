/**
 * Keyboard zoom for the loss chart, as a pure function of the visible step range, so that the
 * chart can be read without a pointer: + and - zoom in and out around the middle, the arrow keys
 * move along the steps, Home and End go to either end, 0 or Escape shows the whole run.
 */
import { l10n } from '../shared/l10n';

export interface StepRange {
  min: number;
  max: number;
}

/** What the chart's aria-label says about its keys. */
export const CHART_KEYS_HELP = l10n.t('+ and - zoom in and out, the left and right arrow keys move along the steps, Home and End go to the start and the end, 0 or Escape shows the whole run');

/** Each key press halves or doubles the visible range. */
const ZOOM_FACTOR = 2;
/** An arrow key moves by this share of the visible range. */
const PAN_SHARE = 0.25;
/** Zooming in stops at this many steps across. */
export const MIN_SPAN = 4;

/**
 * The range a key leads to from `view`, within `whole` (the run's first to last step); `'reset'`
 * for the whole run; undefined for a key that is not the chart's.
 */
export function keyZoom(key: string, view: StepRange, whole: StepRange): StepRange | 'reset' | undefined {
  const span = view.max - view.min;
  const wholeSpan = whole.max - whole.min;
  switch (key) {
    case '+':
    case '=': // + without Shift on most layouts
      return around((view.min + view.max) / 2, Math.max(Math.min(MIN_SPAN, wholeSpan), span / ZOOM_FACTOR), whole);
    case '-':
    case '_': {
      const wider = span * ZOOM_FACTOR;
      return wider >= wholeSpan ? 'reset' : around((view.min + view.max) / 2, wider, whole);
    }
    case 'ArrowLeft':
      return shifted(view, -span * PAN_SHARE, whole);
    case 'ArrowRight':
      return shifted(view, span * PAN_SHARE, whole);
    case 'Home':
      return shifted(view, whole.min - view.min, whole);
    case 'End':
      return shifted(view, whole.max - view.max, whole);
    case '0':
    case 'Escape':
      return 'reset';
    default:
      return undefined;
  }
}

/** A range `span` wide centred on `middle`, moved inside `whole`. */
function around(middle: number, span: number, whole: StepRange): StepRange {
  return shifted({ min: middle - span / 2, max: middle + span / 2 }, 0, whole);
}

/** `view` moved by `by` steps, stopping at the ends of `whole`, its width kept. */
function shifted(view: StepRange, by: number, whole: StepRange): StepRange {
  const span = Math.min(view.max - view.min, whole.max - whole.min);
  const min = Math.min(Math.max(view.min + by, whole.min), whole.max - span);
  return { min, max: min + span };
}
