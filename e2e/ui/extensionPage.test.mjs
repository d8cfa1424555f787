// GenLab's page in the Extensions view, as a user who installed the .vsix sees it: the README shows
// its screenshot. The page's webview allows only https: and data: images and has no base at the
// installed extension, so the .vsix's README carries its images as data: URIs
// (scripts/vsix-readme.mjs); this checks the image decoded, not only that an <img> is there.
// Only with --vsix: an extension under development shows the repository's README.md, whose
// relative image that page cannot load.
import assert from 'node:assert/strict';

const SCREENSHOT = 'img[alt^="The GenLab dashboard"]';

export default async function extensionPage({ page, vsix, runCommand, findInWebviews, screenshot, log }) {
  if (!vsix) {
    log('skipped: the extension page shows the packaged README only for an installed .vsix (run with --vsix)');
    return;
  }
  // The view opens with its search box focused.
  await runCommand('View: Show Extensions');
  await page.locator('.extensions-viewlet').waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.type('@installed GenLab');
  const row = page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'GenLab' }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();

  const { locator: image } = await findInWebviews(SCREENSHOT);
  await image.scrollIntoViewIfNeeded();
  const loaded = () => image.evaluate((img) => ({ complete: img.complete, width: img.naturalWidth, src: img.getAttribute('src') ?? '' }));
  let state = await loaded();
  for (const deadline = Date.now() + 15_000; !(state.complete && state.width > 0) && Date.now() < deadline; state = await loaded()) {
    await page.waitForTimeout(250);
  }
  await screenshot('readme');
  log(`README screenshot: complete=${state.complete}, naturalWidth=${state.width}, src=${state.src.slice(0, 30)}…`);
  assert.ok(state.complete && state.width > 0, 'the README screenshot did not load on the extension page');
  assert.match(state.src, /^data:image\/png;base64,/, 'the packaged README does not carry the screenshot as a data: URI');
}
