/**
 * The native backend's installer, in the parts that need no network: the wheel's zip reader
 * (zip64 too, as Python writes it), the layout of libtensorflow from a wheel, pip's index
 * configuration and its simple-index pages, the download cache's integrity check against a local
 * server, and the refusals before anything is changed. The whole install runs in CI (.ci/run)
 * and in the UI test e2e/ui/nativeBackend.test.mjs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { UPSTREAM_LIBTENSORFLOW, WHEEL_PROJECTS } from '../../src/protocol/native';
import { describeInstall } from '../../src/shared/native/describe';
import { cachedDownload } from '../../src/shared/native/download';
import { installNativeBackend, layOutLibtensorflow, upstreamLibtensorflowUrl } from '../../src/shared/native/install';
import { findNativeInstall, installDir } from '../../src/shared/native/location';
import { findTensorflowWheel, indexUrlInConfig, pipIndexUrl, PYPI_SIMPLE, wheelLinks } from '../../src/shared/native/pipIndex';
import { extractEntry, zipEntries } from '../../src/shared/native/zip';
import { UserError } from '../../src/shared/userError';
import { findPython } from '../integration/helpers';

const PYTHON = findPython([]);
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `genlab-${name}-`));

/** A zip written by Python's zipfile: members given as name → bytes (deflated), zip64 forced where asked. */
function pythonZip(file: string, members: Record<string, string>, zip64 = false): void {
  const code = `import json, sys, zipfile
members = json.load(sys.stdin)
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in members.items():
        with z.open(name, "w", force_zip64=${zip64 ? 'True' : 'False'}) as f:
            f.write(text.encode())
    z.writestr("empty.txt", b"")`;
  const r = spawnSync(PYTHON!, ['-c', code, file], { input: JSON.stringify(members), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

test('zip members read back as written: deflated, empty, and with the zip64 local headers Python writes for large members', { skip: !PYTHON && 'no Python 3 to write the zip files' }, async () => {
  const dir = tmp('zip');
  const big = 'libtensorflow '.repeat(50000);
  for (const zip64 of [false, true]) {
    const file = path.join(dir, `w${zip64}.whl`);
    pythonZip(file, { 'tensorflow/libtensorflow_cc.so.2': big, 'tensorflow/include/tensorflow/c/c_api.h': '#define TF 1\n' }, zip64);
    const entries = zipEntries(file);
    assert.deepEqual(entries.map((e) => e.name), ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/include/tensorflow/c/c_api.h', 'empty.txt']);
    for (const entry of entries) {
      const out = path.join(dir, 'out');
      await extractEntry(file, entry, out);
      assert.equal(fs.readFileSync(out, 'utf8'), entry.name === 'empty.txt' ? '' : entry.name.endsWith('.h') ? '#define TF 1\n' : big, `${entry.name} (zip64 ${zip64})`);
    }
    assert.ok(entries[0].compressedSize < entries[0].size / 10, 'the library was deflated');
  }
  fs.writeFileSync(path.join(dir, 'not.whl'), 'plain text, no directory');
  assert.throws(() => zipEntries(path.join(dir, 'not.whl')), /not a zip archive/);
});

test("libtensorflow is laid out from a wheel as tfjs-node's install expects it, headers and all", { skip: !PYTHON && 'no Python 3 to write the zip files' }, async () => {
  const dir = tmp('layout');
  const wheel = path.join(dir, 'tensorflow_cpu.whl');
  pythonZip(wheel, {
    'tensorflow/libtensorflow_cc.so.2': 'cc',
    'tensorflow/libtensorflow_framework.so.2': 'framework',
    'tensorflow/include/tensorflow/c/c_api.h': 'c api',
    'tensorflow/include/tsl/platform/ctstring.h': 'ctstring',
    'tensorflow/include/tensorflow/core/framework/tensor.h': 'not the C API',
    'tensorflow/python/_pywrap.so': 'python',
  });
  const deps = path.join(dir, 'deps');
  await layOutLibtensorflow(wheel, deps);
  const lib = path.join(deps, 'lib');
  assert.equal(fs.readFileSync(path.join(lib, `libtensorflow.so.${UPSTREAM_LIBTENSORFLOW}`), 'utf8'), 'cc', 'the name install.js looks for is the C API library');
  assert.equal(fs.readlinkSync(path.join(lib, 'libtensorflow.so')), 'libtensorflow_cc.so.2');
  assert.equal(fs.readFileSync(path.join(lib, 'libtensorflow_framework.so'), 'utf8'), 'framework');
  assert.equal(fs.readFileSync(path.join(deps, 'include', 'tensorflow', 'c', 'c_api.h'), 'utf8'), 'c api');
  assert.ok(fs.existsSync(path.join(deps, 'include', 'tsl', 'platform', 'ctstring.h')));
  assert.ok(!fs.existsSync(path.join(deps, 'include', 'tensorflow', 'core', 'framework')), 'only the C API headers');
  const incomplete = path.join(dir, 'incomplete.whl');
  pythonZip(incomplete, { 'tensorflow/libtensorflow_cc.so.2': 'cc' });
  await assert.rejects(layOutLibtensorflow(incomplete, path.join(dir, 'deps2')), (e: unknown) => e instanceof UserError && /does not hold libtensorflow_cc\.so\.2 and libtensorflow_framework\.so\.2/.test(e.message));
});

test("the pip index is the one pip would use: PIP_INDEX_URL, then pip.conf's index-url, else PyPI", () => {
  const home = tmp('pip');
  const config = path.join(home, 'pip.conf');
  fs.writeFileSync(config, '[global]\ncert = /etc/ssl/certs/ca.crt\n[install]\nindex-url = https://mirror.example/pypi/simple\n');
  assert.equal(indexUrlInConfig(fs.readFileSync(config, 'utf8')), 'https://mirror.example/pypi/simple');
  assert.equal(indexUrlInConfig('[freeze]\nindex-url = https://elsewhere.example/\n'), undefined, 'another command’s section');
  assert.deepEqual(pipIndexUrl({ PIP_CONFIG_FILE: config, XDG_CONFIG_HOME: home }), { url: 'https://mirror.example/pypi/simple/', from: config });
  assert.equal(pipIndexUrl({ PIP_CONFIG_FILE: config, PIP_INDEX_URL: 'http://127.0.0.1:3141/root/pypi/+simple' }).url, 'http://127.0.0.1:3141/root/pypi/+simple/');
  assert.equal(pipIndexUrl({ XDG_CONFIG_HOME: home, PIP_CONFIG_FILE: path.join(home, 'missing.conf') }).url.startsWith('https://'), true);
  assert.equal(PYPI_SIMPLE, 'https://pypi.org/simple/');
});

test("a simple-index page's links give each file's address and sha256", () => {
  const sha = 'a'.repeat(64);
  const html = `<html><body>
    <a href="../../packages/d2/tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl#sha256=${sha}" data-requires-python="&gt;=3.9">tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl</a><br/>
    <a href="https://files.example/tensorflow_cpu-2.15.1.tar.gz">tensorflow_cpu-2.15.1.tar.gz</a>
  </body></html>`;
  assert.deepEqual(wheelLinks(html, 'https://pypi.example/simple/tensorflow-cpu/'), [
    { filename: 'tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', url: 'https://pypi.example/packages/d2/tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', sha256: sha },
  ]);
});

test('each build finds its own wheel in the index: tensorflow-cpu for the CPU build, tensorflow (CUDA) for the GPU one, the newest CPython tag', async () => {
  const sha = (c: string) => c.repeat(64);
  // PEP 503: each link's text is the file's name.
  const link = (file: string, hash: string) => `<a href="/f/${file}#sha256=${hash}">${file}</a>`;
  const pages: Record<string, string> = {
    '/simple/tensorflow-cpu/': ['cp39', 'cp311', 'cp310'].map((py) => link(`tensorflow_cpu-2.15.1-${py}-${py}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`, sha('c'))).join('\n'),
    '/simple/tensorflow/': [
      link('tensorflow-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', sha('d')),
      link('tensorflow-2.15.1-cp311-cp311-macosx_10_15_x86_64.whl', sha('e')),
      link('tensorflow-2.16.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', sha('f')),
    ].join('\n'),
  };
  const server = http.createServer((req, res) => {
    const page = pages[req.url ?? ''];
    res.writeHead(page ? 200 : 404).end(page ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const env = { PIP_INDEX_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple/` };
  try {
    const cpu = await findTensorflowWheel(WHEEL_PROJECTS.cpu, '2.15.1', env);
    assert.deepEqual([cpu.filename, cpu.sha256], ['tensorflow_cpu-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', sha('c')]);
    const gpu = await findTensorflowWheel(WHEEL_PROJECTS.gpu, '2.15.1', env);
    assert.deepEqual([gpu.filename, gpu.sha256], ['tensorflow-2.15.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', sha('d')]);
    await assert.rejects(findTensorflowWheel('tensorflow', '2.9.1', env), (e: unknown) => e instanceof UserError && e.message.includes('has no tensorflow 2.9.1 wheel for Linux x86_64') && e.hint.includes("mirrors PyPI's tensorflow 2.9.1"));
    assert.equal(upstreamLibtensorflowUrl({}, 'gpu'), `https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-gpu-${process.platform === 'linux' ? 'linux' : process.platform}-x86_64-${UPSTREAM_LIBTENSORFLOW}.tar.gz`);
  } finally {
    server.close();
  }
});

test('a download whose sha256 is not the index’s is deleted and refused; a good one is kept and reused', async () => {
  const body = Buffer.from('the wheel, or so it says');
  let served = 0;
  const server = http.createServer((_req, res) => {
    served++;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/w.whl`;
  const env = { GENLAB_CACHE_DIR: tmp('cache') };
  try {
    await assert.rejects(cachedDownload(url, 'w.whl', { sha256: 'b'.repeat(64) }, env), (e: unknown) => e instanceof UserError && /arrived with sha256 [0-9a-f]{64}, not the b{64} its index gives/.test(e.message));
    assert.deepEqual(fs.readdirSync(path.join(env.GENLAB_CACHE_DIR, 'downloads')), [], 'nothing is left of it');
    const sha256 = createHash('sha256').update(body).digest('hex');
    const first = await cachedDownload(url, 'w.whl', { sha256 }, env);
    assert.equal(fs.readFileSync(first.file, 'utf8'), body.toString());
    const again = await cachedDownload(url, 'w.whl', { sha256 }, env);
    assert.deepEqual([first.reused, again.reused, served], [false, true, 2]);
  } finally {
    server.close();
  }
});

test('without npm the install refuses before changing anything, naming what to install', async () => {
  const root = tmp('native');
  const env = { GENLAB_NATIVE_DIR: root, PATH: tmp('empty-path') };
  await assert.rejects(installNativeBackend({ env, progress: { report: () => {}, log: () => {} } }), (e: unknown) => e instanceof UserError && /needs npm/.test(e.message) && /Install Node\.js/.test(e.hint));
  assert.deepEqual(fs.readdirSync(root), [], 'no staging folder is left behind');
  const install = findNativeInstall(env);
  assert.deepEqual([install.ok, install.dir], [false, installDir(env)]);
  assert.match(describeInstall(install), /^Native backend \(tfjs-node\): not installed \(.*\)\. GenLab: Install Native Backend, or `genlab native install`, adds it; until then training uses wasm\.$/);
});
