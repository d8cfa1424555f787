// Experiment files in the editor. A file whose family cannot model its data gets a GenLab
// diagnostic on the field to fix (one the JSON schema cannot catch: a flow on 1-D data). Then
// flow.genlab.json: hovering its family explains the kind of density; clicking the CodeLens
// "Train" starts a run with exactly the file's settings (the person's settings where it is
// silent), its dashboard opens, its run.json records the file, and the CodeLens offers the run.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace's settings, written before the workbench loads. */
export const settings = { 'genlab.backend': 'wasm' };

export const timeout = 180_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function experiment({ page, workspace, screenshot, focusWorkbench, findInWebviews, log }) {
  const write = (name, content) => writeFileSync(join(workspace, name), `${JSON.stringify(content, null, 2)}\n`);
  writeFileSync(join(workspace, 'heights.csv'), 'height_cm\n170\n182\n165\n');
  write('one-column.genlab.json', { family: 'realnvp', dataset: 'csv', data: { type: 'csv', path: 'heights.csv', columns: ['height_cm'] } });
  const file = join(workspace, 'flow.genlab.json');
  write('flow.genlab.json', { name: 'Short flow', family: 'realnvp', dataset: 'moons', steps: 300, evalEvery: 100, seed: 7 });

  const open = async (name) => {
    await focusWorkbench();
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
  };
  const hoverText = async (box) => {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator('.monaco-hover:visible').first();
    await hover.waitFor({ timeout: 15_000 });
    return (await hover.textContent()) ?? '';
  };

  await open('one-column.genlab.json');
  const squiggle = page.locator('.squiggly-error').first();
  await squiggle.waitFor({ state: 'attached', timeout: 60_000 });
  const problem = await hoverText(await squiggle.boundingBox());
  assert.match(problem, /data\.columns: realnvp cannot model 1-D data/);
  await screenshot('diagnostic');

  await open('flow.genlab.json');
  const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Train' }).first();
  await lens.waitFor({ state: 'visible', timeout: 60_000 });
  const family = page.locator('.view-line span', { hasText: '"realnvp"' }).last();
  assert.match(await hoverText(await family.boundingBox()), /Explicit, tractable density: an invertible map/);
  await screenshot('hover');
  await page.keyboard.press('Escape');
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
  assert.equal(record.config.backend, 'wasm', 'the file is silent on the backend: the setting applies');
  assert.deepEqual(record.config.model, { couplings: 8, hiddenSizes: [64, 64] }, 'unset options take the defaults');
  // The run folder appearing refreshes the CodeLens.
  await page.locator('.contentWidgets .codelens-decoration a', { hasText: 'Open last run' }).first().waitFor({ timeout: 30_000 });
  await screenshot('experiment-run');
  log(`experiment run ${record.id}: ${record.config.runName}`);
}
