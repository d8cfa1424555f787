/**
 * The run catalog's folder cache on real run folders written by the shared writers: a changed run
 * is read again, an unchanged one is served without reading it, a deleted one goes, and a live
 * run's trainer dying shows without any file changing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { completeConfig, type TrainConfig } from '../../src/protocol/config';
import { RunFolderCache } from '../../src/extension/runFolderCache';
import { listRuns, patchRunRecord, RunFolder } from '../../src/shared/runFolder';

/** `count` finished VAE runs in a fresh runs root, one sample grid each, created a millisecond apart. */
async function runsRoot(count: number): Promise<{ root: string; dirs: string[] }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-catalog-'));
  const dirs: string[] = [];
  for (let i = 0; i < count; i++) {
    const folder = RunFolder.create(completeConfig({ family: 'vae', steps: 4, runsDir: root, runName: `run ${i}` }), 'cpu', {}, 4);
    folder.appendMetrics({ kind: 'train', step: 1, epoch: 0, elapsedMs: 5, values: { negElbo: 500 } });
    folder.writeSample(1, 'samples', Buffer.from('png'));
    folder.update({ status: 'finished', progress: { step: 1, epoch: 0, totalSteps: 4 } });
    folder.close();
    dirs.push(folder.dir);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { root, dirs };
}

const names = (runs: { config: { runName?: string } }[]) => runs.map((r) => r.config.runName);

test('the listing matches the synchronous reader, newest first, and a second listing reads nothing', async () => {
  const { root } = await runsRoot(3);
  const cache = new RunFolderCache();
  const first = await cache.list(root);
  assert.deepEqual(names(first), ['run 2', 'run 1', 'run 0']);
  assert.deepEqual(first, listRuns(root));
  assert.equal(cache.reads.runs, 3);
  assert.deepEqual(await cache.list(root), first);
  assert.equal(cache.reads.runs, 3, 'no folder read again');
});

test('listings asked for at the same time share one read of each folder', async () => {
  const { root } = await runsRoot(3);
  const cache = new RunFolderCache();
  const [a, b, c] = await Promise.all([cache.list(root), cache.list(root), cache.list(root)]);
  assert.deepEqual(a, b);
  assert.deepEqual(b, c);
  assert.equal(cache.reads.runs, 3);
});

test('only the run that changed is read again; one whose files did not change is served from the cache', async () => {
  const { root, dirs } = await runsRoot(3);
  // A whole second, which utimes can set back exactly.
  const file = path.join(dirs[0], 'run.json');
  const mtime = new Date('2026-01-01T00:00:00Z');
  fs.utimesSync(file, mtime, mtime);
  const cache = new RunFolderCache();
  await cache.list(root);
  patchRunRecord(dirs[1], (r) => ({ ...r, name: 'renamed', config: { ...r.config, runName: 'renamed' } }));
  assert.deepEqual(names(await cache.list(root)), ['run 2', 'renamed', 'run 0']);
  assert.equal(cache.reads.runs, 4, 'one folder read again');

  // An edit in place that keeps the size and the mtime is invisible to the cache: proof that it did not read the file.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll('"run 0"', '"run X"'));
  fs.utimesSync(file, mtime, mtime);
  assert.deepEqual(names(await cache.list(root)), ['run 2', 'renamed', 'run 0']);
  // A new metrics line changes what a rebuilt record would say, so the run is read again.
  fs.appendFileSync(path.join(dirs[0], 'metrics.jsonl'), `${JSON.stringify({ kind: 'train', step: 2, epoch: 0, elapsedMs: 9, values: { negElbo: 499 } })}\n`);
  assert.deepEqual(names(await cache.list(root)), ['run 2', 'renamed', 'run X']);
  assert.equal(cache.reads.runs, 5);
});

test('a deleted run leaves the listing; a folder that holds no run is skipped; a missing root lists nothing', async () => {
  const { root, dirs } = await runsRoot(2);
  const cache = new RunFolderCache();
  await cache.list(root);
  fs.rmSync(dirs[0], { recursive: true });
  fs.mkdirSync(path.join(root, 'notes'));
  assert.deepEqual(names(await cache.list(root)), ['run 1']);
  assert.deepEqual(await cache.list(path.join(root, 'nowhere')), []);
});

test("a cached live run shows as interrupted once its trainer is gone, though no file changed", async () => {
  const { root, dirs } = await runsRoot(1);
  const trainer = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  patchRunRecord(dirs[0], (r) => ({ ...r, status: 'running', pid: trainer.pid! }));
  const cache = new RunFolderCache();
  assert.equal((await cache.list(root))[0].interrupted, false);
  trainer.kill();
  await once(trainer, 'exit');
  assert.equal((await cache.list(root))[0].interrupted, true);
  assert.equal(cache.reads.runs, 1);
});

test("a run's images are listed again when a grid or a generated image is added, and only then", async () => {
  const { root, dirs } = await runsRoot(1);
  const cache = new RunFolderCache();
  const [run] = await cache.list(root);
  assert.deepEqual((await cache.images([run.dir]))[0].grids.map((g) => g.step), [1]);
  assert.deepEqual((await cache.images([run.dir]))[0].grids.map((g) => g.step), [1]);
  assert.equal(cache.reads.images, 1);
  const folder = RunFolder.reopen(dirs[0], run.config as TrainConfig, 1, 4);
  folder.writeSample(2, 'samples', Buffer.from('png'));
  folder.writeSample(2, 'reconstruction', Buffer.from('png'));
  folder.close();
  assert.deepEqual((await cache.images([run.dir]))[0].grids.map((g) => g.step), [1, 2], 'the main grids only');
  const generated = path.join(run.dir, 'samples', 'generated');
  fs.mkdirSync(generated);
  fs.writeFileSync(path.join(generated, 'a.png'), 'png');
  fs.writeFileSync(path.join(generated, 'index.jsonl'), `${JSON.stringify({ file: 'a.png', step: 2, caption: 'drawn', createdAt: new Date().toISOString() })}\n{"broken"\n`);
  const [images] = await cache.images([run.dir]);
  assert.deepEqual(images.generated.map((g) => g.caption), ['drawn']);
  assert.equal(images.problems.length, 1, 'the damaged index line is reported');
  assert.equal(cache.reads.images, 3);
});
