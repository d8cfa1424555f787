// The native backend as a new user gets it: train the DCGAN from the palette on wasm and note its
// speed; run "GenLab: Install Native Backend" (a cancellable progress notification, then a message
// saying what was installed); train the same DCGAN again, and the dashboard says tensorflow and
// shows more steps per second; then Remove Native Backend. The install goes into this
// code-server's own per-user data folder (XDG_DATA_HOME), by whichever route works here;
// GENLAB_CACHE_DIR, where set, lends it the wheel an earlier install downloaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { sleep, until } from './waiting.mjs';

export const settings = { 'genlab.backend': 'auto', 'genlab.evalEvery': 5000 };
export const timeout = 600_000;

export default async function nativeBackend({ page, screenshot, runCommand, findInWebviews, log }) {
  if (process.platform !== 'linux' || spawnSync('g++', ['--version']).status !== 0) {
    log('skipped: the offline route builds the addon, which needs Linux and g++');
    return;
  }
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row:visible');
  const pick = async (text) => {
    const row = rows.filter({ hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    return row;
  };

  /** Trains the DCGAN on MNIST from the palette for a while; returns the dashboard's backend and speed, then stops it and closes the dashboard. */
  async function trainDcgan(label) {
    await runCommand('GenLab: Train GAN');
    await (await pick('Dataset')).click();
    await (await pick('MNIST')).click();
    await (await pick('Start training')).click();
    const { frame } = await findInWebviews('#loss-chart', { timeout: 60_000 });
    const speedText = async () => ((await frame.locator('#meta-speed').textContent()) ?? '').trim();
    const backend = frame.locator('#meta-backend');
    await until('the dashboard names its backend', async () => /^(wasm|tensorflow)/.test(((await backend.textContent()) ?? '').trim()), 60_000);
    // The rate shown is a moving one: read it once the first steps (graph building, warm-up) are behind.
    await until('training is under way', async () => /steps\/s/.test(await speedText()), 60_000);
    await sleep(12_000);
    const result = { backend: ((await backend.textContent()) ?? '').trim(), tooltip: (await backend.getAttribute('title')) ?? '', speed: await speedText() };
    await screenshot(`dashboard-${label}`);
    await frame.locator('#stop-button').click();
    await until('the run stops', async () => /Stopped/.test(await frame.locator('.state-badge').innerText()), 60_000);
    await runCommand('View: Close All Editors');
    log(`${label}: ${result.backend}, ${result.speed}${result.tooltip ? ` (${result.tooltip})` : ''}`);
    return result;
  }

  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  const before = await trainDcgan('wasm');
  assert.match(before.backend, /^wasm/);
  assert.match(before.tooltip, /tfjs-node: not installed \(GenLab: Install Native Backend/, 'the dashboard says why not tensorflow');

  const started = Date.now();
  await runCommand('GenLab: Install Native Backend');
  const progress = page.locator('.notification-toast', { hasText: 'installing the native backend' }).first();
  await progress.waitFor({ state: 'visible', timeout: 30_000 });
  assert.ok(await progress.locator('.monaco-button', { hasText: 'Cancel' }).count(), 'the install can be cancelled');
  await screenshot('installing');
  const done = page.locator('.notification-toast', { hasText: 'Native backend installed' }).first();
  await done.waitFor({ state: 'visible', timeout: 480_000 });
  const message = (await done.locator('.notification-list-item-message').innerText()).trim();
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s: ${message}`);
  assert.match(message, /tfjs-node 4\.22\.0 with libtensorflow \d+\.\d+\.\d+, \d+ MB/);
  await screenshot('installed');

  const after = await trainDcgan('tensorflow');
  assert.match(after.backend, /^tensorflow \(tfjs-node 4\.22\.0, /, 'the dashboard says tensorflow');
  const rate = (text) => Number(/([\d.]+) steps\/s/.exec(text)?.[1] ?? NaN);
  assert.ok(rate(after.speed) > rate(before.speed), `more steps per second on tensorflow (${after.speed}) than on wasm (${before.speed})`);

  // Remove Native Backend asks first, then frees the space; the UI tests after this one train on wasm again.
  await runCommand('GenLab: Remove Native Backend');
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 10_000 });
  assert.match(await dialog.innerText(), /tfjs-node 4\.22\.0 with libtensorflow/, 'the dialog says what it removes');
  await screenshot('remove-dialog');
  await dialog.locator('.monaco-button', { hasText: 'Remove' }).click();
  const removed = page.locator('.notification-toast', { hasText: 'Native backend removed' }).first();
  await removed.waitFor({ state: 'visible', timeout: 30_000 });
  log((await removed.locator('.notification-list-item-message').innerText()).trim());
}
