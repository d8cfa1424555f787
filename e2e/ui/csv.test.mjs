// A person's own CSV file, as they would use it: right-click heights.csv in the Explorer, "Fit
// Density to CSV…", keep the numeric column offered (the text column is not), pick the Gaussian
// (maximum likelihood). The dashboard opens with the 1-D density view: the held-out heights as a histogram with
// the fitted pdf over it, labelled explicit and tractable, with the exact test NLL; the row of
// text in the file is reported in a notification, not fatal.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.backend': 'wasm' };

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** heights.csv, written before the workbench loads. */
export function prepare({ workspace }) {
  // Heights around 170 cm with a spread of about 7: the fit must find them far from the origin.
  const rows = Array.from({ length: 600 }, (_, i) => `${(170 + 7 * Math.sin(i * 12.9898) * Math.cos(i * 4.1414) * 1.7).toFixed(1)},${i % 2 ? 'f' : 'm'}`);
  rows.splice(41, 0, 'unknown,f');
  writeFileSync(join(workspace, 'heights.csv'), `height,sex\n${rows.join('\n')}\n`);
}

export default async function csv({ page, screenshot, explorerContextMenu, findInWebviews, log }) {
  await explorerContextMenu('heights.csv', 'Fit Density to CSV');

  // Columns: only the numeric one is offered, already picked.
  const columns = page.locator('.quick-input-widget .quick-input-list .monaco-list-row:visible');
  await columns.first().waitFor({ state: 'visible', timeout: 30_000 });
  const offered = (await columns.allTextContents()).map((t) => t.trim());
  assert.equal(offered.length, 1, `columns offered: ${offered.join(' | ')}`);
  // The row of text shows in the share of numbers, rounded down: never "100%" with a bad row.
  assert.match(offered[0], /^height\s*numbers in 99% of the first rows/);
  await page.keyboard.press('Enter');

  // Families for 1-D data, grouped by kind of density.
  const gaussian = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Gaussian (maximum likelihood)' }).first();
  await gaussian.waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot('family-pick');
  await gaussian.click();

  const view = await findInWebviews('#density-view[data-field="log-density"][data-dim="1"]', { timeout: 90_000 });
  const kind = (await view.frame.locator('#density-kind').textContent()) ?? '';
  assert.match(kind, /explicit, tractable/i);
  const score = view.locator.locator('.density-score');
  let text = '';
  for (let i = 0; i < 60 && !/test NLL [\d.]+ nats/.test(text); i++) {
    text = (await score.textContent()) ?? '';
    if (!/test NLL/.test(text)) await sleep(1000);
  }
  assert.match(text, /test NLL [\d.]+ nats/);
  const nll = Number(/test NLL ([\d.]+)/.exec(text)[1]);
  // A Gaussian of std ≈ 7 has entropy ½ ln(2πe·49) ≈ 3.4 nats; a fit stuck near the origin scores far worse.
  assert.ok(nll > 2.5 && nll < 4.5, `test NLL ${nll}`);
  const legend = (await view.locator.locator('.density-key').allTextContents()).join(' | ');
  assert.match(legend, /held-out data \(histogram\)/);
  // The row of text is reported, and training went on.
  await page.locator('.notification-toast', { hasText: 'Skipped 1 row: line 43' }).first().waitFor({ timeout: 30_000 });
  assert.match((await view.frame.locator('#notes-banner').textContent()) ?? '', /Skipped 1 row: line 43/, 'the dashboard keeps the note');
  await view.locator.scrollIntoViewIfNeeded();
  await sleep(500);
  await screenshot('gaussian-fit');
  log(`CSV flow: ${kind.trim()}; ${text.trim()}; legend ${legend}`);
}
