/**
 * What the manifest and the webviews' styles promise a VS Code user, read from the real files:
 * theme colours only (high-contrast borders on hover and focus), menus that show only what works
 * where they are shown, panel icons for light and dark themes, settings whose defaults are the
 * family's.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  contributes: {
    commands: { command: string; title: string }[];
    menus: Record<string, MenuEntry[]>;
    configuration: { properties: Record<string, { type: string | string[]; default?: unknown; markdownDescription?: string }> };
  };
};
const menus = manifest.contributes.menus;
const declared = new Set(manifest.contributes.commands.map((c) => c.command));

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(ext))
    .map((d) => path.join(d.parentPath, d.name));
}

/** CSS without its comments, which may name colours in prose. */
const cssOf = (file: string): string => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

const NAMED_COLOURS = /(?:^|[\s:,(])(black|white|red|green|blue|gray|grey|orange|yellow|purple|silver|navy|maroon)(?=[\s;,)!]|$)/im;

test('webview styles take every colour from the theme: no hex, rgb(), hsl() or named colour', () => {
  const files = filesUnder('webview', '.css');
  assert.ok(files.length >= 4, files.join(', '));
  for (const file of files) {
    for (const decl of cssOf(file).matchAll(/([\w-]+)\s*:\s*([^;{}]+);/g)) {
      const [, property, value] = decl;
      // `white-space: nowrap` and font names are not colours.
      if (/^(white-space|font|text-overflow)/.test(property)) continue;
      assert.doesNotMatch(value, /#[0-9a-f]{3,8}\b|\b(rgba?|hsla?)\(/i, `${file}: ${property}: ${value}`);
      assert.doesNotMatch(value, NAMED_COLOURS, `${file}: ${property}: ${value}`);
    }
  }
});

test('webview scripts draw with theme colours; only the heatmap colour maps, which encode values, are fixed', () => {
  for (const file of filesUnder('webview', '.ts')) {
    // viridis and PRGn: a value keeps its colour in every theme, so they are data, not theme.
    if (path.basename(file) === 'densityPaint.ts') continue;
    const code = readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '');
    assert.doesNotMatch(code, /['"`]#[0-9a-f]{3,8}['"`]|\b(rgba?|hsla?)\(\s*\d/i, file);
    assert.doesNotMatch(code, /['"](black|white|red|green|blue|gray|grey|orange|yellow|purple)['"]/, file);
  }
});

test('high-contrast themes get a visible border on hover and with focus, on every webview', () => {
  const base = cssOf('webview/shared/base.css');
  const rule = (selector: RegExp) => [...base.matchAll(/([^{}]+)\{([^}]*)\}/g)].filter(([, sel]) => selector.test(sel)).map(([, , body]) => body);
  assert.ok(rule(/:hover/).some((b) => /outline:[^;]*var\(--vscode-contrastActiveBorder/.test(b)), 'a hover outline in contrastActiveBorder');
  assert.ok(rule(/:focus-visible/).some((b) => /outline:[^;]*var\(--vscode-contrastActiveBorder/.test(b)), 'a focus outline in contrastActiveBorder');
  // Each page loads the shared styles.
  for (const page of ['dashboard', 'gallery', 'compare']) assert.match(readFileSync(`webview/${page}/main.ts`, 'utf8'), /import '\.\.\/shared\/base\.css'/, page);
});

test('the gallery cards\' context menu offers open, compare and delete, each a declared command; delete not while the run trains', () => {
  const entries = menus['webview/context'] ?? [];
  assert.deepEqual(entries.map((e) => e.command).sort(), ['genlab.compareRuns', 'genlab.deleteRun', 'genlab.openDashboard']);
  for (const e of entries) {
    assert.ok(declared.has(e.command), e.command);
    assert.match(e.when ?? '', /webviewId == 'genlab\.gallery' && webviewSection == 'run'/, e.command);
  }
  assert.match(entries.find((e) => e.command === 'genlab.deleteRun')!.when!, /!genlabRunLive/);
  // The card carries what those when clauses and commands read.
  const gallery = readFileSync('webview/gallery/main.ts', 'utf8');
  for (const key of ['vscodeContext', "webviewSection: 'run'", 'runId: run.runId', 'genlabRunLive', 'preventDefaultContextMenuItems: true']) assert.ok(gallery.includes(key), key);
});

test('Reveal in OS is offered only on a local desktop; elsewhere Show Run Folder takes its place', () => {
  const items = menus['view/item/context'];
  const reveal = items.filter((e) => e.command === 'genlab.revealRun');
  const show = items.filter((e) => e.command === 'genlab.showRunFolder');
  assert.ok(reveal.length && show.length);
  for (const e of reveal) assert.match(e.when ?? '', /!remoteName && !isWeb/);
  for (const e of show) assert.match(e.when ?? '', /\(remoteName \|\| isWeb\)/);
  // Both need a run: neither belongs in the palette.
  for (const command of ['genlab.revealRun', 'genlab.showRunFolder', 'genlab.deleteRun']) assert.equal(menus.commandPalette.find((e) => e.command === command)?.when, 'false', command);
});

test('Train Experiment File is in the palette only with an experiment file open', () => {
  const entry = menus.commandPalette.find((e) => e.command === 'genlab.trainExperiment');
  assert.equal(entry?.when, 'resourceFilename =~ /\\.genlab\\.json$/');
  const matches = new RegExp(entry!.when!.split('=~ /')[1].slice(0, -1));
  assert.ok(matches.test('vae.genlab.json') && !matches.test('package.json') && !matches.test('vae.genlab.json.bak'));
});

test('genlab.evalEvery is unset by default, so each family\'s own interval applies', () => {
  const setting = manifest.contributes.configuration.properties['genlab.evalEvery'];
  assert.equal(setting.default, null);
  assert.deepEqual(setting.type, ['integer', 'null']);
  // The description is a %key% of package.nls.json, where its English is.
  const nls = JSON.parse(readFileSync('package.nls.json', 'utf8')) as Record<string, string>;
  assert.match(nls[/^%(.+)%$/.exec(setting.markdownDescription ?? '')?.[1] ?? ''] ?? '', /Unset \(the default\), each family uses its own/);
});

test('panel tab icons come in a light and a dark variant, each drawn in a colour of its own (a tab does not pass currentColor)', () => {
  for (const variant of ['light', 'dark']) {
    const svg = readFileSync(`media/genlab-${variant}.svg`, 'utf8');
    assert.ok(!svg.includes('currentColor'), variant);
    assert.match(svg, /stroke="#[0-9A-Fa-f]{6}"/, variant);
  }
  const [light, dark] = ['light', 'dark'].map((v) => readFileSync(`media/genlab-${v}.svg`, 'utf8').match(/stroke="#([0-9A-Fa-f]{6})"/)![1]);
  const luminance = (hex: string) => parseInt(hex.slice(0, 2), 16) + parseInt(hex.slice(2, 4), 16) + parseInt(hex.slice(4, 6), 16);
  assert.ok(luminance(light) < luminance(dark), 'the light theme\'s icon is the darker one');
  for (const file of ['src/extension/dashboards.ts', 'src/extension/compareView.ts']) assert.match(readFileSync(file, 'utf8'), /iconPath = panelIcon\(/, file);
});
