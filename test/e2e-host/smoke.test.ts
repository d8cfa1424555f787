/**
 * Smoke test of the packaged manifest against the running extension: the extension is found
 * under its id, activates, and every command its package.json contributes is registered by
 * activate() (a command declared but never registered fails here, not in a user's palette).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'genlab.genlab';

/** Merges figures into test-output/e2e/perf.json, which `npm run bench` copies into its report. */
function recordPerf(repoRoot: string, figures: Record<string, unknown>): void {
  const file = path.join(repoRoot, 'test-output', 'e2e', 'perf.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const current = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(file, JSON.stringify({ ...current, ...figures, [`${Object.keys(figures)[0]}MeasuredAt`]: new Date().toISOString() }, null, 2));
}

interface ContributedCommand {
  command: string;
  title: string;
}

describe('GenLab extension (smoke)', () => {
  let ext: vscode.Extension<unknown> | undefined;
  let contributed: ContributedCommand[] = [];

  before(() => {
    ext = vscode.extensions.getExtension(EXTENSION_ID);
    contributed = (ext?.packageJSON?.contributes?.commands ?? []) as ContributedCommand[];
  });

  it(`is installed under the id ${EXTENSION_ID}`, () => {
    assert.ok(ext, `extension ${EXTENSION_ID} not found; loaded: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
  });

  it('activates without throwing, quickly, and loads no TensorFlow.js into the extension host', async () => {
    assert.ok(ext);
    const api = (await ext.activate()) as { activationMs: number };
    assert.equal(ext.isActive, true);
    assert.ok(api.activationMs > 0 && api.activationMs < 1000, `activate() took ${api.activationMs} ms`);
    const loaded = Object.keys(require.cache).filter((m) => m.includes('@tensorflow'));
    assert.deepEqual(loaded, [], 'TensorFlow.js modules loaded in the extension host');
    recordPerf(ext.extensionPath, { activationMs: Math.round(api.activationMs * 10) / 10 });
  });

  it('contributes GenLab commands in package.json', () => {
    const ours = contributed.filter((c) => c.command.startsWith('genlab.'));
    assert.ok(ours.length > 0, 'package.json contributes.commands lists no genlab.* command');
  });

  it('registers every command that package.json contributes', async () => {
    assert.ok(ext);
    await ext.activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `declared in contributes.commands but not registered: ${missing.join(', ')}`);
  });
});
