// A model on 2-D data shows its density view: "GenLab: Train Gaussian Mixture" on 8 Gaussians
// (the defaults), and the dashboard draws the exact log-density heatmap, labelled as exact.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function density({ page, workspace, screenshot, runCommand, findInWebviews, log }) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'genlab.evalEvery': 10, 'genlab.backend': 'wasm' }));

  await runCommand('GenLab: Train Gaussian Mixture');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');

  const { frame, locator: view } = await findInWebviews('#density-view[data-field]', { timeout: 90_000 });
  const field = await view.getAttribute('data-field');
  assert.equal(field, 'log-density', 'an explicit, tractable model shows log p(x)');
  assert.equal(await view.getAttribute('data-dim'), '2');
  const kind = (await frame.locator('#density-kind').textContent()) ?? '';
  assert.match(kind, /explicit, tractable/i);
  // Let EM finish its 100 iterations, then look at the final view.
  for (let i = 0; i < 60 && (await frame.locator('#run-header').getAttribute('data-state')) !== 'finished'; i++) await sleep(1000);
  await view.scrollIntoViewIfNeeded();
  await sleep(500);
  await screenshot('mixture-density');
  log(`density view: field ${field}, kind line "${kind.trim()}"`);
}
