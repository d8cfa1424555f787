// The taxonomy at a glance: a Gaussian mixture and a Gaussian fit on the same 2-D data, then
// "GenLab: Compare Runs" with both picked shows a card per run (each density view and its exact
// test NLL), the loss curves on one chart, and the settings table with the differences marked.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function compare({ page, workspace, screenshot, runCommand, findInWebviews, log }) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'genlab.backend': 'wasm' }));

  for (const command of ['GenLab: Train Gaussian Mixture', 'GenLab: Fit Gaussian (MLE)']) {
    await runCommand(command);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    const { frame } = await findInWebviews('#run-header[data-state="finished"]', { timeout: 90_000 });
    assert.ok(frame);
  }

  await runCommand('GenLab: Compare Runs');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: 15_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Gaussian (maximum likelihood)' }).first().waitFor({ timeout: 15_000 });
  // In a multi-select quick pick, clicking a row toggles its checkbox.
  for (const title of ['Gaussian mixture', 'Gaussian (maximum likelihood)']) await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().click();
  await page.keyboard.press('Enter');

  const { frame } = await findInWebviews('.compare-card', { timeout: 60_000 });
  const cards = frame.locator('.compare-card');
  await sleep(500);
  assert.equal(await cards.count(), 2, 'a card per run');
  const scores = await frame.locator('.compare-score .score').allTextContents();
  for (const s of scores) assert.match(s, /^test NLL \d+\.\d{3} nats$/, 'explicit, tractable: an exact NLL');
  assert.equal(await frame.locator('.compare-card [id^="density-view"][data-field="log-density"]').count(), 2, 'both density views drawn');
  assert.equal(await frame.locator('#compare-chart').getAttribute('data-series'), '2', 'both loss curves on one chart');
  const differing = await frame.locator('.compare-table tr.differs th').allTextContents();
  assert.ok(differing.includes('family'), `rows that differ: ${differing.join(', ')}`);
  assert.ok(!differing.includes('dataset'), 'same data, same row');
  await screenshot('compare');
  log(`compare: scores ${scores.join(' | ')}; differing ${differing.join(', ')}`);
}
