/**
 * Sample gallery (a sidebar webview view, 250–350 px wide, browser, no Node). Posts `ready`; the
 * host sends `runs` (newest first) on load and whenever a run or its samples change. One card per
 * run: state, the prior-sample grid at a step chosen with a slider (the newest by default),
 * a click enlarges it, and "Open dashboard" posts `openRun`. A card's context menu (the manifest's
 * `webview/context` entries: open, compare, delete) gets its run id from `data-vscode-context`.
 *
 * Cards are kept by run id and updated in place, so a slider being dragged keeps its focus and
 * position while a run streams new grids; a slider left at the newest grid follows new ones.
 */
import '@vscode/codicons/dist/codicon.css';
import '../shared/base.css';
import './gallery.css';
import { decode } from '../../src/protocol/decode';
import { type FromGallery, type GalleryRun, toGallery } from '../../src/protocol/webview';
import { byId, h, icon, setText } from '../shared/dom';
import { formatAge, formatCount } from '../../src/protocol/format';
import { canStop, STATE_LOOK } from '../shared/runState';
import { vscodeApi } from '../shared/vscodeApi';
import { l10n } from '../shared/l10n';

interface SavedState {
  v: 1;
  runs: GalleryRun[];
  /** Grid index chosen per run, when not following the newest. */
  picked: Record<string, number>;
}

const api = vscodeApi<SavedState>();
const post = (message: FromGallery): void => api.postMessage(message);

interface Card {
  run: GalleryRun;
  el: HTMLElement;
  stateIcon: HTMLElement;
  title: HTMLElement;
  age: HTMLElement;
  thumbButton: HTMLButtonElement;
  img: HTMLImageElement;
  empty: HTMLElement;
  slider: HTMLInputElement;
  caption: HTMLElement;
  /** Index into run.grids, or undefined to follow the newest. */
  picked: number | undefined;
}

const root = byId('app');
const list = h('ul', { class: 'run-list', 'aria-label': l10n.t('Runs, newest first') });
const empty = h(
  'div',
  { class: 'gallery-empty' },
  icon('file-media'),
  h('p', {}, l10n.t('No runs yet.')),
  h('p', { class: 'empty-note' }, l10n.t('Train a model and its samples appear here, one card per run.')),
);
const cards = new Map<string, Card>();

// The enlarged view: a modal <dialog> closes on Escape natively; a click outside the image closes it too.
const lightboxImg = h('img', { class: 'lightbox-img', alt: '' });
const lightboxCaption = h('p', { class: 'lightbox-caption' });
const lightboxClose = h('button', { type: 'button', class: 'icon-button lightbox-close', 'aria-label': l10n.t('Close'), title: l10n.t('Close (Escape)') }, icon('close'));
const lightbox = h('dialog', { class: 'lightbox', 'aria-label': l10n.t('Enlarged sample grid') }, lightboxClose, lightboxImg, lightboxCaption);
lightboxClose.addEventListener('click', () => lightbox.close());
lightbox.addEventListener('click', (e) => {
  if (e.target === lightbox) lightbox.close();
});

root.replaceChildren(list, empty, lightbox);

const saved = api.getState();
const picked: Record<string, number> = saved?.v === 1 && saved.picked ? { ...saved.picked } : {};

function gridIndex(card: Card): number {
  const n = card.run.grids.length;
  return card.picked === undefined ? n - 1 : Math.min(card.picked, n - 1);
}

function createCard(run: GalleryRun): Card {
  const stateIcon = h('span', { class: 'state-icon' });
  const title = h('span', { class: 'run-title' });
  const age = h('span', { class: 'run-age' });
  const img = h('img', { class: 'thumb', alt: '' });
  const emptyThumb = h('span', { class: 'thumb-empty' }, l10n.t('No samples yet'));
  const thumbButton = h('button', { type: 'button', class: 'thumb-button', title: l10n.t('Enlarge') }, img, emptyThumb);
  const slider = h('input', { type: 'range', class: 'step-slider', min: 0, max: 0, step: 1, value: 0 });
  const caption = h('span', { class: 'step-caption', 'aria-hidden': 'true' });
  const open = h('button', { type: 'button', class: 'link-button open-run' }, icon('graph-line'), h('span', {}, l10n.t('Open dashboard')));
  const el = h(
    'li',
    { class: 'run-card', 'data-run-id': run.runId },
    h('div', { class: 'card-title' }, stateIcon, title, age),
    thumbButton,
    h('div', { class: 'step-row' }, slider, caption),
    open,
  );
  const card: Card = { run, el, stateIcon, title, age, thumbButton, img, empty: emptyThumb, slider, caption, picked: picked[run.runId] };
  slider.addEventListener('input', () => {
    const i = Number(slider.value);
    card.picked = i >= card.run.grids.length - 1 ? undefined : i;
    if (card.picked === undefined) delete picked[run.runId];
    else picked[run.runId] = i;
    showGrid(card);
    save();
  });
  thumbButton.addEventListener('click', () => openLightbox(card));
  open.addEventListener('click', () => post({ type: 'openRun', runId: card.run.runId }));
  return card;
}

