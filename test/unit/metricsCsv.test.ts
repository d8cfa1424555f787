import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsToCsv } from '../../src/extension/metricsCsv';

test('metrics CSV: one column per metric, gaps left empty, names quoted when needed', () => {
  const csv = metricsToCsv([
    { kind: 'train', step: 1, epoch: 0.01, elapsedMs: 12.4, values: { nll: 3.5 } },
    { kind: 'train', step: 2, epoch: 0.02, elapsedMs: 20, values: { nll: 3.25, 'odd,name': 1 } },
    { kind: 'eval', step: 2, epoch: 0.02, elapsedMs: 25, values: { testNll: 3.1 } },
  ]);
  assert.equal(csv, ['kind,step,epoch,elapsed_ms,nll,"odd,name",testNll', 'train,1,0.01,12,3.5,,', 'train,2,0.02,20,3.25,1,', 'eval,2,0.02,25,,,3.1', ''].join('\n'));
});
