#!/usr/bin/env node
// End-to-end tests of GenLab in a real VS Code: code-server 4.100.3 (VS Code 1.100.3 with a Node
// extension host) driven by playwright-core in Debian's chromium. See
// shared/guides/e2e-code-server.md for why it is done this way, offline.
//
//   node e2e/run.mjs [--host-only | --ui-only] [--grep <re>] [--host-grep <re>] [--keep] [--verbose]
//
// Needs `npm run build` (dist/extension.js, dist/test/e2e-host/index.js) and `bash e2e/install.sh`.
// Phase 1 loads the extension with extensionTestsPath: the Mocha suites of test/e2e-host run in
// the extension host and report their exit code through window.codeAutomationExit.
// Phase 2 runs each e2e/ui/*.test.mjs against a fresh workbench page with the extension loaded.
// The last line printed is `N passed, N failed` (the host phase counts as one); the exit code is
// non-zero on any failure. code-server runs in its own process group, killed on every exit path.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';

const e2eDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(e2eDir, '..');
const outputDir = join(repoRoot, 'test-output', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HOST_TIMEOUT_MS = 10 * 60_000;
const UI_TEST_TIMEOUT_MS = 5 * 60_000;

// --- options ---------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opts = { hostOnly: false, uiOnly: false, grep: undefined, hostGrep: undefined, keep: false, verbose: false, vsix: undefined };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--host-only') opts.hostOnly = true;
  else if (a === '--ui-only') opts.uiOnly = true;
  else if (a === '--grep') opts.grep = argv[++i];
  else if (a.startsWith('--grep=')) opts.grep = a.slice('--grep='.length);
  else if (a === '--host-grep') opts.hostGrep = argv[++i];
  else if (a.startsWith('--host-grep=')) opts.hostGrep = a.slice('--host-grep='.length);
  else if (a === '--keep') opts.keep = true;
  else if (a === '--verbose') opts.verbose = true;
  else if (a === '--vsix') opts.vsix = resolve(argv[++i]);
  else if (a === '--help' || a === '-h') {
    console.log('usage: node e2e/run.mjs [--host-only | --ui-only] [--grep <re>] [--host-grep <re>] [--vsix <file>] [--keep] [--verbose]\n' +
      '  --host-only  only the extension-host Mocha suites (test/e2e-host)\n' +
      '  --ui-only    only the Playwright UI tests (e2e/ui/*.test.mjs)\n' +
      '  --grep       only the UI test files whose name matches (case-insensitive)\n' +
      '  --host-grep  only the host tests whose full Mocha title matches\n' +
      '  --vsix       install this packaged .vsix and run the UI tests against it, as a user would (implies --ui-only)\n' +
      '  --keep       keep the scratch folder (e2e/.work/run-PID) with code-server\'s data and logs\n' +
      '  --verbose    print the workbench console as it comes');
    process.exit(0);
  } else {
    console.error(`unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
if (opts.hostOnly && opts.uiOnly) {
  console.error('--host-only and --ui-only exclude each other');
  process.exit(2);
}
if (opts.vsix) opts.uiOnly = true;
const grepRe = opts.grep ? new RegExp(opts.grep, 'i') : undefined;

const log = (...args) => console.log('[e2e]', ...args);

// --- preconditions -------------------------------------------------------------------------------
const codeServerEntry = join(e2eDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const hostTestsEntry = join(repoRoot, 'dist', 'test', 'e2e-host', 'index.js');
for (const [file, fix] of [
  [codeServerEntry, 'bash e2e/install.sh'],
  [join(e2eDir, 'node_modules', 'playwright-core', 'package.json'), 'bash e2e/install.sh'],
  [CHROMIUM, 'bash e2e/install.sh'],
  [join(repoRoot, 'dist', 'extension.js'), 'npm run build'],
  [hostTestsEntry, 'npm run build'],
]) {
  if (!existsSync(file)) {
    console.error(`[e2e] missing ${file}: run \`${fix}\` first`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const { chromium } = await import(pathToFileURL(join(e2eDir, 'node_modules', 'playwright-core', 'index.mjs')).href);

// --- scratch folder --------------------------------------------------------------------------------
const workRoot = join(e2eDir, '.work');
mkdirSync(workRoot, { recursive: true });
// Scratch folders of earlier runs whose process is gone (killed hard) are removed.
for (const name of readdirSync(workRoot)) {
  const m = /^run-(\d+)$/.exec(name);
  if (m && !isAlive(Number(m[1]))) rmSync(join(workRoot, name), { recursive: true, force: true });
}
const scratch = join(workRoot, `run-${process.pid}`);
rmSync(scratch, { recursive: true, force: true });
const dirs = {
  userData: join(scratch, 'user-data'),
  extensions: join(scratch, 'extensions'),
  config: join(scratch, 'xdg-config'),
  data: join(scratch, 'xdg-data'),
  cache: join(scratch, 'xdg-cache'),
  tmp: join(scratch, 'tmp'),
  workspaces: join(scratch, 'workspaces'),
};
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
mkdirSync(outputDir, { recursive: true });

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// --- cleanup on every exit path --------------------------------------------------------------------
let server; // ChildProcess of code-server, leader of its own process group
let browser;
let cleanedUp = false;

/** Kills code-server's whole process group (synchronous: also usable from process.on('exit')). */
function killServerGroup(signal) {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  try {
    process.kill(-server.pid, signal);
  } catch {
    // already gone
  }
}

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    killServerGroup('SIGTERM');
    if ((await Promise.race([exited.then(() => 'exited'), sleep(5000)])) !== 'exited') killServerGroup('SIGKILL');
  }
  // Children of code-server that outlived it in the group (extension host, pty host...).
  if (server) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // group empty: good
    }
  }
  const serverLog = join(scratch, 'code-server.log');
  if (existsSync(serverLog)) copyFileSync(serverLog, join(outputDir, 'code-server.log'));
  if (!opts.keep) rmSync(scratch, { recursive: true, force: true });
  else log(`kept scratch folder ${scratch}`);
}

