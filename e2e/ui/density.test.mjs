// Each family shows what it can say about density, on the same 2-D data (8 Gaussians, the
// defaults): "GenLab: Train Gaussian Mixture" (explicit, tractable) draws the exact log-density
// heatmap; "GenLab: Train GAN" (implicit) has no density to draw and shows the discriminator's
// output instead, labelled as not a density, with the histogram divergence as its score.
import assert from 'node:assert/strict';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.evalEvery': 50, 'genlab.backend': 'wasm' };

export const timeout = 240_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function density({ page, screenshot, runCommand, findInWebviews, log }) {

  const train = async (command) => {
    await runCommand(command);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
  };

  await train('GenLab: Train Gaussian Mixture');
  const explicit = await findInWebviews('#density-view[data-field="log-density"]', { timeout: 90_000 });
  assert.equal(await explicit.locator.getAttribute('data-dim'), '2');
  const explicitKind = (await explicit.frame.locator('#density-kind').textContent()) ?? '';
  assert.match(explicitKind, /explicit, tractable/i);
  // Let EM finish its 100 iterations, then look at the final view.
  for (let i = 0; i < 60 && (await explicit.frame.locator('#run-header').getAttribute('data-state')) !== 'finished'; i++) await sleep(1000);
  await explicit.locator.scrollIntoViewIfNeeded();
  await sleep(500);
  await screenshot('mixture-density');

  await train('GenLab: Train GAN');
  const implicit = await findInWebviews('#density-view[data-field="discriminator"]', { timeout: 90_000 });
  const implicitKind = (await implicit.frame.locator('#density-kind').textContent()) ?? '';
  assert.match(implicitKind, /implicit/i, 'the GAN is labelled an implicit model');
  assert.doesNotMatch(implicitKind, /explicit/i);
  const viewText = (await implicit.locator.textContent()) ?? '';
  assert.match(viewText, /discriminator/i, 'the heatmap says it is the discriminator, not a density');
  // The histogram divergence is the GAN's score in the evaluation table.
  await implicit.frame.locator('text=/histogram JS/').first().waitFor({ timeout: 30_000 });
  await implicit.locator.scrollIntoViewIfNeeded();
  await sleep(500);
  await screenshot('gan-discriminator');
  await implicit.frame.locator('#stop-button').click();
  log(`density views: mixture "${explicitKind.trim()}"; GAN "${implicitKind.trim()}"`);
}
