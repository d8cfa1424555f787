/**
 * Smoke test of the packaged manifest against the running extension: the extension is found
 * under its id, activates, and every command its package.json contributes is registered by
 * activate() (a command declared but never registered fails here, not in a user's palette).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'genlab.genlab';

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

  it('activates without throwing', async () => {
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
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