process.on('exit', () => killServerGroup('SIGKILL'));
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(sig, () => {
    console.error(`\n[e2e] ${sig}: stopping code-server and the browser`);
    cleanup().finally(() => process.exit(code));
  });
}
for (const ev of ['uncaughtException', 'unhandledRejection']) {
  process.on(ev, (err) => {
    console.error(`[e2e] ${ev}:`, err);
    cleanup().finally(() => {
      console.log('0 passed, 1 failed');
      process.exit(1);
    });
  });
}

// --- code-server -------------------------------------------------------------------------------------
function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * The user settings of the code-server profile, written before a workbench loads. Workspace trust
 * is off (every scratch workspace is trusted) unless a UI test asks for a restricted one: `extra`
 * then turns trust on, without the startup prompt, so its new folder opens in restricted mode.
 */
function writeUserSettings(extra = {}) {
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(
    join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'security.workspace.trust.enabled': false,
        'chat.disableAIFeatures': true,
        'window.restoreWindows': 'none',
        // Scratch workspaces live inside this repo (e2e/.work): no "open the parent repository?".
        'git.openRepositoryInParentFolders': 'never',
        ...extra,
      },
      null,
      2,
    ),
  );
}

async function startCodeServer() {
  const port = await freePort();
  const configFile = join(scratch, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  writeUserSettings();

  const env = { ...process.env };
  // Variables of an enclosing VS Code (its terminal, its extension host) would steer this one.
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  Object.assign(env, {
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    // No extension gallery: the workbench would try open-vsx.org, unreachable offline.
    EXTENSIONS_GALLERY: '{}',
  });
  if (opts.hostGrep) env.GENLAB_E2E_GREP = opts.hostGrep;

  const logFile = join(scratch, 'code-server.log');
  const out = createWriteStream(logFile);
  await new Promise((r) => out.on('open', r));
  if (opts.vsix) {
    execFileSync(process.execPath, [codeServerEntry, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', opts.vsix], { env, stdio: 'inherit' });
  }
  // detached: setsid(), so that code-server and everything it starts form one process group.
  server = spawn(
    process.execPath,
    [
      codeServerEntry,
      '--config', configFile,
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      // Workspace trust is off through the user settings (writeUserSettings), so one test can turn it on.
      '--disable-getting-started-override',
    ],
    { cwd: scratch, env, detached: true, stdio: ['ignore', out, out] },
  );
  const exited = new Promise((r) => server.once('exit', (code, signal) => r({ code, signal })));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const gone = await Promise.race([exited, sleep(250).then(() => null)]);
    if (gone) throw new Error(`code-server exited early (${JSON.stringify(gone)}):\n${readFileSync(logFile, 'utf8')}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz in 60 s:\n${readFileSync(logFile, 'utf8')}`);
  }
  return { port, base, logFile };
}

// --- workbench pages -----------------------------------------------------------------------------
function workbenchUrl(cs, folder, payload) {
  // The CLI rejects --extensionDevelopmentPath/--extensionTestsPath, but the workbench URL takes
  // them in `payload`; their vscode-remote authority must be the page's own host:port.
  const remote = (p) => `vscode-remote://127.0.0.1:${cs.port}${p}`;
  const pairs = Object.entries(payload).map(([k, v]) => [k, remote(v)]);
  return `${cs.base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(pairs))}`;
}

function makeWorkspace(name) {
  const ws = join(dirs.workspaces, name);
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'README.md'), `# ${name}\n\nScratch workspace of a GenLab end-to-end test.\n`);
  return ws;
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => {
    // The workbench logs through console with a '%c LEVEL' + CSS prefix: dropped here.
    const line = `[${m.type()}] ${m.text().replace(/^%c\s*\w+\s+color:\s*#\w+\s*/, '')}`;
    consoleLines.push(line);
    if (consoleLines.length > 200) consoleLines.shift();
    if (opts.verbose) console.log('  [workbench]', line);
  });
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  return { context, page, consoleLines };
}

