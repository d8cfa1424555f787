/**
 * GenLab is ready for translation: the manifest's strings live in package.nls.json, the extension
 * host's go through `vscode.l10n.t`, and the webviews' come from the bundle the host passes in.
 * English only for now; these tests keep a new string from slipping past as a literal.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';

const manifestText = readFileSync('package.json', 'utf8');
const manifest = JSON.parse(manifestText) as Record<string, unknown>;
const nls = JSON.parse(readFileSync('package.nls.json', 'utf8')) as Record<string, string>;

/** The product's name is the same in every language, so the manifest may say it as it is. */
const PRODUCT = 'GenLab';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The manifest's strings that a person reads, each with where it stands (for the failure message). */
function manifestProse(): [string, string][] {
  const out: [string, string][] = [];
  const at = (where: string, value: unknown) => typeof value === 'string' && out.push([where, value]);
  const c = manifest.contributes as Record<string, Json> & {
    commands: { command: string; title: string }[];
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string }[];
    viewsContainers: Record<string, { id: string; title: string }[]>;
    configuration: { title: string; properties: Record<string, { description?: string; markdownDescription?: string; enumDescriptions?: string[] }> };
    walkthroughs: { id: string; title: string; description: string; steps: { id: string; title: string; description: string }[] }[];
  };
  at('description', manifest.description);
  at('capabilities.untrustedWorkspaces.description', (manifest.capabilities as { untrustedWorkspaces: { description: string } }).untrustedWorkspaces.description);
  for (const cmd of c.commands) at(`${cmd.command} title`, cmd.title);
  for (const list of Object.values(c.views)) for (const v of list) at(`view ${v.id}`, v.name);
  for (const list of Object.values(c.viewsContainers)) for (const v of list) at(`view container ${v.id}`, v.title);
  for (const w of c.viewsWelcome) at(`welcome of ${w.view}`, w.contents);
  at('configuration title', c.configuration.title);
  for (const [name, p] of Object.entries(c.configuration.properties)) {
    at(`${name} description`, p.description);
    at(`${name} markdownDescription`, p.markdownDescription);
    for (const [i, d] of (p.enumDescriptions ?? []).entries()) at(`${name} enumDescriptions[${i}]`, d);
  }
  for (const w of c.walkthroughs) {
    at(`walkthrough ${w.id} title`, w.title);
    at(`walkthrough ${w.id} description`, w.description);
    for (const s of w.steps) {
      at(`walkthrough step ${s.id} title`, s.title);
      at(`walkthrough step ${s.id} description`, s.description);
    }
  }
  return out;
}

test('every string the manifest shows is a %key% of package.nls.json (or the product name)', () => {
  const prose = manifestProse();
  assert.ok(prose.length > 50, `${prose.length} strings: the walk over the manifest missed its sections`);
  for (const [where, value] of prose) assert.ok(value === PRODUCT || /^%[\w.-]+%$/.test(value), `${where} is a literal: move it to package.nls.json and write "%key%"`);
});

test('each %key% of package.json has its English in package.nls.json, and package.nls.json has no unused key', () => {
  const used = new Set([...manifestText.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));
  for (const key of used) assert.equal(typeof nls[key], 'string', `package.json names %${key}% but package.nls.json has no such key`);
  for (const key of Object.keys(nls)) assert.ok(used.has(key), `package.nls.json's ${key} is used nowhere in package.json: remove it`);
  for (const [key, text] of Object.entries(nls)) assert.ok(text.trim(), `package.nls.json's ${key} is empty`);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => path.join(d.parentPath, d.name));
}

/** The source without comments, so prose in them is not mistaken for a string shown. */
const codeOf = (file: string) => readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*|\/\*).*$/gm, '').replace(/\s\/\/ .*$/gm, '');

/** Index just past the balanced bracket that closes the one opening at `from`. */
function closing(code: string, from: number): number {
  let depth = 0;
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (c === "'" || c === '"' || c === '`') i = literalEnd(code, i) - 1;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i + 1;
  }
  return code.length;
}

