// A person's own training loop, in Python, logging through python/genlab: started outside VS
// Code (as in a terminal), it appears in the Runs view as soon as it writes run.json, marked as
// logged from Python; its dashboard follows it live (the chart grows, sample grids come in while
// the script writes); Stop asks, then sends the script an interrupt, and the run ends stopped;
// Compare puts it beside GenLab's own VAE, both scored as bounds.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, until } from './waiting.mjs';

export const settings = {};
export const timeout = 240_000;

const PYTHON = process.env.GENLAB_PYTHON ?? 'python3';

// A training loop as someone writes it: losses every step, an evaluation and a grid of 16 images
// every 40 steps, a little work between steps.
const SCRIPT = `import math, random, time
import genlab

random.seed(0)

def images(step):
    blur = math.exp(-step / 400)
    return [[[min(1.0, max(0.0, (1 - blur) * (math.sin((i + k) / 3) * math.cos(j / 4) > 0.2) + blur * random.random()))
              for j in range(28)] for i in range(28)] for k in range(16)]

with genlab.init(name="My PyTorch VAE", family="vae", dataset="mnist", config={"lr": 1e-3, "latent": 20}) as run:
    for step in range(1, 1_000_000):
        run.log(step, loss=90 + 100 * math.exp(-step / 300) + random.random())
        if step % 40 == 0:
            run.eval(step, test_nelbo=95 + 60 * math.exp(-step / 300), score="test_nelbo", score_kind="bound")
            run.samples(step, images(step))
        time.sleep(0.01)
`;

