import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { readRunRecord } from '../../src/shared/runFolder';
import { CLI, processAlive, readJsonLines, ROOT, tempDir, until } from './helpers';

function genlab(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function schema(name: string) {
  return new Ajv({ allErrors: true }).compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'media', 'schemas', name), 'utf8')));
}

/** A run folder trained by the CLI: a 2-D model, so it has density views and checkpoints with a training state. */
function trainedRun(): string {
  const out = tempDir('check-run');
  const r = genlab(['train', 'gaussian', '--steps', '20', '--eval-every', '10', '--backend', 'cpu', '--out', out]);
  assert.equal(r.code, 0, r.err);
  const [id] = fs.readdirSync(out);
  return path.join(out, id);
}

function damagedCopy(run: string, damage: (dir: string) => void): string {
  const dir = path.join(tempDir('check-damaged'), path.basename(run));
  fs.cpSync(run, dir, { recursive: true });
  damage(dir);
  return dir;
}

test('a run folder trained by the CLI checks ok, and its files pass the committed schemas', () => {
  const run = trainedRun();
  const r = genlab(['runs', 'check', run]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, new RegExp(`^ok: ${path.basename(run)}: gaussian on 8gaussians, finished at step 20 of 20; 22 metrics records, 0 sample grids, 2 checkpoints, 2 density views, 0 generated, inspector: 1 network, 20 norms records, 0 activations records\\n$`));
  const validRun = schema('run.schema.json');
  assert.ok(validRun(JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'))), JSON.stringify(validRun.errors));
  const validLine = schema('metrics-record.schema.json');
  const lines = readJsonLines(path.join(run, 'metrics.jsonl'));
  assert.deepEqual(new Set(lines.map((l) => l.kind)), new Set(['train', 'eval']));
  for (const line of lines) assert.ok(validLine(line), `${JSON.stringify(line)}: ${JSON.stringify(validLine.errors)}`);
});

test('damaged copies of a run folder: each problem printed with its file and line, exit 1', () => {
  const run = trainedRun();
  const cases: [(dir: string) => void, RegExp][] = [
    [(dir) => fs.writeFileSync(path.join(dir, 'run.json'), fs.readFileSync(path.join(dir, 'run.json'), 'utf8').replace('"status": "finished"', '"status": "done"')), /^.*\/run\.json: status: expected one of "running", "finished", "stopped", "failed", got "done"$/m],
    [(dir) => fs.writeFileSync(path.join(dir, 'run.json'), '{\n  "formatVersion": 1,\n  "id": \n'), /^.*\/run\.json:\d: not valid JSON \(.+\)$/m],
    [
      (dir) => {
        const file = path.join(dir, 'metrics.jsonl');
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        lines[2] = lines[2].replace(/"step":\d+/, '"step":"three"');
        fs.writeFileSync(file, lines.join('\n'));
      },
      /^.*\/metrics\.jsonl:3: step: expected a finite number, got "three"; skipped$/m,
    ],
    [(dir) => fs.truncateSync(path.join(dir, 'checkpoints', 'step-000020', 'training-state.bin'), 10), /^.*\/checkpoints\/step-000020\/training-state\.bin: holds 10 bytes, and training-state\.json describes \d+$/m],
    [(dir) => fs.writeFileSync(path.join(dir, 'density', 'step-000010.json'), '{"field": "log-density"}'), /^.*\/density\/step-000010\.json: dim: is required$/m],
    [(dir) => fs.appendFileSync(path.join(dir, 'inspector', 'norms.jsonl'), '{"step":21,"layers":[{"network":"variables","layer":"x","weightNorm":-1}]}\n'), /^.*\/inspector\/norms\.jsonl:21: layers\[0\]\.weightNorm: .+; skipped$/m],
    [(dir) => fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')), formatVersion: 9 })), /^.*\/run\.json: is from a newer GenLab \(run format 9; this version reads formats up to 4\); check it with that GenLab$/m],
  ];
  for (const [damage, pattern] of cases) {
    const r = genlab(['runs', 'check', damagedCopy(run, damage)]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, pattern);
    assert.equal(r.out.trim().split('\n').length, 1, `one problem, one line: ${r.out}`);
  }
  assert.equal(genlab(['runs', 'check', path.join(run, 'no-such-folder')]).code, 1);
  const usage = genlab(['runs', 'check']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /usage: genlab runs check <run-folder>/);
  assert.match(genlab(['--help']).out, /^ +genlab runs check <run-folder> /m);
});

test('a run whose trainer was killed mid-write checks ok, as interrupted', async () => {
  const out = tempDir('check-killed');
  const host = spawn(process.execPath, [CLI, 'train', 'vae', '--steps', '100000', '--eval-every', '10', '--batch-size', '32', '--backend', 'wasm', '--json', '--out', out]);
  const exited = new Promise((r) => host.on('exit', r));
  await until(() => fs.readdirSync(out).length === 1 && fs.existsSync(path.join(out, fs.readdirSync(out)[0], 'checkpoints', 'step-000020')), 90000, 'two checkpoints');
  const run = path.join(out, fs.readdirSync(out)[0]);
  const { pid } = readRunRecord(run);
  process.kill(pid, 'SIGKILL');
  await until(() => !processAlive(pid), 20000, 'the trainer to die');
  await exited;
  const r = genlab(['runs', 'check', run]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^ok: vae-mnist-\S+: vae on mnist, interrupted at step \d+ of 100000; \d+ metrics records, \d+ sample grids?, [12] checkpoints, 0 density views, 0 generated, inspector: 2 networks, \d+ norms records, \d+ activations records$/m);
});
