import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import { completeConfig } from '../../src/protocol/config';
import { decodeProblem, metricsRecord, RUN_FORMAT_VERSION, runFormatSchemas, runRecord } from '../../src/protocol/runFormat';
import { problemText } from '../../src/shared/decodedFiles';
import { checkRunFolder } from '../../src/shared/runCheck';
import { createRunDir, latestResumableCheckpoint, listGenerated, readRunRecord, readTrainingState, RunFolder, writeTrainingState } from '../../src/shared/runFolder';
import { UserError } from '../../src/shared/userError';

const SCHEMA_DIR = path.join('media', 'schemas');
const ajv = new Ajv({ allErrors: true });
const schemaErrors = (name: 'run.schema.json' | 'metrics-record.schema.json', value: unknown) => {
  const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name), 'utf8')));
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message}`);
};

/** A finished 2-D run as the trainer writes it: metrics, a density view, two checkpoints with their training state. */
async function writeRun() {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-format-'));
  const config = completeConfig({ family: 'gaussian', steps: 4, evalEvery: 2, runsDir });
  const folder = RunFolder.create(config, 'cpu (pure JavaScript)', { 'tfjs-core': '4.22.0' }, 4);
  for (const step of [2, 4]) {
    folder.appendMetrics({ kind: 'train', step, epoch: step, elapsedMs: step * 10, values: { nll: 5 - step / 10 } });
    folder.appendMetrics({ kind: 'eval', step, epoch: step, elapsedMs: step * 10 + 1, values: { testNll: 5 - step / 5 } });
    folder.writeDensity(step, { field: 'log-density', dim: 2, extent: [-1, 1, -1, 1], width: 2, height: 1, values: [-1, -2], samples: [0, 0], test: [0.5, 0.5] });
    await folder.writeCheckpoint(step, async (dir) => {
      fs.mkdirSync(dir, { recursive: true });
      writeTrainingState(dir, step, [{ name: 'gaussian/0', shape: [1, 2], dtype: 'float32' }, { name: 'step', shape: [1], dtype: 'int32' }], new Uint8Array(12));
    });
  }
  await folder.writeBestCheckpoint(async (dir) => {
    fs.mkdirSync(dir, { recursive: true });
    writeTrainingState(dir, 4, [{ name: 'gaussian/0', shape: [1, 2], dtype: 'float32' }], new Uint8Array(8));
  });
  const best = { step: 4, metric: 'testNll', value: 4.2 };
  folder.update({ status: 'finished', finishedAt: new Date().toISOString(), progress: { step: 4, epoch: 4, totalSteps: 4 }, finalMetrics: { testNll: 4.2 }, best });
  folder.close();
  return { folder, config, runsDir };
}

const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

test('the committed schemas are the ones the decoders generate', () => {
  for (const [name, schema] of Object.entries(runFormatSchemas())) {
    const file = path.join(SCHEMA_DIR, name);
    const generated = `${JSON.stringify(schema, null, 2)}\n`;
    if (process.env.GENLAB_WRITE_SCHEMA) fs.writeFileSync(file, generated);
    assert.equal(fs.readFileSync(file, 'utf8'), generated, `${file} is stale: GENLAB_WRITE_SCHEMA=1 node scripts/run-tests.mjs test/unit/runFormat.test.ts rewrites it`);
  }
});

test('a run folder as the writer leaves it passes the schemas, the decoders and the check', async () => {
  const { folder } = await writeRun();
  const record: unknown = JSON.parse(fs.readFileSync(path.join(folder.dir, 'run.json'), 'utf8'));
  assert.deepEqual(schemaErrors('run.schema.json', record), []);
  assert.ok(decodeProblem(runRecord, record).ok);
  const metrics = lines(path.join(folder.dir, 'metrics.jsonl'));
  assert.equal(metrics.length, 4);
  for (const line of metrics) {
    assert.deepEqual(schemaErrors('metrics-record.schema.json', JSON.parse(line)), [], line);
    assert.ok(decodeProblem(metricsRecord, JSON.parse(line)).ok, line);
  }
  const check = checkRunFolder(folder.dir);
  assert.deepEqual(check.problems.map((p) => problemText(p)), []);
  assert.equal(check.summary, `${folder.id}: gaussian on 8gaussians, finished at step 4 of 4; 4 metrics records, 0 sample grids, 2 checkpoints, 2 density views, 0 generated`);
  assert.equal(readTrainingState(latestResumableCheckpoint(folder.dir)!.dir).step, 4);
  writeTrainingState(path.join(folder.dir, 'checkpoints', 'best'), 2, [], new Uint8Array(0));
  assert.deepEqual(checkRunFolder(folder.dir).problems.map((p) => problemText(p, folder.dir)), ["checkpoints/best/training-state.json: step: says 2, and run.json's best is step 4"]);
});

test('the schemas and the decoders reject the same damaged records', () => {
  const good = { formatVersion: 1, id: 'r', status: 'finished', pid: 1, config: completeConfig({ family: 'vae', steps: 3 }), seed: 0, backend: 'cpu', versions: {}, createdAt: 't', updatedAt: 't', progress: { step: 3, epoch: 0, totalSteps: 3 }, finalMetrics: { testNegElbo: null } };
  assert.deepEqual(schemaErrors('run.schema.json', good), []);
  assert.ok(decodeProblem(runRecord, good).ok, 'a record of format 1, with a diverged final metric (null in JSON), reads');
  assert.ok(decodeProblem(runRecord, { ...good, formatVersion: 2, best: { step: 3, metric: 'testNegElbo', value: 90 } }).ok);
  const bad = [{ ...good, status: 'paused' }, { ...good, progress: { step: 3, epoch: 0 } }, { ...good, finalMetrics: { testNegElbo: 'low' } }, { ...good, config: 'vae' }, { ...good, extra: 1 }];
  for (const record of bad) {
    assert.notDeepEqual(schemaErrors('run.schema.json', record), [], `the schema accepts ${JSON.stringify(record).slice(0, 80)}`);
    assert.equal(decodeProblem(runRecord, record).ok, false, `the decoder accepts ${JSON.stringify(record).slice(0, 80)}`);
  }
  const metric = { kind: 'train', step: 1, epoch: 0, elapsedMs: 5, values: { loss: 1 } };
  for (const line of [{ ...metric, kind: 'test' }, { ...metric, step: -1 }, { ...metric, values: [1] }]) {
    assert.notDeepEqual(schemaErrors('metrics-record.schema.json', line), [], JSON.stringify(line));
    assert.equal(decodeProblem(metricsRecord, line).ok, false, JSON.stringify(line));
  }
});

test('the check lists every damaged file with its path and line; the readers that must not guess refuse, naming the fix', async () => {
  const { folder } = await writeRun();
  const file = (...p: string[]) => path.join(folder.dir, ...p);
  const metrics = lines(file('metrics.jsonl'));
  fs.writeFileSync(file('metrics.jsonl'), `${[metrics[0], '{"kind":"train",', metrics[2], JSON.stringify({ kind: 'eval', step: 4, epoch: 4, elapsedMs: 1, values: { testNll: 'x' } })].join('\n')}\n`);
  const record = JSON.parse(fs.readFileSync(file('run.json'), 'utf8'));
  fs.writeFileSync(file('run.json'), JSON.stringify({ ...record, status: 'done' }));
  fs.writeFileSync(file('density', 'step-000002.json'), '{"field": "log-density",\n "dim": 2,\n "extent": "cut off');
  fs.truncateSync(file('checkpoints', 'step-000004', 'training-state.bin'), 8);
  fs.writeFileSync(file('checkpoints', 'step-000002', 'training-state.json'), JSON.stringify({ step: 3, manifest: [] }));
  fs.truncateSync(file('checkpoints', 'step-000002', 'training-state.bin'), 0);
  fs.mkdirSync(file('samples', 'generated'), { recursive: true });
  fs.writeFileSync(file('samples', 'generated', 'index.jsonl'), `${JSON.stringify({ file: 'gone.png', caption: 'c', step: 4, createdAt: 't' })}\n{"file": 3}\n`);

  const problems = checkRunFolder(folder.dir).problems.map((p) => problemText(p, folder.dir));
  // JSON.parse words its messages differently from one Node version to the next; the line is GenLab's.
  const expected = [
    /^run\.json: status: expected one of "running", "finished", "stopped", "failed", got "done"$/,
    /^metrics\.jsonl:2: not valid JSON \(.+\); skipped$/,
    /^metrics\.jsonl:4: values\.testNll: expected a finite number, got "x"; skipped$/,
    /^samples\/generated\/index\.jsonl:2: file: expected a string, got number 3; skipped$/,
    /^samples\/generated\/index\.jsonl: names gone\.png, which is missing or not a plain file$/,
    /^density\/step-000002\.json:3: not valid JSON \(.+\)$/,
    /^checkpoints\/step-000002\/training-state\.json: step: says 3, and its folder is step-000002$/,
    /^checkpoints\/step-000004\/training-state\.bin: holds 8 bytes, and training-state\.json describes 12$/,
  ];
  assert.equal(problems.length, expected.length, problems.join('\n'));
  expected.forEach((pattern, i) => assert.match(problems[i], pattern));
  assert.equal(listGenerated(folder.dir).length, 0);
  assert.throws(() => readRunRecord(folder.dir), (err: unknown) => err instanceof UserError && /run\.json: status: expected one of/.test(err.message) && /genlab runs check/.test(err.hint));
  assert.throws(() => readTrainingState(file('checkpoints', 'step-000004')), (err: unknown) => err instanceof UserError && /training-state\.bin: holds 8 bytes/.test(err.message) && /Delete this checkpoint folder/.test(err.hint));
  fs.writeFileSync(file('run.json'), JSON.stringify({ ...record, formatVersion: RUN_FORMAT_VERSION + 1, newField: true }));
  const newer = new RegExp(`is from a newer GenLab \\(run format ${RUN_FORMAT_VERSION + 1}; this version reads formats up to ${RUN_FORMAT_VERSION}\\)`);
  assert.throws(() => readRunRecord(folder.dir), (err: unknown) => err instanceof UserError && newer.test(err.message) && /Update GenLab/.test(err.hint));
  assert.match(problemText(checkRunFolder(folder.dir).problems[0]), new RegExp(`run\\.json: is from a newer GenLab \\(run format ${RUN_FORMAT_VERSION + 1}; .*\\); check it with that GenLab$`));
  assert.deepEqual(checkRunFolder(file('no-such-run')).problems.map((p) => p.problem), ['is not a folder']);
});

test('two runs never share a folder: a name taken first gets a new suffix', () => {
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-collide-'));
  const dirs = [0, 1, 2].map(() => createRunDir(path.join(runsDir, 'new'), 'vae-mnist-20260101-000000-abcd'));
  assert.deepEqual(dirs.map((d) => path.basename(d)), ['vae-mnist-20260101-000000-abcd', 'vae-mnist-20260101-000000-abcd-2', 'vae-mnist-20260101-000000-abcd-3']);
  const config = completeConfig({ family: 'gaussian', steps: 4, runsDir });
  const runs = [0, 1].map(() => RunFolder.create(config, 'cpu', {}, 4));
  for (const run of runs) run.close();
  assert.notEqual(runs[0].dir, runs[1].dir);
  for (const run of runs) assert.equal(readRunRecord(run.dir).id, path.basename(run.dir), 'the id is the folder it got');
});

test('pruning and replacing checkpoints leave only whole ones, and what a kill left half done is cleaned up on reopening', async () => {
  const { folder, config } = await writeRun();
  const root = path.join(folder.dir, 'checkpoints');
  const reopened = RunFolder.reopen(folder.dir, config, 4, 8);
  for (const step of [4, 6, 8]) {
    await reopened.writeCheckpoint(step, async (dir) => {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'model.json'), String(step));
    });
  }
  reopened.close();
  assert.deepEqual(fs.readdirSync(root).sort(), ['best', 'step-000006', 'step-000008'], 'the best checkpoint is never pruned');
  // What a trainer killed mid-write or mid-prune leaves: a checkpoint being written, one being removed.
  fs.mkdirSync(path.join(root, '.step-000010.tmp'));
  fs.mkdirSync(path.join(root, '.best.tmp'));
  fs.cpSync(path.join(root, 'step-000006'), path.join(root, '.step-000006.old'), { recursive: true });
  RunFolder.reopen(folder.dir, config, 8, 10).close();
  assert.deepEqual(fs.readdirSync(root).sort(), ['best', 'step-000006', 'step-000008']);
  assert.equal(fs.readFileSync(path.join(root, 'step-000008', 'model.json'), 'utf8'), '8');
});