/** Index just past the string or template literal starting at `from` (a template's `${}` may hold another). */
function literalEnd(code: string, from: number): number {
  const quote = code[from];
  for (let i = from + 1; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (quote === '`' && code.startsWith('${', i)) i = closing(code, i + 1) - 1;
    else if (code[i] === quote) return i + 1;
  }
  return code.length;
}

/** An expression's end: the first `,` `;` or closing bracket outside brackets and literals. */
function expressionEnd(code: string, from: number): number {
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (c === "'" || c === '"' || c === '`') i = literalEnd(code, i) - 1;
    else if ('([{'.includes(c)) i = closing(code, i) - 1;
    else if (',;)]}'.includes(c)) return i;
  }
  return code.length;
}

/**
 * The literals in `code` that hold words, once each `l10n.t(...)` call is taken out. Ids
 * (a command, a setting, a view type: lower case, no spaces), codicons (`$(play)`) and the product's
 * name are no prose.
 */
function proseLiterals(code: string): string[] {
  let rest = code;
  // The host's vscode.l10n.t and the webviews' l10n.t.
  for (let m = /\bl10n\.t\(/.exec(rest); m; m = /\bl10n\.t\(/.exec(rest)) rest = rest.slice(0, m.index) + rest.slice(closing(rest, m.index + m[0].length - 1));
  const found: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c !== "'" && c !== '"' && c !== '`') continue;
    const end = literalEnd(rest, i);
    const literal = rest.slice(i, end);
    const text = literal.slice(1, -1).replace(/\$\{[^}]*\}/g, '').replace(/\$\([\w~-]+\)/g, '');
    if (/[A-Za-z]/.test(text) && !/^[a-z][\w.:~-]*$/.test(text) && text !== PRODUCT) found.push(literal);
    i = end - 1;
  }
  return found;
}

