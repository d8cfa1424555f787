// A person's own model, as the issue's new user tries it: in an empty folder, "GenLab: New Model
// from Family…" → VAE writes models/my-vae.ts and opens it; the hidden size is changed; the CodeLens above defineModel(...)
// says Train and Inspect; Inspect starts a run from the quick pick and opens its dashboard on the
// Model tab: the architecture with its parameter count, per-layer norms that follow the run, and
// activation histograms once it has evaluated. Then the Training tab shows the loss as usual.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, until } from './waiting.mjs';

export const settings = { 'genlab.backend': 'wasm' };

export const timeout = 300_000;

/** The 2-D example, there before the workbench loads (the Explorer may miss files created after). */
export function prepare({ workspace, repoRoot }) {
  mkdirSync(join(workspace, 'models'), { recursive: true });
  copyFileSync(join(repoRoot, 'examples', 'models', 'mixture-2d.ts'), join(workspace, 'models', 'mixture-2d.ts'));
}

export default async function modelModule({ page, workspace, screenshot, runCommand, findInWebviews, log }) {
  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  await runCommand('GenLab: New Model from Family…');
  const vae = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Variational autoencoder' });
  await vae.first().waitFor({ timeout: 15_000 });
  await screenshot('family-pick');
  await vae.first().click();
  // The file name, offered as my-vae.
  const input = page.locator('.quick-input-widget input');
  await until('the name box offers my-vae', async () => (await input.inputValue()) === 'my-vae', 15_000);
  await page.keyboard.press('Enter');

  const moduleFile = join(workspace, 'models', 'my-vae.ts');
  await until('models/my-vae.ts is written and opened', async () => existsSync(moduleFile) && (await page.locator('.tab', { hasText: 'my-vae.ts' }).count()) > 0, 20_000);
  assert.ok(existsSync(join(workspace, 'models', 'my-vae.genlab.json')), 'an experiment file beside it');

  // The person changes the hidden size (here on disk: the editor, unmodified, reloads it).
  const source = readFileSync(moduleFile, 'utf8');
  const changed = source.replace(/hiddenSize: \{ default: 256,/, 'hiddenSize: { default: 128,');
  assert.notEqual(changed, source, 'the template declares hiddenSize with default 256');
  writeFileSync(moduleFile, changed);
  await until('the editor shows the new hidden size', async () => (await page.locator('.editor-group-container .monaco-editor .view-lines').first().innerText()).replace(/\s+/g, ' ').includes('default: 128'), 30_000);

  // The CodeLens above defineModel(...): Train and Inspect.
  const lens = (title) => page.locator('.monaco-editor .codelens-decoration a', { hasText: title }).first();
  await lens('Inspect').waitFor({ timeout: 60_000 });
  assert.ok(await lens('Train').isVisible(), 'Train beside Inspect');
  await screenshot('codelens');
  await lens('Inspect').click();

  const start = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' });
  await start.first().waitFor({ timeout: 30_000 });
  const optionRows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
  assert.ok(optionRows.some((t) => /Hidden units/.test(t)), `the module's own options are offered: ${optionRows.join(' | ')}`);
  await page.keyboard.press('Enter');

  // The dashboard opens beside the code, on the Model tab.
  const { frame, locator: total } = await findInWebviews('#architecture-total', { timeout: 90_000 });
  assert.equal(await page.locator('.editor-group-container').count(), 2, 'the dashboard is beside the code');
  const parameters = await until('the architecture is shown', async () => {
    const text = (await total.textContent()) ?? '';
    return /[\d,]+ parameters/.test(text) && text;
  });
  log(`architecture: ${parameters}`);
  // 784·128 + 128 + 128·32 + 32 (encoder) and 16·128 + 128 + 128·784 + 784 (decoder): the new hidden size's count.
  const expected = 784 * 128 + 128 + 128 * 32 + 32 + (16 * 128 + 128 + 128 * 784 + 784);
  assert.equal(parameters.replace(/\D/g, ''), String(expected), `the total is the changed model's parameter count (${expected})`);
  assert.equal(await frame.locator('#dashboard-tabs').evaluate((tabs) => tabs.selectedIndex), 1, 'the Model tab is in front');
  assert.ok(await frame.locator('#architecture-card').isVisible());
  assert.deepEqual(await frame.locator('.architecture-table').evaluateAll((ts) => ts.map((t) => t.dataset.network)), ['encoder', 'decoder']);

  // Norms follow the run: one row per layer, their sparklines growing.
  const normsRows = frame.locator('.norms-table tbody tr');
  await until('norms for each layer', async () => (await normsRows.count()) === 4);
  const pathLength = async () => ((await frame.locator('.norms-table tbody tr path').first().getAttribute('d')) ?? '').split(/[ML]/).length;
  const before = await pathLength();
  await until('the norm charts grow as the run trains', async () => (await pathLength()) > before, 60_000);

  // Activations after the first evaluation (step 250).
  await until('activation histograms after the first evaluation', async () => (await frame.locator('.activations-table tbody tr').count()) === 4, 120_000);
  const bars = await frame.locator('.activations-table .histogram rect').count();
  assert.ok(bars > 4, `histograms have bars (${bars})`);
  await sleep(1000);
  await screenshot('model-tab');
  await frame.locator('#activations-card').scrollIntoViewIfNeeded();
  await screenshot('activations');

  // The Training tab holds the loss chart, as for any run.
  await frame.locator('vscode-tab-header[data-tab=training]').click();
  const chart = frame.locator('#loss-chart');
  await until('the loss chart shows points', async () => (await chart.isVisible()) && Number(await chart.getAttribute('data-points')) > 0, 15_000);
  // A bound on images: the ELBO's sample grids, no density heatmap.
  await until('a sample grid from the module\'s draw()', async () => frame.locator('img#sample-samples').evaluate((img) => img.complete && img.naturalWidth > 0), 30_000);
  assert.equal(await frame.locator('#density-view').isVisible(), false, 'no density view for an image model');
  await screenshot('training-tab');
  await frame.locator('#stop-button').click();
  await until('the run stops', async () => /Stopped|Finished/.test((await frame.locator('.state-badge').textContent()) ?? ''), 60_000);

  // The 2-D example: its exact logProb is drawn as the log-density heatmap, from its Train lens.
  // Into the code's editor group first: Go to File opens the file in the active group.
  const codeGroup = page.locator('.editor-group-container').first();
  await codeGroup.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+P');
  await page.keyboard.type('mixture-2d.ts');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'mixture-2d.ts' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await until('the mixture module is the code group\'s editor', async () => (await codeGroup.locator('.tab.active', { hasText: 'mixture-2d.ts' }).count()) > 0, 15_000);
  const trainLens = codeGroup.locator('.monaco-editor .codelens-decoration a', { hasText: 'Train' }).first();
  await trainLens.waitFor({ timeout: 60_000 });
  await trainLens.click();
  await start.first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  const heatmap = await findInWebviews('#density-view[data-field="log-density"]', { timeout: 90_000 });
  await until('the heatmap is drawn at an evaluation', async () => Number(await heatmap.locator.getAttribute('data-step')) > 0, 60_000);
  await screenshot('mixture-density');
  log('mixture-2d: log-density heatmap');
}