async function waitForWorkbench(page, timeout = 90_000) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout });
}

// --- phase 1: extension-host tests ---------------------------------------------------------------
async function runHostTests(cs) {
  log('phase 1: extension-host tests (test/e2e-host via extensionTestsPath)');
  const t0 = Date.now();
  const { context, page, consoleLines } = await newPage();
  let resolveExit;
  const exitCode = new Promise((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    // args are the extension host's console arguments, e.g. Mocha's ['%d passing (%s)', 3, '40ms'].
    const text = format(...(Array.isArray(args) ? args : [args])).replace(/\n$/, '');
    if (type === 'error') console.error(text);
    else console.log(text);
  });
  await page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  const url = workbenchUrl(cs, makeWorkspace('host-tests'), {
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: hostTestsEntry,
  });
  await page.goto(url);
  const code = await Promise.race([exitCode, sleep(HOST_TIMEOUT_MS).then(() => 'timeout')]);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (code !== 0) {
    const shot = join(outputDir, 'host-tests-failure.png');
    await page.screenshot({ path: shot }).catch(() => {});
    if (code === 'timeout') {
      console.error(`[e2e] host tests: no exit after ${HOST_TIMEOUT_MS / 1000} s; screenshot ${shot}`);
      console.error('[e2e] last workbench console lines:\n  ' + consoleLines.slice(-30).join('\n  '));
    } else {
      console.error(`[e2e] host tests: exit code ${code} (${secs} s); screenshot ${shot}`);
    }
  } else {
    log(`host tests: exit code 0 (${secs} s)`);
  }
  await context.close().catch(() => {});
  return code === 0;
}

// --- phase 2: UI tests ---------------------------------------------------------------------------
function makeHelpers(page, testName) {
  const screenshot = async (name) => {
    const file = join(outputDir, `${testName}-${name}.png`);
    await page.screenshot({ path: file });
    log(`  screenshot ${file}`);
    return file;
  };

  /** Clicks into the workbench, so that keys go to it and not to a webview or nowhere. */
  const focusWorkbench = async () => {
    await page.keyboard.press('Escape');
    const target = page.locator('.part.statusbar');
    const box = await target.boundingBox();
    // The middle of the status bar, between the item groups on the left and on the right.
    if (box) await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  };

  /** Runs a palette command by its title (e.g. "GenLab: Open Dashboard"), retrying while the
   *  extension host starts. */
  const runCommand = async (title, { attempts = 6, timeout = 10_000 } = {}) => {
    let lastErr;
    for (let i = 1; i <= attempts; i++) {
      try {
        await focusWorkbench();
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await page.keyboard.type(title);
        const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
        await rows.first().waitFor({ state: 'visible', timeout });
        const labels = await rows.evaluateAll((els) =>
          els.map((el) => (el.querySelector('.label-name')?.textContent ?? el.textContent ?? '').trim()),
        );
        const exact = labels.findIndex((l) => l === title);
        const row = rows.nth(exact >= 0 ? exact : 0);
        const focused = (await row.getAttribute('class'))?.includes('focused');
        if (focused) await page.keyboard.press('Enter');
        else await row.click();
        return;
      } catch (err) {
        lastErr = err;
        await page.keyboard.press('Escape').catch(() => {});
        await sleep(1000 * i);
      }
    }
    throw new Error(`command "${title}" not found in the palette after ${attempts} tries: ${lastErr?.message}`);
  };

  /** Webviews are nested same-origin iframes: an outer .../webview/browser/pre/index.html (VS Code's
   *  host shell) holds the content frame .../pre/fake.html with the extension's HTML. Searches the
   *  content frames of all webviews (panels and views) for `selector`; other frames (the web
   *  worker extension host's) are left out. */
  const isWebviewFrame = (f) => !!f && /\/webview\/browser\/pre\//.test(f.url());
  const findInWebviews = async (selector, { timeout = 30_000 } = {}) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const frame of page.frames().filter((f) => isWebviewFrame(f) && isWebviewFrame(f.parentFrame()))) {
        try {
          const locator = frame.locator(selector);
          if ((await locator.count()) > 0) return { frame, locator: locator.first() };
        } catch {
          // frame detached while searching
        }
      }
      if (Date.now() > deadline) {
        const urls = page.frames().map((f) => f.url()).join('\n  ');
        throw new Error(`no webview frame has ${selector} after ${timeout} ms; frames:\n  ${urls}`);
      }
      await sleep(250);
    }
  };

  /** Right-clicks the Explorer's row for `name` and chooses `item` in its context menu, retrying
   *  while the extension's menu entries are not registered yet (its host still starting). */
  const explorerContextMenu = async (name, item, { attempts = 6 } = {}) => {
    await runCommand('View: Show Explorer');
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    const entry = page.locator('.monaco-menu .action-item', { hasText: item }).first();
    for (let i = 1; ; i++) {
      await row.click({ button: 'right' });
      try {
        await entry.waitFor({ state: 'visible', timeout: 3000 });
        break;
      } catch (err) {
        if (i === attempts) throw new Error(`"${item}" is not in the context menu of ${name} after ${attempts} tries: ${err.message}`);
        await page.keyboard.press('Escape');
        await sleep(1000 * i);
      }
    }
    // Menus ignore a click that comes right after they open (against accidental picks): hover, wait, click.
    await entry.hover();
    await sleep(300);
    await entry.click();
    if (await entry.isVisible().catch(() => false)) await page.keyboard.press('Enter');
  };

  return { screenshot, runCommand, findInWebviews, focusWorkbench, explorerContextMenu };
}

