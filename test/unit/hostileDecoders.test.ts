import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { completeConfig, trainConfig } from '../../src/protocol/config';
import { decode, num, object, recordOf } from '../../src/protocol/decode';
import { experimentConfig } from '../../src/protocol/experiment';
import { hostMessage, type TrainerMessage } from '../../src/protocol/messages';
import { fromDashboard, fromGallery } from '../../src/protocol/webview';

const config = completeConfig({ family: 'vae', steps: 10 });

/** JSON.parse makes `__proto__` an own key, as it arrives over IPC or from a file. */
const parsed = (json: string): unknown => JSON.parse(json);

test('unknown keys named like Object.prototype members are rejected, in messages, configs, models and webview messages', () => {
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const stop = decode(hostMessage, parsed(`{"type":"stop","${key}":{}}`), 'message');
    assert.ok(!stop.ok && stop.error.includes(`message.${key}: is not a known field`), `${key}: ${JSON.stringify(stop)}`);
    const top = decode(trainConfig, { ...config, ...(parsed(`{"${key}":1}`) as object) }, 'config');
    assert.ok(!top.ok && top.error.includes(`config.${key}: is not a known field`), `${key}: ${JSON.stringify(top)}`);
    const model = decode(trainConfig, { ...config, model: { ...config.model, ...(parsed(`{"${key}":1}`) as object) } }, 'config');
    assert.ok(!model.ok && model.error.includes(`config.model.${key}: is not a known field`), `${key}: ${JSON.stringify(model)}`);
    assert.equal(decode(fromDashboard, parsed(`{"type":"sampleNow","${key}":1}`)).ok, false, key);
    assert.equal(decode(fromGallery, parsed(`{"type":"ready","${key}":1}`)).ok, false, key);
  }
});

test('a required field is an own property: one inherited from a prototype does not count', () => {
  const decoder = object({ toString: num() });
  assert.match(String((decode(decoder, {}) as { error: string }).error), /value\.toString: is required/);
  assert.deepEqual(decode(decoder, { toString: 3 }), { ok: true, value: { toString: 3 } });
});

test('a record keyed by the sender keeps `__proto__` as a plain key and never sets a prototype', () => {
  const r = decode(recordOf(num()), parsed('{"__proto__":{"polluted":1},"a":1}'));
  assert.equal(r.ok, false);
  const ok = decode(recordOf(num()), parsed('{"__proto__":5,"a":1}'));
  assert.ok(ok.ok);
  assert.equal(Object.getPrototypeOf(ok.value), Object.prototype);
  assert.deepEqual(Object.keys(ok.value), ['__proto__', 'a']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('an experiment file with a field named constructor is refused', () => {
  assert.throws(() => experimentConfig('{"family":"vae","constructor":1}', '/w/x.genlab.json', ['/w'], '/w/runs'), /constructor: is not a known field/);
});

test('errors quote a bounded excerpt of bad input: a megabyte key or value never comes back whole', () => {
  const huge = 'x'.repeat(1_000_000);
  const cases: unknown[] = [
    { type: 'stop', [huge]: 1 },
    { type: huge },
    { type: 'start', config: { ...config, runsDir: 7, runName: huge } },
    { type: 'start', config: { ...config, model: { ...config.model, [huge]: 1 } } },
    { type: 'start', config: { ...config, family: huge } },
    { type: 'generate', runDir: huge, request: { type: huge } },
  ];
  for (const input of cases) {
    const r = decode(hostMessage, input, 'message');
    assert.ok(!r.ok);
    assert.ok(r.error.length < 600, `${r.error.length} characters: ${r.error.slice(0, 120)}`);
  }
  assert.ok((decode(recordOf(num()), { [huge]: 'no' }) as { error: string }).error.length < 200);
});

test('the real trainer answers a hostile message with a bounded error and keeps running', async () => {
  const trainer = fork(path.resolve(__dirname, '../../src/trainer/main.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  const replies: TrainerMessage[] = [];
  trainer.on('message', (m) => replies.push(m as TrainerMessage));
  const exited = new Promise<number | null>((resolve) => trainer.on('exit', resolve));
  try {
    trainer.send({ type: 'sampleNow', ['y'.repeat(500_000)]: 1, constructor: 'x' });
    trainer.send(parsed('{"type":"stop","__proto__":{"polluted":true}}') as object);
    const deadline = Date.now() + 20000;
    while (replies.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(replies.length, 2, 'one error reply per hostile message');
    for (const reply of replies) {
      assert.equal(reply.type, 'error');
      assert.ok(reply.type === 'error' && !reply.fatal && reply.message.length < 400, JSON.stringify(reply).slice(0, 200));
    }
    assert.match((replies[1] as { message: string }).message, /message\.__proto__: is not a known field/);
    // A valid stop before any run ends the trainer: it was still listening.
    trainer.send({ type: 'stop' });
    assert.equal(await exited, 0);
  } finally {
    trainer.kill();
  }
});
