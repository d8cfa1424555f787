// An experiment file trains from its CodeLens: open flow.genlab.json, click "Train" above it, and a
// run with exactly the file's settings starts, its dashboard opens, and its run.json records the file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function experiment({ page, workspace, screenshot, focusWorkbench, findInWebviews, log }) {
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'genlab.backend': 'wasm' }));
  const file = join(workspace, 'flow.genlab.json');
  writeFileSync(file, `${JSON.stringify({ name: 'Short flow', family: 'realnvp', dataset: 'moons', steps: 300, evalEvery: 100, seed: 7 }, null, 2)}\n`);

  await focusWorkbench();
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type('flow.genlab.json');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'flow.genlab.json' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');

  const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Train' }).first();
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  await screenshot('codelens');
  await lens.click();

  const { frame } = await findInWebviews('#run-header', { timeout: 90_000 });
  // The dashboard shows the run named in the file once its history arrives.
  await frame.locator('#run-header', { hasText: 'Short flow' }).waitFor({ timeout: 30_000 });

  const runs = join(workspace, '.genlab', 'runs');
  let record;
  for (let i = 0; i < 60 && !record; i++) {
    const dir = existsSync(runs) ? readdirSync(runs).find((d) => d.startsWith('realnvp-moons-')) : undefined;
    if (dir && existsSync(join(runs, dir, 'run.json'))) record = JSON.parse(readFileSync(join(runs, dir, 'run.json'), 'utf8'));
    else await sleep(500);
  }
  assert.ok(record, 'a run folder for realnvp on moons');
  assert.equal(record.config.experiment, file);
  assert.equal(record.config.steps, 300);
  assert.equal(record.config.seed, 7);
  assert.deepEqual(record.config.model, { couplings: 8, hiddenSizes: [64, 64] }, 'unset options take the defaults');
  await screenshot('experiment-run');
  log(`experiment run ${record.id}: ${record.config.runName}`);
}
