// The workbench loads with GenLab under development, and the command palette lists GenLab's
// commands (their titles come from package.json `contributes.commands`, category "GenLab").
import assert from 'node:assert/strict';

export default async function workbench({ page, screenshot, focusWorkbench, log }) {
  // A real workbench: activity bar, editor area, status bar, and the scratch folder in Explorer.
  for (const sel of ['.part.activitybar', '.part.editor', '.part.statusbar']) {
    await page.locator(sel).first().waitFor({ state: 'visible', timeout: 30_000 });
  }
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' })
    .first()
    .waitFor({ state: 'visible', timeout: 30_000 })
    .catch(() => log('Explorer did not show README.md (sidebar closed?)'));

  // The palette lists contributed commands as soon as the extension is scanned; the extension
  // host may still be starting, so retry a few times.
  let labels = [];
  for (let attempt = 1; attempt <= 5 && labels.length === 0; attempt++) {
    await focusWorkbench();
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.type('GenLab');
    const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: 'GenLab:' });
    await rows.first().waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {});
    labels = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? el.textContent ?? ''));
    if (labels.length === 0) {
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000 * attempt);
    }
  }
  await screenshot('palette');
  log(`palette rows for "GenLab": ${labels.length ? labels.join(' | ') : '(none)'}`);
  assert.ok(labels.length > 0, 'the command palette lists no "GenLab:" command');
  await page.keyboard.press('Escape');
}
