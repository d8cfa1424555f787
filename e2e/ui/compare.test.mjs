// The taxonomy at a glance: a Gaussian mixture (5 EM iterations) and a Gaussian fit (20 steps) on
// the same 2-D data, then "GenLab: Compare Runs" with both picked from the quick pick (grouped by
// dataset) shows a card per run (each density view and its exact test NLL), both loss curves on one
// chart, and the settings table with the differing cells marked. After a window reload the panel
// comes back with the same runs. A run still training, compared, is redrawn as it evaluates.
import assert from 'node:assert/strict';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.backend': 'wasm' };

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const RUNS = [
  { command: 'GenLab: Train Gaussian Mixture', budget: /^\s*EM iterations\s*$/, steps: 5, title: 'Gaussian mixture (EM)' },
  { command: 'GenLab: Fit Gaussian (MLE)', budget: /^\s*Steps\s*$/, steps: 20, title: 'Gaussian (maximum likelihood)' },
];

export default async function compare({ page, screenshot, runCommand, findInWebviews, log }) {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const row = (label) => rows.filter({ has: page.locator('.label-name', { hasText: label }) }).first();

  for (const run of RUNS) {
    await runCommand(run.command);
    // Shorten the run in the train quick pick: pick its budget, type the new one, back to the list.
    await row(run.budget).click({ timeout: 15_000 });
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(String(run.steps));
    await page.keyboard.press('Enter');
    await rows.filter({ hasText: `${run.steps} steps` }).first().waitFor({ timeout: 15_000 });
    await row('Start training').click();
    await findInWebviews(`#run-header[data-state="finished"]:has-text("${run.title}")`, { timeout: 90_000 });
  }

  await runCommand('GenLab: Compare Runs');
  // Runs on the same data are listed together, under the dataset's name.
  await page.locator('.quick-input-list .quick-input-list-separator', { hasText: '8 Gaussians' }).first().waitFor({ timeout: 15_000 });
  // In a multi-select quick pick, clicking a row toggles its checkbox.
  for (const run of RUNS) await row(run.title).click();
  await page.keyboard.press('Enter');

  const check = async (frame, when) => {
    const cards = frame.locator('.compare-card');
    await frame.locator('#compare-chart .uplot').waitFor({ timeout: 15_000 });
    assert.equal(await cards.count(), 2, `${when}: a card per run`);
    assert.equal(await frame.locator('#dataset-warning').count(), 0, `${when}: same data, no warning`);
    const scores = {};
    for (const run of RUNS) {
      const card = frame.locator('.compare-card', { has: frame.locator('h2', { hasText: run.title }) });
      scores[run.title] = (await card.locator('.compare-score').textContent())?.trim();
      assert.match(scores[run.title], /^test NLL \d+\.\d{3} nats \(exact\)$/, `${when}: ${run.title} is explicit and tractable: an exact NLL`);
      assert.equal(await card.locator('[id^="density-view"][data-field="log-density"]').getAttribute('data-step'), String(run.steps), `${when}: ${run.title}'s final density view`);
      assert.match((await card.locator('[id^="density-kind"]').textContent()) ?? '', /Explicit, tractable density/);
    }
    assert.notEqual(scores[RUNS[0].title], scores[RUNS[1].title], 'a mixture and a single Gaussian do not fit 8 Gaussians equally well');
    assert.equal(await frame.locator('#compare-chart').getAttribute('data-series'), '2', `${when}: both loss curves on one chart`);
    // uPlot's legend: the x series (step) and one per run.
    assert.equal(await frame.locator('#compare-chart .u-legend .u-series').count(), 3, `${when}: the chart draws a series per run`);
    const differing = await frame.locator('.compare-table tr.differs th').allTextContents();
    for (const key of ['family', 'steps']) assert.ok(differing.includes(key), `${when}: ${key} differs (rows that differ: ${differing.join(', ')})`);
    assert.ok(!differing.includes('dataset'), `${when}: same data, same row`);
    assert.equal(await frame.locator('.compare-table tr:has(th:text-is("family")) td.differs').count(), 2, `${when}: two runs, two families: both cells marked`);
    return scores;
  };

  const { frame } = await findInWebviews('.compare-card', { timeout: 60_000 });
  const scores = await check(frame, 'opened');
  // The panel alone in the window, wide enough for the cards side by side. Alone too because in
  // code-server webviews revived at the same moment (the reload below) race for the webview
  // service worker, and one may stay blank.
  await runCommand('View: Close Editors in Other Groups');
  await runCommand('View: Close Other Editors in Group');
  await sleep(800);
  await screenshot('compare');
  const table = frame.locator('.compare-table');
  await table.scrollIntoViewIfNeeded();
  await sleep(300);
  await screenshot('compare-table');

  // A window reload brings the panel back (its serializer) with the same runs. The command, not a
  // page reload: it lets the workbench save its editors before it goes.
  await runCommand('Developer: Reload Window');
  await page.waitForEvent('load', { timeout: 60_000 });
  await page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
  const restored = await findInWebviews('.compare-card', { timeout: 60_000 });
  assert.deepEqual(await check(restored.frame, 'after a reload'), scores, 'the restored panel compares the same runs');

  // A run still training is redrawn as it evaluates: a long Gaussian fit beside the mixture.
  await runCommand(RUNS[1].command);
  await row(RUNS[1].budget).click({ timeout: 15_000 });
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill('20000');
  await page.keyboard.press('Enter');
  await rows.filter({ hasText: '20000 steps' }).first().waitFor({ timeout: 15_000 });
  await row('Start training').click();
  await findInWebviews(`#run-header[data-state="training"]:has-text("${RUNS[1].title}")`, { timeout: 60_000 });
  await runCommand('GenLab: Compare Runs');
  await rows.filter({ hasText: 'training' }).first().click({ timeout: 15_000 });
  await row(RUNS[0].title).click();
  await page.keyboard.press('Enter');
  // The card of the run in training (its badge says so), not the finished one the panel showed before.
  const liveView = `.compare-card:has(.state-badge:has-text("Training")):has(h2:has-text("${RUNS[1].title}")) [id^="density-view"][data-step]`;
  const live = await findInWebviews(liveView, { timeout: 60_000 });
  const firstStep = Number(await live.locator.getAttribute('data-step'));
  let laterStep = firstStep;
  for (let i = 0; i < 60 && laterStep <= firstStep; i++) {
    await sleep(500);
    laterStep = Number((await live.frame.locator(liveView).getAttribute('data-step').catch(() => null)) ?? firstStep);
  }
  assert.ok(laterStep > firstStep, `the training run's card moved on from step ${firstStep} (now ${laterStep})`);
  await runCommand('GenLab: Stop Training');
  log(`compare: ${Object.entries(scores).map(([t, s]) => `${t}: ${s}`).join(' | ')}; the same after a window reload; a training run's card went from step ${firstStep} to ${laterStep}`);
}