function showGrid(card: Card): void {
  const grids = card.run.grids;
  const i = gridIndex(card);
  const grid = grids[i];
  card.img.hidden = !grid;
  card.empty.hidden = !!grid;
  card.thumbButton.disabled = !grid;
  card.slider.max = String(Math.max(0, grids.length - 1));
  card.slider.value = String(Math.max(0, i));
  // One grid or none: nothing to move through, the caption alone says which step.
  card.slider.hidden = grids.length < 2;
  card.el.querySelector('.step-row')?.toggleAttribute('hidden', grids.length === 0);
  card.thumbButton.toggleAttribute('data-empty', !grid);
  card.slider.style.setProperty('--fill', grids.length > 1 ? `${(i / (grids.length - 1)) * 100}%` : '100%');
  const label = grid ? (grid.caption ?? l10n.t('step {0}', formatCount(grid.step))) : '';
  setText(card.caption, label);
  card.slider.setAttribute('aria-valuetext', grid ? l10n.t('{0}, grid {1} of {2}', label, i + 1, grids.length) : l10n.t('no samples'));
  card.slider.setAttribute('aria-label', l10n.t('Sample step for {0}', card.run.title));
  if (grid) {
    if (card.img.getAttribute('src') !== grid.uri) card.img.src = grid.uri;
    card.img.alt = l10n.t('Samples from {0} at {1}', card.run.title, label);
    card.img.dataset.step = String(grid.step);
    card.thumbButton.setAttribute('aria-label', l10n.t('Enlarge samples from {0} at {1}', card.run.title, label));
  }
  if (lightbox.open && lightbox.dataset.runId === card.run.runId) fillLightbox(card);
}

function updateCard(card: Card, run: GalleryRun): void {
  card.run = run;
  const look = STATE_LOOK[run.state];
  card.el.dataset.state = run.state;
  // VS Code hands this object to the menu's commands; a live run is not offered for deletion.
  card.el.dataset.vscodeContext = JSON.stringify({ webviewSection: 'run', runId: run.runId, genlabRunLive: canStop(run.state) || run.state === 'stopping', preventDefaultContextMenuItems: true });
  card.stateIcon.dataset.tone = look.tone;
  card.stateIcon.title = look.label;
  if (card.stateIcon.dataset.icon !== look.icon + look.spin) {
    card.stateIcon.dataset.icon = look.icon + look.spin;
    card.stateIcon.replaceChildren(icon(look.icon, look.spin ? 'codicon-modifier-spin' : ''), h('span', { class: 'visually-hidden' }, look.label));
  }
  setText(card.title, run.title);
  setText(card.age, formatAge(run.createdAt));
  card.age.title = run.createdAt;
  showGrid(card);
}

function fillLightbox(card: Card): void {
  const grid = card.run.grids[gridIndex(card)];
  if (!grid) return;
  if (lightboxImg.getAttribute('src') !== grid.uri) lightboxImg.src = grid.uri;
  lightboxImg.alt = card.img.alt;
  setText(lightboxCaption, `${card.run.title} · ${grid.caption ?? l10n.t('step {0}', formatCount(grid.step))}`);
}

function openLightbox(card: Card): void {
  if (!card.run.grids.length) return;
  lightbox.dataset.runId = card.run.runId;
  fillLightbox(card);
  lightbox.showModal();
  lightboxClose.focus();
}

lightbox.addEventListener('close', () => {
  const card = cards.get(lightbox.dataset.runId ?? '');
  card?.thumbButton.focus();
});

function render(runs: GalleryRun[]): void {
  const seen = new Set<string>();
  const ordered: HTMLElement[] = [];
  for (const run of runs) {
    if (seen.has(run.runId)) continue;
    seen.add(run.runId);
    let card = cards.get(run.runId);
    if (!card) {
      card = createCard(run);
      cards.set(run.runId, card);
    }
    updateCard(card, run);
    ordered.push(card.el);
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.el.remove();
      cards.delete(id);
      delete picked[id];
    }
  }
  // Reorder only when the order changed, so focused elements are not moved needlessly.
  if (ordered.some((el, i) => list.children[i] !== el) || list.children.length !== ordered.length) list.replaceChildren(...ordered);
  empty.hidden = runs.length > 0;
  list.hidden = runs.length === 0;
}

let lastRuns: GalleryRun[] = [];
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function save(): void {
  if (saveTimer !== undefined) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    api.setState({ v: 1, runs: lastRuns, picked });
  }, 500);
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const r = decode(toGallery, event.data, 'message');
  if (!r.ok) {
    console.warn('GenLab gallery: ignored a message that does not fit the protocol:', r.error);
    return;
  }
  lastRuns = r.value.runs;
  render(lastRuns);
  save();
});

if (saved?.v === 1 && Array.isArray(saved.runs)) {
  const r = decode(toGallery, { type: 'runs', runs: saved.runs }, 'savedState');
  if (r.ok) {
    lastRuns = r.value.runs;
    render(lastRuns);
  }
} else {
  empty.hidden = true; // until the host answers: no flash of "No runs yet"
}
post({ type: 'ready' });
