import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { createFreshFolder, insideRoot, realPathOf, runFolderIn, safeComponent } from '../../src/shared/safePaths';
import type { FileProblem } from '../../src/shared/decodedFiles';
import { listGenerated, listSampleFiles } from '../../src/shared/runFolder';
import { UserError } from '../../src/shared/userError';

/** A runs root with one real run folder, and a folder outside it that a hostile run points at. */
function layout() {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-hostile-')));
  const root = path.join(base, 'runs');
  const run = path.join(root, 'vae-mnist-20260101-000000-abcd');
  const outside = path.join(base, 'precious');
  fs.mkdirSync(run, { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'keep.txt'), 'mine');
  return { base, root, run, outside };
}

test('insideRoot accepts the root and what lies under it, also not yet created', () => {
  const { root, run } = layout();
  assert.ok(insideRoot(root, root));
  assert.ok(insideRoot(root, run));
  assert.ok(insideRoot(root, path.join(run, 'new', 'file.json')));
});

test('insideRoot refuses .., absolute paths elsewhere, and a sibling whose name starts like the root', () => {
  const { base, root, run } = layout();
  assert.equal(insideRoot(root, path.join(run, '..', '..', 'precious')), false);
  assert.equal(insideRoot(root, path.join(root, '../../../../etc/passwd')), false);
  assert.equal(insideRoot(root, '/etc'), false);
  fs.mkdirSync(path.join(base, 'runs-other'));
  assert.equal(insideRoot(root, path.join(base, 'runs-other')), false);
});

test('insideRoot follows symlinks: a link inside the root to a folder outside is outside, and a linked root still holds its runs', () => {
  const { base, root, run, outside } = layout();
  const link = path.join(root, 'escape');
  fs.symlinkSync(outside, link);
  assert.equal(insideRoot(root, link), false);
  assert.equal(insideRoot(root, path.join(link, 'keep.txt')), false);
  // The person's runs folder may itself be a link (to a bigger disk): its runs are still inside it.
  const linkedRoot = path.join(base, 'linked-runs');
  fs.symlinkSync(root, linkedRoot);
  assert.ok(insideRoot(linkedRoot, run));
  assert.equal(realPathOf(path.join(linkedRoot, 'not-yet', 'x')), path.join(root, 'not-yet', 'x'));
});

test('runFolderIn gives the real run folder, and refuses a run folder that is a symlink out of the root, the root itself, a nested folder and a file', () => {
  const { root, run, outside } = layout();
  assert.equal(runFolderIn(root, run), run);
  const link = path.join(root, 'vae-mnist-linked');
  fs.symlinkSync(outside, link);
  assert.throws(() => runFolderIn(root, link), (err: unknown) => err instanceof UserError && /not a run folder inside the runs folder/.test(err.message) && /genlab\.runsDirectory/.test(err.hint));
  assert.throws(() => runFolderIn(root, root), UserError);
  assert.throws(() => runFolderIn(root, path.join(run, 'checkpoints')), UserError);
  assert.throws(() => runFolderIn(root, path.join(root, '..', 'precious')), UserError);
  fs.writeFileSync(path.join(root, 'notes.txt'), '');
  assert.throws(() => runFolderIn(root, path.join(root, 'notes.txt')), UserError);
});

test('safeComponent passes ordinary run folder names and refuses traversal, separators, drive colons and control characters', () => {
  for (const name of ['vae-mnist-20260101-000000-abcd', 'my run (2)', '.hidden-but-fine', 'ünïcode']) assert.equal(safeComponent(name), name);
  for (const name of ['', '.', '..', '../../../x', 'a/b', 'a\\b', 'C:', 'a\u0000b', 'line\nbreak', 'x'.repeat(256)]) {
    assert.throws(() => safeComponent(name, 'The run id'), (err: unknown) => err instanceof UserError && err.message.startsWith('The run id ') && err.message.length < 200, name);
  }
});

test('createFreshFolder never reuses or clears a folder: a taken name gets a suffix, and what was there is untouched', () => {
  const { base, outside } = layout();
  const picked = path.join(base, 'exports');
  fs.mkdirSync(picked);
  fs.mkdirSync(path.join(picked, 'run-model'));
  fs.writeFileSync(path.join(picked, 'run-model', 'theirs.txt'), 'theirs');
  // A link with the export's name must not be followed either.
  fs.symlinkSync(outside, path.join(picked, 'run-model-2'));
  const made = createFreshFolder(picked, 'run-model');
  assert.equal(made, path.join(picked, 'run-model-3'));
  assert.deepEqual(fs.readdirSync(made), []);
  assert.equal(fs.readFileSync(path.join(picked, 'run-model', 'theirs.txt'), 'utf8'), 'theirs');
  assert.deepEqual(fs.readdirSync(outside), ['keep.txt']);
  assert.throws(() => createFreshFolder(picked, '../../../x-model'), UserError);
  assert.deepEqual(fs.readdirSync(base).sort(), ['exports', 'precious', 'runs']);
});

test('a run folder lists only plain sample files: a planted link to an image elsewhere is not shown', () => {
  const { run, outside } = layout();
  fs.writeFileSync(path.join(outside, 'private.png'), 'not yours');
  fs.mkdirSync(path.join(run, 'samples', 'generated'), { recursive: true });
  fs.writeFileSync(path.join(run, 'samples', 'step-000010.png'), 'grid');
  fs.symlinkSync(path.join(outside, 'private.png'), path.join(run, 'samples', 'step-000020.png'));
  fs.symlinkSync(path.join(outside, 'private.png'), path.join(run, 'samples', 'generated', 'stolen.png'));
  fs.writeFileSync(path.join(run, 'samples', 'generated', 'index.jsonl'), `${JSON.stringify({ file: 'stolen.png', caption: 'x', step: 20, createdAt: new Date().toISOString() })}\n`);
  assert.deepEqual(listSampleFiles(run).map((f) => f.step), [10]);
  const problems: FileProblem[] = [];
  assert.deepEqual(listGenerated(run, problems), []);
  assert.match(problems[0].problem, /stolen\.png, which is missing or not a plain file/);
});
