import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyStats } from '../../src/extension/latencyStats';
import { Throttle } from '../../src/extension/throttle';

test('latency reports are bounded: a flood keeps only the newest ones, and the percentiles describe those', () => {
  const stats = new LatencyStats(1000);
  // An early slow phase, then a million fast reports, as a page in a loop would send.
  for (let i = 0; i < 500; i++) stats.add(900);
  for (let i = 0; i < 1_000_000; i++) stats.add(i % 10);
  assert.equal(stats.kept, 1000);
  assert.equal(stats.count, 1_000_500);
  assert.ok(stats.percentile(95) < 10, 'the old slow reports are gone');
  assert.match(stats.describe(), /over the last 1000 of 1000500 draws/);
});

test('latency percentiles over fewer reports than the capacity are over all of them', () => {
  const stats = new LatencyStats();
  for (const ms of [5, 1, 3, 2, 4]) stats.add(ms);
  assert.equal(stats.percentile(50), 3);
  assert.equal(stats.percentile(100), 5);
  assert.match(stats.describe(), /p50 3\.0 ms, p95 5\.0 ms over 5 draws/);
});

test('a throttle lets one action through per interval, however many are asked for', () => {
  let now = 0;
  const throttle = new Throttle(2000, () => now);
  const allowed = () => {
    let n = 0;
    for (let i = 0; i < 1000; i++) if (throttle.allow()) n++;
    return n;
  };
  assert.equal(allowed(), 1);
  now = 1999;
  assert.equal(allowed(), 0);
  now = 2000;
  assert.equal(allowed(), 1);
  now = 10_000;
  assert.equal(allowed(), 1);
});
