/**
 * The webview HTML shell and its Content Security Policy, with a stand-in for the `vscode`
 * module (only Uri.joinPath, a Webview's cspSource / asWebviewUri, and the display language with its
 * l10n bundle are used), plus the pure
 * helpers the two pages share.
 */
import assert from 'node:assert/strict';
import Module from 'node:module';
import { test } from 'node:test';
import { l10n, type L10nBundle, translate } from '../../webview/shared/l10n';
import { canSample, canStop, densityKindLabel, STATE_LOOK } from '../../webview/shared/runState';
import { formatTick } from '../../src/protocol/format';
import { RUN_STATES } from '../../src/protocol/webview';

class FakeUri {
  constructor(readonly path: string) {}
  static joinPath(base: FakeUri, ...parts: string[]): FakeUri {
    return new FakeUri([base.path, ...parts].join('/'));
  }
  toString(): string {
    return `file://${this.path}`;
  }
}

// A German window, with one string of VS Code's l10n bundle translated (and one with a translator's comment).
const fakeVscode = {
  Uri: FakeUri,
  env: { language: 'de' },
  l10n: { bundle: { 'step {0}': 'Schritt {0}', 'No samples yet': { message: 'Noch keine "Stichproben"', comment: ['the empty card'] } } },
};
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const originalLoad = loader._load;
loader._load = function (request, parent, isMain) {
  return request === 'vscode' ? fakeVscode : originalLoad.call(this, request, parent, isMain);
};

const webview = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  asWebviewUri: (uri: FakeUri) => ({ toString: () => `https://file+.vscode-resource.vscode-cdn.net${uri.path}` }),
};

async function load() {
  return import('../../src/extension/webviewHtml');
}

test('the page loads one script with this load’s nonce and one stylesheet, under a strict CSP', async () => {
  const { webviewHtml } = await load();
  const ext = new FakeUri('/ext');
  const html = webviewHtml(webview as never, ext as never, 'dashboard', 'GenLab: VAE <test>');
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  assert.ok(csp, 'has a CSP meta tag');
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['style-src'], [webview.cspSource]);
  assert.deepEqual(directives['img-src'], [webview.cspSource, 'data:']);
  assert.deepEqual(directives['font-src'], [webview.cspSource]);
  assert.equal(directives['script-src'].length, 1);
  const nonce = /^'nonce-([A-Za-z0-9+/=]+)'$/.exec(directives['script-src'][0])?.[1];
  assert.ok(nonce && nonce.length >= 16, 'script-src is a nonce only');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1);
  assert.match(scripts[0], new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
  assert.match(scripts[0], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/dashboard\.js"/);
  assert.match(html, /<link rel="stylesheet" href="[^"]*\/ext\/dist\/webview\/dashboard\.css">/);
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/i, 'no inline styles or handlers');
  assert.match(html, /<title>GenLab: VAE &lt;test&gt;<\/title>/);
  assert.match(html, /<div id="app"><\/div>/);
});

test("the page carries the display language and VS Code's l10n bundle, which the webviews' strings are looked up in", async () => {
  const { webviewHtml } = await load();
  const html = webviewHtml(webview as never, new FakeUri('/ext') as never, 'gallery', 'x');
  assert.match(html, /<html lang="de">/);
  const attribute = /<body [^>]*data-l10n="([^"]*)"/.exec(html)?.[1];
  assert.ok(attribute, 'no data-l10n on <body>');
  const unescaped = attribute.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e]!);
  const bundle = JSON.parse(unescaped) as L10nBundle;
  assert.equal(translate(bundle, 'step {0}', [1200]), 'Schritt 1200');
  assert.equal(translate(bundle, 'No samples yet', []), 'Noch keine "Stichproben"');
  assert.equal(translate(bundle, 'Close (Escape)', []), 'Close (Escape)', 'a string the bundle lacks stays English');
  assert.equal(translate({}, '{0} of {1} steps', ['5', 10]), '5 of 10 steps');
  assert.equal(l10n.t('{0} · 1 run', 'MNIST'), 'MNIST · 1 run', 'outside a page the strings are English');
});

test('each load gets a fresh nonce', async () => {
  const { nonce, webviewHtml } = await load();
  assert.notEqual(nonce(), nonce());
  const ext = new FakeUri('/ext');
  const a = webviewHtml(webview as never, ext as never, 'gallery', 'x');
  const b = webviewHtml(webview as never, ext as never, 'gallery', 'x');
  const n = (html: string) => /'nonce-([^']+)'/.exec(html)?.[1];
  assert.notEqual(n(a), n(b));
  assert.match(a, /gallery\.js/);
});

test('resource roots: the bundles, media and the runs folders', async () => {
  const { localResourceRoots } = await load();
  const roots = localResourceRoots(new FakeUri('/ext') as never, [new FakeUri('/work/runs') as never]);
  assert.deepEqual(
    roots.map((u) => (u as unknown as FakeUri).path),
    ['/ext/dist/webview', '/ext/media', '/work/runs'],
  );
});

test('every run state has a look; stop and sample-now follow the trainer’s states', () => {
  for (const s of RUN_STATES) assert.ok(STATE_LOOK[s].label, s);
  assert.deepEqual(RUN_STATES.filter(canStop), ['loading-data', 'training', 'evaluating']);
  assert.deepEqual(RUN_STATES.filter(canSample), ['training', 'evaluating']);
  assert.equal(densityKindLabel('explicit-approximate'), 'Explicit, approximate density');
  assert.equal(densityKindLabel('implicit'), 'Implicit density');
});

test('axis ticks carry the decimals their spacing needs', () => {
  assert.equal(formatTick(150, 50), '150');
  assert.equal(formatTick(1.25, 0.25), '1.25');
  assert.equal(formatTick(0.5, 0.1), '0.5');
  assert.equal(formatTick(12000, 2000), '12,000');
  assert.equal(formatTick(3e-7, 1e-7), '0.0000003');
  // A converged loss: ticks 2e-6 apart must still read differently.
  assert.notEqual(formatTick(2.824102, 2e-6), formatTick(2.824104, 2e-6));
});