/** Where the extension hands a string to VS Code to show: the calls whose arguments are shown, and the keys and fields that are. */
const SHOWN_CALLS = /\b(show(?:Information|Warning|Error)Message|createWebviewPanel|new vscode\.TreeItem|new vscode\.Diagnostic|new UserError|showError|runCommand)\(/g;
const SHOWN_KEYS = /(?<![\w.])(title|placeHolder|prompt|tooltip|label|description|detail|saveLabel|openLabel|message|hint)\s*:\s*/g;
const SHOWN_FIELDS = /\.(text|tooltip|name|description|label|title|placeholder|prompt)\s*=\s*/g;

/** Where a webview puts a string on the page: element children, the texts set, and the attributes read out. */
const PAGE_CALLS = /\b(h|setText|append|replaceChildren|push|metaItem|section|item)\(/g;
const PAGE_KEYS = /(?<![\w.])(title|alt|label|placeholder|'aria-label'|'aria-valuetext'|'aria-description')\s*:\s*/g;
const PAGE_FIELDS = /\.(textContent|title|alt|ariaLabel|placeholder)\s*=\s*|setAttribute\('(?:aria-label|aria-valuetext|title|alt)',\s*/g;

/** `h('tag', { …attributes… }, …children)` without its attribute objects, which hold classes and ids, not prose (their shown keys are scanned apart). */
function withoutAttributes(code: string): string {
  let rest = code;
  // The piece itself may open with the call's `(`.
  const call = /(^|\bh)\(\s*'[\w-]+'\s*,\s*\{/;
  for (let m = call.exec(rest); m; m = call.exec(rest)) rest = `${rest.slice(0, m.index)}h(${rest.slice(closing(rest, m.index + m[0].length - 1))}`;
  return rest;
}

/** Each piece of code in `file` that is shown to a person, with the literals in it. */
function shownLiterals(file: string, shown = { calls: SHOWN_CALLS, keys: SHOWN_KEYS, fields: SHOWN_FIELDS }): { code: string; literals: string[] }[] {
  const code = codeOf(file);
  // Matched on a copy with each literal blanked out, so that `label:` inside a string starts nothing.
  let masked = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c !== "'" && c !== '"' && c !== '`') {
      masked += c;
      continue;
    }
    const end = literalEnd(code, i);
    masked += c + ' '.repeat(end - i - 2) + c;
    i = end - 1;
  }
  const pieces: string[] = [];
  for (const m of masked.matchAll(shown.calls)) pieces.push(withoutAttributes(code.slice(m.index + m[0].length - 1, closing(code, m.index + m[0].length - 1))));
  for (const pattern of [shown.keys, shown.fields]) {
    for (const m of masked.matchAll(pattern)) pieces.push(code.slice(m.index + m[0].length, expressionEnd(code, m.index + m[0].length)));
  }
  return pieces.map((piece) => ({ code: piece, literals: proseLiterals(piece) })).filter((p) => p.literals.length);
}

test('the scan of shown strings sees a literal where one is, and none inside vscode.l10n.t', () => {
  assert.deepEqual(proseLiterals("showInformationMessage('Saved it.', 'Open')"), ["'Saved it.'", "'Open'"]);
  assert.deepEqual(proseLiterals("x ? vscode.l10n.t('Saved {0}.', `${a}`) : `${n} runs`"), ['`${n} runs`']);
  assert.deepEqual(proseLiterals("executeCommand('genlab.openDashboard', '$(play)', `${a}-${b}`)"), []);
});

test('the extension host shows no literal: each string a person reads goes through vscode.l10n.t', () => {
  const files = filesUnder('src/extension');
  assert.ok(files.length >= 15, files.join(', '));
  const scanned = files.flatMap((file) => shownLiterals(file).map((p) => `${file}: ${p.literals.join(', ')} in ${p.code.slice(0, 120)}`));
  assert.deepEqual(scanned, [], 'wrap each in vscode.l10n.t(\'… {0} …\', value)');
});

test('the webviews show no literal: each string on the page goes through l10n.t, looked up in the bundle the host passes in', () => {
  const files = filesUnder('webview');
  assert.ok(files.length >= 15, files.join(', '));
  const page = { calls: PAGE_CALLS, keys: PAGE_KEYS, fields: PAGE_FIELDS };
  const scanned = files.flatMap((file) => shownLiterals(file, page).map((p) => `${file}: ${p.literals.join(', ')} in ${p.code.slice(0, 120)}`));
  assert.deepEqual(scanned, [], "wrap each in l10n.t('… {0} …', value) from webview/shared/l10n.ts");
});

const BUNDLE_FILE = 'l10n/bundle.l10n.json';

/** The English message of each `l10n.t(…)` in `files`: the first argument, which must be a literal so a translator's tool can read it. */
function messagesIn(files: string[]): Map<string, string> {
  const messages = new Map<string, string>();
  for (const file of files) {
    const code = codeOf(file);
    for (const m of code.matchAll(/\bl10n\.t\(\s*/g)) {
      const start = m.index + m[0].length;
      const quote = code[start];
      const literal = code.slice(start, quote === "'" || quote === '"' ? literalEnd(code, start) : start);
      assert.ok(literal && !literal.includes('${'), `${file}: l10n.t(${code.slice(start, start + 60)}…) takes a plain literal message, with {0} for each value`);
      messages.set(runInNewContext(literal) as string, file);
    }
  }
  return messages;
}

test(`${BUNDLE_FILE} holds every message of the host and the webviews, in English, and nothing else`, () => {
  const messages = messagesIn([...filesUnder('src/extension'), ...filesUnder('webview')]);
  assert.ok(messages.size > 150, `${messages.size} messages: the scan missed the calls`);
  const generated = `${JSON.stringify(Object.fromEntries([...messages.keys()].sort().map((m) => [m, m])), null, 2)}\n`;
  if (process.env.GENLAB_WRITE_L10N) writeFileSync(BUNDLE_FILE, generated);
  assert.equal(readFileSync(BUNDLE_FILE, 'utf8'), generated, `${BUNDLE_FILE} is stale: GENLAB_WRITE_L10N=1 node scripts/run-tests.mjs test/unit/l10n.test.ts rewrites it`);
  assert.equal(manifest.l10n, './l10n', 'package.json\'s "l10n" names the folder VS Code finds the translated bundles in');
});
