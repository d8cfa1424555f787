// A person's own folder of images: right-click it in the Explorer, "Train on Image Folder…", pick
// the VAE (only image families are offered), 16 × 16 and RGB. The run trains on the pictures that
// decode, says which file it skipped and that the batch was cut to the few images there are, and
// the dashboard shows colour sample grids of the chosen size. Then the same folder is chosen as the
// dataset in the "Train GAN" quick pick.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.backend': 'wasm' };

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The folder of images, written before the workbench loads. */
const photosOf = (workspace) => join(workspace, 'photos');
const fixtures = (repoRoot) => readdirSync(join(repoRoot, 'test', 'fixtures', 'images')).filter((f) => /\.(png|jpe?g)$/.test(f));

export function prepare({ workspace, repoRoot }) {
  // The image decoder's fixtures: PNG and JPEG files of every kind it reads, and one it cannot.
  const photos = photosOf(workspace);
  mkdirSync(photos);
  for (const f of fixtures(repoRoot)) copyFileSync(join(repoRoot, 'test', 'fixtures', 'images', f), join(photos, f));
  writeFileSync(join(photos, 'broken.png'), 'not a png');
}

export default async function images({ page, workspace, repoRoot, screenshot, runCommand, explorerContextMenu, findInWebviews, log }) {
  const photos = photosOf(workspace);
  const files = fixtures(repoRoot);
  await explorerContextMenu('photos', 'Train on Image Folder');

  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row:visible');
  const pick = async (text) => {
    const row = rows.filter({ hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    return row;
  };
  const vae = await pick('Variational autoencoder');
  const offered = (await rows.allTextContents()).join(' | ');
  for (const family of ['PixelCNN', 'Normalizing flow (RealNVP)', 'Generative adversarial network', 'Diffusion (DDPM)']) assert.ok(offered.includes(family), `${family} offered: ${offered}`);
  for (const family of ['Gaussian (maximum likelihood)', 'Gaussian mixture']) assert.ok(!offered.includes(family), `${family}, a family for points, is not offered`);
  await screenshot('family-pick');
  await vae.click();
  await (await pick('16 × 16')).click();
  await (await pick('RGB')).click();

  const { frame } = await findInWebviews('#run-header', { timeout: 90_000 });
  const grid = frame.locator('img#sample-samples');
  let size;
  for (let i = 0; i < 90 && !size; i++) {
    size = await grid.evaluate((img) => (img.complete && img.naturalWidth > 0 ? { width: img.naturalWidth, step: Number(img.dataset.step) } : undefined)).catch(() => undefined);
    if (!size) await sleep(1000);
  }
  assert.ok(size, 'a sample grid is shown');
  assert.equal(size.width, 8 * (16 + 2) + 2, 'an 8 × 8 grid of 16-pixel images with 2-pixel gaps');
  const toasts = page.locator('.notification-toast');
  await toasts.filter({ hasText: 'Skipped 1 file: broken.png' }).first().waitFor({ timeout: 30_000 });
  await toasts.filter({ hasText: `larger than the ${files.length - 2} training examples` }).first().waitFor({ timeout: 30_000 });
  const notes = (await frame.locator('#notes-banner').textContent()) ?? '';
  assert.match(notes, /Skipped 1 file: broken\.png/);
  assert.match(notes, /each step uses all/);
  await grid.scrollIntoViewIfNeeded();
  await sleep(500);
  await screenshot('samples');
  // The run goes on as long as the VAE's defaults on MNIST: stop it, as a person would.
  await frame.locator('#stop-button').click();

  // The same folder from the Train quick pick: Dataset → Your images… → the folder → size and colour,
  // then back at the settings, which now name the folder and run as long as on MNIST.
  await runCommand('GenLab: Train GAN');
  await (await pick('Dataset')).click();
  await (await pick('Your images')).click();
  // code-server's own file dialog: a path in the quick input.
  const input = page.locator('.quick-input-widget input');
  // The dialog fills in its starting folder first; a path typed before that is overwritten.
  for (let i = 0; i < 50 && !(await input.inputValue().catch(() => '')); i++) await sleep(200);
  await input.fill(photos);
  await sleep(500);
  const sizePick = rows.filter({ hasText: '28 × 28' }).first();
  // Enter accepts the folder typed (or first steps into it, then accepts it).
  for (let i = 0; i < 3 && !(await sizePick.isVisible()); i++) {
    await page.keyboard.press('Enter');
    await sizePick.waitFor({ state: 'visible', timeout: 3000 }).catch(() => {});
  }
  await (await pick('28 × 28')).click();
  await (await pick('Grayscale')).click();
  const start = await pick('Start training');
  const summary = ((await start.textContent()) ?? '').trim();
  assert.match(summary, /photos · 1876 steps/, `the settings: ${summary}`);
  assert.match(((await (await pick('Dataset')).textContent()) ?? '').trim(), /Image folder: photos/);
  await screenshot('quick-pick');
  await page.keyboard.press('Escape');
  log(`image folder: ${files.length} images (+1 unreadable), grid ${size.width} px wide at step ${size.step}`);
}