export default async function externalRun({ page, workspace, screenshot, runCommand, findInWebviews, repoRoot, log }) {
  if (spawnSync(PYTHON, ['--version']).status !== 0) {
    log(`skipped: no ${PYTHON} here, so no Python script can log`);
    return;
  }
  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  await runCommand('View: Show GenLab');
  const runsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) }).first();
  await runsView.waitFor({ state: 'visible', timeout: 15_000 });

  writeFileSync(join(workspace, 'train_loop.py'), SCRIPT);
  // Started as a terminal would start it; the logger finds the workspace's runs folder itself.
  const { GENLAB_RUNS_DIR: _ignored, ...env } = process.env;
  const script = spawn(PYTHON, ['train_loop.py'], { cwd: workspace, env: { ...env, PYTHONPATH: join(repoRoot, 'python') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  script.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => script.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    const root = join(workspace, '.genlab', 'runs');
    const runDir = await until('the script creates its run folder', () => existsSync(root) && readdirSync(root).map((id) => join(root, id)).find((d) => existsSync(join(d, 'run.json'))), 30_000, 20);
    const created = Date.now();
    const row = runsView.locator('.monaco-list-row', { hasText: 'My PyTorch VAE · MNIST' }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    log(`the run was listed ${Date.now() - created} ms after its run.json appeared`);
    assert.match(await row.innerText(), /Python/, 'marked as a run logged from Python');

    // The tree redraws as grids arrive; a click that lands mid-redraw is lost, as a person's would be: they click again.
    await row.click();
    const opened = await findInWebviews('#loss-chart', { timeout: 8_000 }).catch(async () => {
      log('the first click on the row was lost in a redraw; clicking again');
      await row.click();
      return findInWebviews('#loss-chart', { timeout: 30_000 });
    });
    const { frame, locator: chart } = opened;
    const points = async () => Number((await chart.getAttribute('data-points')) ?? 0);
    const first = await until('the chart has points', async () => (await points()) > 0 && points());
    await sleep(2000);
    const later = await points();
    log(`chart points while the script writes: ${first} → ${later}`);
    assert.ok(later > first, `the chart follows the script (${first} → ${later} points)`);
    const grid = frame.locator('img#sample-samples');
    const gridStep = async () => grid.evaluate((img) => (img.complete && img.naturalWidth > 0 ? Number(img.dataset.step) : 0)).catch(() => 0);
    const firstGrid = await until('a sample grid arrives', gridStep, 30_000);
    const laterGrid = await until('a newer sample grid replaces it', async () => (await gridStep()) > firstGrid && gridStep(), 30_000);
    log(`sample grids followed: step ${firstGrid} → ${laterGrid}`);
    assert.equal(await frame.locator('#sample-button').isHidden(), true, 'no Sample now: GenLab cannot draw from a script’s model');
    assert.equal(await frame.locator('.density-metric').innerText(), '(measured by test_nelbo: an upper bound on the NLL)', 'the score the script named, and what it is');
    await screenshot('live');

    // Stop: a modal asks first; "Send Interrupt" sends SIGINT, which the logger records as stopped.
    await frame.locator('#stop-button').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await dialog.innerText(), /process \d+/, 'the dialog names the process it will signal');
    await screenshot('stop-dialog');
    await dialog.locator('.monaco-button', { hasText: 'Send Interrupt' }).click();
    const end = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
    assert.ok(end, 'the script ended after the interrupt');
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    assert.equal(record.status, 'stopped', `run.json says stopped (script stderr: ${stderr.slice(-400)})`);
    await until('the dashboard says stopped', async () => /Stopped/.test(await frame.locator('.state-badge').innerText()), 10_000);
    await until('the Runs view says stopped', async () => /stopped/i.test(await row.innerText()), 10_000);
    await screenshot('stopped');

    // Beside GenLab's own VAE on the same data (a short one, from the CLI), scored in the same terms.
    const cli = spawnSync(process.execPath, [join(repoRoot, 'bin', 'genlab.js'), 'train', 'vae', '--steps', '40', '--eval-every', '40', '--backend', 'wasm', '--out', root], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    await runsView.locator('.monaco-list-row', { hasText: 'Variational autoencoder · MNIST' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await until('the Runs view says it finished', async () => /finished/.test(await runsView.locator('.monaco-list-row', { hasText: 'Variational autoencoder · MNIST' }).first().innerText()), 15_000);
    await runCommand('GenLab: Compare Runs');
    const picks = page.locator('.quick-input-list .monaco-list-row');
    // Runs selected in the tree come picked already (the script's is): only an unpicked one is
    // clicked. A click can land while the list redraws under a hover and be lost, as a person's
    // would be: they look at the count of picked runs and click again.
    const titles = ['My PyTorch VAE · MNIST', 'Variational autoencoder · MNIST'];
    for (const title of titles) await picks.filter({ hasText: title }).first().waitFor({ timeout: 15_000 });
    await until('both runs are picked', async () => {
      for (const title of titles) {
        const pick = picks.filter({ hasText: title }).first();
        if ((await pick.getAttribute('aria-checked')) !== 'true') await pick.locator('.monaco-checkbox').click();
      }
      await sleep(300);
      return /\b2\b/.test(await page.locator('.quick-input-widget .quick-input-count').innerText());
    }, 15_000, 500);
    await page.keyboard.press('Enter');
    const { frame: compare } = await findInWebviews('.compare-card', { timeout: 30_000 });
    const score = async (title) => (await compare.locator('.compare-card', { has: compare.locator('h2', { hasText: title }) }).locator('.compare-score').textContent())?.trim();
    await until('both cards are drawn', async () => (await compare.locator('.compare-card').count()) === 2, 15_000);
    const theirs = await score('My PyTorch VAE');
    const ours = await score('Variational autoencoder');
    log(`Compare: "${theirs}" beside "${ours}"`);
    assert.match(theirs, /^test_nelbo \d+\.\d \(an upper bound on the NLL\)$/, "the script's score, in the terms it declared");
    assert.match(ours, /^test -ELBO \d+\.\d nats \(an upper bound on the NLL; of binarised pixels\)$/, "GenLab's VAE: the same kind of figure");
    await screenshot('compare');
  } finally {
    script.kill('SIGKILL');
  }
}