async function runUiTests(cs) {
  const uiDir = join(e2eDir, 'ui');
  const files = readdirSync(uiDir)
    .filter((f) => f.endsWith('.test.mjs'))
    .filter((f) => !grepRe || grepRe.test(f))
    .sort();
  log(`phase 2: UI tests (${files.length} file(s) in e2e/ui${opts.grep ? ` matching /${opts.grep}/i` : ''})`);
  const results = [];
  for (const file of files) {
    const name = basename(file, '.test.mjs');
    const t0 = Date.now();
    log(`UI test ${name}`);
    const { context, page, consoleLines } = await newPage();
    const workspace = makeWorkspace(`ui-${name}`);
    const helpers = makeHelpers(page, name);
    let ok = false;
    let restricted = false;
    try {
      const mod = await import(pathToFileURL(join(uiDir, file)).href);
      if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function`);
      const timeout = mod.timeout ?? UI_TEST_TIMEOUT_MS;
      // Written before the workbench loads: a settings file written after it is read a moment
      // later, and a command run at once would still see the old values.
      if (mod.settings) {
        mkdirSync(join(workspace, '.vscode'), { recursive: true });
        writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify(mod.settings));
      }
      // Likewise files the test works on: the Explorer may miss files created after it loads.
      await mod.prepare?.({ workspace, repoRoot });
      restricted = mod.trust === 'restricted';
      if (restricted) writeUserSettings({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' });
      await page.goto(workbenchUrl(cs, workspace, opts.vsix ? {} : { extensionDevelopmentPath: repoRoot }));
      await waitForWorkbench(page);
      const ctx = { page, workspace, repoRoot, outputDir, baseUrl: cs.base, vsix: opts.vsix, log: (...a) => log(' ', ...a), ...helpers };
      let timer;
      await Promise.race([
        mod.default(ctx),
        new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${timeout} ms`)), timeout))),
      ]).finally(() => clearTimeout(timer));
      ok = true;
    } catch (err) {
      console.error(`[e2e] FAIL ${name}: ${err?.stack ?? err}`);
      await helpers.screenshot('failure').catch(() => {});
      console.error('[e2e] last workbench console lines:\n  ' + consoleLines.slice(-20).join('\n  '));
    }
    // The next test's workbench opens trusted again.
    if (restricted) writeUserSettings();
    log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    results.push({ name, ok });
    await context.close().catch(() => {});
  }
  return results;
}

// --- main ----------------------------------------------------------------------------------------
const tStart = Date.now();
let passed = 0;
let failed = 0;
try {
  const cs = await startCodeServer();
  log(`code-server ${JSON.parse(readFileSync(join(e2eDir, 'node_modules', 'code-server', 'package.json'), 'utf8')).version} on ${cs.base} (pgid ${server.pid})`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Signals are handled above: cleanup closes the browser before code-server.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  log(`chromium ${browser.version()}`);

  if (!opts.uiOnly) {
    if (await runHostTests(cs)) passed++;
    else failed++;
  }
  if (!opts.hostOnly) {
    for (const r of await runUiTests(cs)) {
      if (r.ok) passed++;
      else failed++;
    }
  }
} catch (err) {
  console.error('[e2e] harness error:', err?.stack ?? err);
  failed++;
}
await cleanup();
log(`total ${((Date.now() - tStart) / 1000).toFixed(1)} s; screenshots and code-server.log in ${outputDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
