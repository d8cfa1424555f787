/**
 * The examples of logging your own loop (examples/python, examples/node) run as a person runs
 * them, into a runs folder given by GENLAB_RUNS_DIR, and leave runs GenLab reads and scores: the
 * numpy mixture and the tfjs Gaussian reach GenLab's own figures on the same data. An example
 * whose library is missing here is skipped, saying which.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkRunFolder } from '../../src/shared/runCheck';
import { readMetricsLines, readRunRecord } from '../../src/shared/runFolder';
import { findPython, ROOT, tempDir } from './helpers';

/** Runs an example and returns its run folder's record and evaluations. */
function runExample(command: string, args: string[]) {
  const runs = tempDir('example');
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', timeout: 300000, env: { ...process.env, GENLAB_RUNS_DIR: runs, PYTHONPATH: path.join(ROOT, 'python') } });
  assert.equal(r.status, 0, r.stderr);
  const [id] = fs.readdirSync(runs);
  const dir = path.join(runs, id);
  assert.match(r.stdout, new RegExp(`GenLab run: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.deepEqual(checkRunFolder(dir).problems, []);
  return { dir, record: readRunRecord(dir), evals: readMetricsLines(path.join(dir, 'metrics.jsonl')).filter((m) => m.kind === 'eval') };
}

const numpy = findPython(['numpy']);
test('examples/python/mixture_2d.py: EM in numpy alone, scored exactly, near GenLab’s own mixture on moons', { skip: numpy ? false : 'numpy is not installed for any Python 3 here (Debian: apt install python3-numpy)' }, () => {
  const { dir, record, evals } = runExample(numpy!, ['examples/python/mixture_2d.py', '--iterations', '60']);
  assert.equal(record.status, 'finished');
  assert.equal(record.config.family === 'external' && record.config.external.metricKind, 'exact');
  const nll = evals.at(-1)!.values.test_nll;
  // GenLab's mixture reaches about 2.43 nats on moons; EM from a random start gets there within a few tenths.
  assert.ok(nll > 2 && nll < 2.8, `test NLL ${nll}`);
  assert.equal(fs.readdirSync(path.join(dir, 'density')).length, 3);
});

const torch = findPython(['numpy', 'torch']);
test('examples/python/vae_mnist.py: a PyTorch VAE on GenLab’s MNIST, scored by a bound, with sample grids', { skip: torch ? false : 'PyTorch is not installed for any Python 3 here (Debian: apt install python3-torch)' }, () => {
  const { dir, record, evals } = runExample(torch!, ['examples/python/vae_mnist.py', '--steps', '120']);
  assert.equal(record.config.family === 'external' && record.config.external.metricKind, 'bound');
  const nelbo = evals.at(-1)!.values.test_nelbo;
  // Below 784 ln 2 = 543 nats (coin flips for every pixel): it learned something.
  assert.ok(nelbo > 60 && nelbo < 543, `test -ELBO ${nelbo}`);
  assert.ok(fs.existsSync(path.join(dir, 'samples', 'step-000120.png')));
  assert.equal(record.config.family === 'external' && path.basename(record.config.external.checkpoints?.[0].path ?? ''), 'vae.pt');
});

test('examples/node/gaussian_2d.mjs: a tfjs loop, scored exactly, near GenLab’s own Gaussian on moons', () => {
  const { record, evals } = runExample(process.execPath, ['examples/node/gaussian_2d.mjs', '300']);
  assert.equal(record.config.family === 'external' && record.config.external.writer.language, 'node');
  const nll = evals.at(-1)!.values.testNll;
  // The maximum-likelihood Gaussian of moons scores about 3.29 nats (genlab train gaussian --dataset moons).
  assert.ok(nll > 3.1 && nll < 3.6, `test NLL ${nll}`);
});
