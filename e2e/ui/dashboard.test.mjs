// The main flow as a person does it: "GenLab: Train VAE" from the palette, Enter on the defaults;
// the dashboard opens beside the editor with focus left in the editor; the chart fills, a sample
// grid appears; hiding and re-showing the dashboard keeps the whole chart; Stop works from the
// dashboard; the gallery shows the run. Also measures metrics latency (trainer → drawn).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, until } from './waiting.mjs';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.evalEvery': 25, 'genlab.backend': 'wasm' };

export const timeout = 240_000;

export default async function dashboard({ page, workspace, screenshot, runCommand, findInWebviews, focusWorkbench, repoRoot, outputDir, log }) {
  // Frequent evaluations so that sample grids appear within seconds.
  writeFileSync(join(workspace, 'model.py'), '# my model code\nimport torch\n');

  // A file open in the editor, as when someone is writing ML code.
  await focusWorkbench();
  await page.keyboard.press('Control+P');
  await page.keyboard.type('model.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'model.py' }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.locator('.editor-group-container .monaco-editor').first().waitFor({ timeout: 10_000 });

  // Typing in the editor, then palette → "GenLab: Train VAE" → Enter on "Start training".
  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  await page.locator('.editor-group-container').first().locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('End');
  await page.keyboard.press('F1');
  await page.keyboard.type('GenLab: Train VAE');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'GenLab: Train VAE' }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  const start = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' });
  await start.first().waitFor({ timeout: 15_000 });
  await screenshot('train-quick-pick');
  await page.keyboard.press('Enter');

  const { frame, locator: chart } = await findInWebviews('#loss-chart', { timeout: 60_000 });
  const groups = await page.locator('.editor-group-container').count();
  assert.equal(groups, 2, 'the dashboard opened in a second editor group, beside the code');
  const focusInEditor = await page.evaluate(() => Boolean(document.activeElement?.closest('.monaco-editor')));
  assert.ok(focusInEditor, 'focus stayed in the code editor');

  const points = async () => Number((await chart.getAttribute('data-points')) ?? 0);
  const first = await until('the chart has points', async () => (await points()) > 0 && points());
  await sleep(3000);
  const later = await points();
  log(`chart points: ${first} → ${later}`);
  assert.ok(later > first, `the chart's point count grows (${first} → ${later})`);

  const prior = frame.locator('img#sample-samples');
  await until('a sample grid is shown', async () => prior.evaluate((img) => img.complete && img.naturalWidth > 0 && Number(img.dataset.step) > 0).catch(() => false));
  await sleep(2500);
  await screenshot('dashboard');

  // The chart zooms from the keyboard once focused: + narrows it (Reset zoom comes on), 0 shows the whole run.
  const resetZoom = frame.locator('#reset-zoom');
  await chart.focus();
  await page.keyboard.type('+');
  await until('+ zooms the chart in', async () => !(await resetZoom.evaluate((b) => b.disabled)));
  await page.keyboard.type('0');
  await until('0 shows the whole run', async () => resetZoom.evaluate((b) => b.disabled));

  // Hide the dashboard (another editor takes its group), then show it again: the page reloads
  // and the host replays the whole history.
  const beforeHide = await points();
  await page.locator('.editor-group-container').first().locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('Control+P');
  await page.keyboard.type('model.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'model.py' }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Control+Enter'); // open to the side: into the dashboard's group
  await until('the dashboard is hidden', async () => (await page.locator('.editor-group-container').nth(1).locator('.tab.active', { hasText: 'model.py' }).count()) > 0);
  await sleep(1000);
  await page.locator('.editor-group-container').nth(1).locator('.tab', { hasText: 'GenLab' }).first().click();
  const { frame: shown, locator: chartAgain } = await findInWebviews('#loss-chart', { timeout: 30_000 });
  const afterShow = await until('the re-shown chart has its history', async () => {
    const n = Number((await chartAgain.getAttribute('data-points')) ?? 0);
    return n >= beforeHide && n;
  });
  log(`points before hiding ${beforeHide}, after re-showing ${afterShow}`);
  await screenshot('dashboard-reshown');

  // Latency of streamed metrics, trainer → drawn, measured by the page itself.
  await sleep(3000);
  const latency = await chartAgain.evaluate((el) => ({ p50: Number(el.dataset.latencyP50), p95: Number(el.dataset.latencyP95), count: Number(el.dataset.latencyCount) }));
  log(`metrics latency: p50 ${latency.p50} ms, p95 ${latency.p95} ms over ${latency.count} draws`);
  assert.ok(latency.count > 5, 'latencies were measured');
  recordPerf(repoRoot, { metricsLatencyMs: { ...latency, measuredAt: new Date().toISOString(), how: 'UI test: trainer sentAt → dashboard draw, code-server + Chromium' } });

  // Stop from the dashboard.
  await shown.locator('#stop-button').click();
  await until('the run is stopped', async () => (await shown.locator('#run-header').getAttribute('data-state')) === 'stopped', 30_000);
  await screenshot('dashboard-stopped');

  // The gallery lists the run with its grids.
  await runCommand('GenLab: Show Sample Gallery');
  const { locator: card } = await findInWebviews('.run-card', { timeout: 30_000 });
  const thumb = card.locator('img.thumb');
  await until('the gallery thumbnail loads', async () => thumb.evaluate((img) => img.complete && img.naturalWidth > 0).catch(() => false));
  await screenshot('gallery');
  // The step slider moves through the run's grids: Home shows the first one, an earlier step.
  const newest = Number(await thumb.getAttribute('data-step'));
  const slider = card.locator('.step-slider');
  await slider.focus();
  await page.keyboard.press('Home');
  await until('the slider shows the first grid', async () => Number(await thumb.getAttribute('data-step')) < newest);
  assert.match((await card.locator('.step-caption').textContent()) ?? '', /^step \d+/);

  // Reload the window: the dashboard comes back (panel serializer) with the whole history.
  const stoppedPoints = Number((await chartAgain.getAttribute('data-points')) ?? 0);
  await page.reload();
  await page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
  const { locator: restored } = await findInWebviews('#loss-chart', { timeout: 60_000 });
  const restoredPoints = await until('the restored chart has the whole run', async () => {
    const n = Number((await restored.getAttribute('data-points')) ?? 0);
    return n >= stoppedPoints && n;
  });
  log(`after a window reload the dashboard shows ${restoredPoints} points (had ${stoppedPoints})`);
  await screenshot('after-reload');
  log(`screenshots in ${outputDir}`);
}

/** Merges figures into test-output/e2e/perf.json, which `npm run bench` copies into its report. */
function recordPerf(repoRoot, figures) {
  const file = join(repoRoot, 'test-output', 'e2e', 'perf.json');
  const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...current, ...figures }, null, 2));
}
