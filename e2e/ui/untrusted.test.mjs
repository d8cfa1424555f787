// A workspace the person has not trusted (Restricted Mode): a model module in it never runs. The
// CodeLens above defineModel(...) says why and offers Manage Workspace Trust instead of Train;
// "GenLab: Train Model Module" from the palette is refused with the same offer, and no run folder
// is written.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** run.mjs opens this test's workspace with workspace trust on and not granted. */
export const trust = 'restricted';

export const timeout = 120_000;

export function prepare({ workspace, repoRoot }) {
  mkdirSync(join(workspace, 'models'), { recursive: true });
  copyFileSync(join(repoRoot, 'examples', 'models', 'mixture-2d.ts'), join(workspace, 'models', 'mixture-2d.ts'));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function untrusted({ page, workspace, screenshot, runCommand, focusWorkbench, log }) {
  await runCommand('GenLab: Refresh Runs'); // waits until the extension host answers commands
  await focusWorkbench();
  await page.keyboard.press('Control+P');
  await page.keyboard.type('mixture-2d.ts');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'mixture-2d.ts' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');

  const restrictedLens = page.locator('.monaco-editor .codelens-decoration a', { hasText: 'trusted workspace' }).first();
  await restrictedLens.waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('.monaco-editor .codelens-decoration a', { hasText: /^\s*Train\s*$/ }).count(), 0, 'no Train lens in Restricted Mode');
  await screenshot('restricted-lens');

  await runCommand('GenLab: Train Model Module');
  const refusal = page.locator('.notifications-toasts .notification-toast', { hasText: 'trusted workspace' }).first();
  await refusal.waitFor({ timeout: 15_000 });
  assert.ok(await refusal.locator('.monaco-button', { hasText: /Manage Workspace Trust/i }).count(), 'the refusal offers the fix');
  await screenshot('refused');
  await sleep(2000);
  assert.equal(existsSync(join(workspace, '.genlab', 'runs')), false, 'nothing was trained or written');
  log('restricted mode: lens and palette refuse; no run folder');
}
