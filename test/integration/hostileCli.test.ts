import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLI, tempDir } from './helpers';

function genlab(args: string[], cwd?: string) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000, cwd });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - started };
}

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

test('a model too big to fit is refused at once, with its size and the flag that raises the limit', () => {
  const r = genlab(['train', 'vae', '--hidden', Array(200).fill(8192).join(',')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /model: has 26\.7 G parameters \(106\.9 GB of weights, about 427\.6 GB in training with Adam\), above the limit of 50 M/);
  assert.match(r.err, /--max-parameters/);
  assert.ok(r.ms < 20000, `refused in ${r.ms} ms, before any training`);
});

test('--max-parameters sets the limit the config is checked against', () => {
  const r = genlab(['train', 'vae', '--dataset', 'moons', '--max-parameters', '1000']);
  assert.equal(r.code, 2);
  assert.match(r.err, /has 34\.8 k parameters .* above the limit of 1 k/);
  const bad = genlab(['train', 'vae', '--max-parameters', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--max-parameters expects a number, got "lots"/);
});

test('--steps 1e12 is refused with the reason for the bound', () => {
  const r = genlab(['train', 'vae', '--steps', '1e12']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--steps: must be at most 10000000 \(days of training on a CPU/);
});

test('a UserError from the trainer is printed as its message and hint, without a stack trace', () => {
  const dir = tempDir('hostile-cli');
  const file = path.join(dir, 'words.csv');
  fs.writeFileSync(file, 'height\ntall\nshort\nmedium\n');
  const r = genlab(['train', 'gaussian', '--data', file, '--columns', 'height', '--out', path.join(dir, 'runs')]);
  assert.equal(r.code, 1);
  const printed = `${r.out}\n${r.err}`;
  assert.match(printed, /Error: .*words\.csv/);
  assert.doesNotMatch(printed, STACK_FRAME, printed);
});
