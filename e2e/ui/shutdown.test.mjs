// Closing the window mid-run, for real: "Developer: Reload Window" ends the extension host the way
// VS Code does (deactivate(), the subscriptions disposed at once, the host gone within 5 s). The
// trainer must stop after its step, write its final checkpoint and exit by itself; run.json says
// stopped. In the reopened window the Runs tree says so, and Resume Run continues from that
// checkpoint.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './waiting.mjs';

export const settings = { 'genlab.evalEvery': 25, 'genlab.backend': 'wasm' };

export const timeout = 180_000;

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export default async function shutdown({ page, workspace, screenshot, runCommand, findInWebviews, log }) {
  const runs = join(workspace, '.genlab', 'runs');
  const record = (dir) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  const trainSteps = (dir) => {
    const file = join(dir, 'metrics.jsonl');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"train"')).map((l) => JSON.parse(l).step) : [];
  };
  const checkpoints = (dir) => (existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')).filter((n) => /^step-\d{6}$/.test(n)) : []);

  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  await runCommand('GenLab: Train VAE');
  const start = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start training' });
  await start.first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');

  const dir = await until('a run folder exists', () => existsSync(runs) && readdirSync(runs).map((n) => join(runs, n)).find((d) => existsSync(join(d, 'run.json'))));
  // Past the first periodic checkpoint (step 25), so that the final one is a later step.
  await until('30 steps are on disk', () => trainSteps(dir).length >= 30);
  const { pid } = record(dir);
  assert.ok(alive(pid), 'the trainer runs');

  const closedAt = Date.now();
  await runCommand('Developer: Reload Window');
  await until('the trainer exits', () => !alive(pid), 15_000);
  const exitMs = Date.now() - closedAt;
  const ended = record(dir);
  assert.equal(ended.status, 'stopped', `the trainer stopped, not cut off (run.json: ${JSON.stringify({ status: ended.status, error: ended.error })})`);
  const step = ended.progress.step;
  assert.ok(step >= 30, `stopped at step ${step}`);
  assert.equal(trainSteps(dir).at(-1), step, 'metrics.jsonl ends at the step the run stopped at');
  assert.equal(checkpoints(dir).sort().at(-1), `step-${String(step).padStart(6, '0')}`, 'the final checkpoint is at that step');

  // The reopened window: its dashboard and the Runs tree say stopped, and Resume continues from the checkpoint.
  await page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
  const { locator: header } = await findInWebviews('#run-header[data-state="stopped"]', { timeout: 60_000 });
  assert.match((await header.textContent()) ?? '', /stopped/i, 'the restored dashboard says stopped');
  await runCommand('View: Show GenLab');
  await page.locator('.monaco-list-row', { hasText: 'stopped' }).first().waitFor({ timeout: 30_000 });
  await screenshot('after-reopen');
  await runCommand('GenLab: Resume Run');
  const pick = page.locator('.quick-input-list .monaco-list-row').first();
  await pick.waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  const input = page.locator('.quick-input-widget input');
  await until('the step input asks where to continue from', async () => /from step (\d+)/.exec((await page.locator('.quick-input-widget').textContent()) ?? '')?.[1] === String(step), 15_000);
  await input.fill(String(step + 20));
  await page.keyboard.press('Enter');
  await until('the resumed run trains past its checkpoint', () => trainSteps(dir).at(-1) > step, 60_000);
  const resumed = trainSteps(dir);
  assert.equal(resumed[resumed.indexOf(step) + 1], step + 1, 'training went on at the next step');
  await until('the resumed run finishes', () => record(dir).status === 'finished', 60_000);
  assert.equal(record(dir).progress.step, step + 20);
  log(`window reloaded at step ${step}: the trainer checkpointed and exited in ${exitMs} ms, run.json stopped; resumed from step ${step} to ${step + 20}`);
}
