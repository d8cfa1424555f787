// Data no model can learn from is refused where the CSV file is read, with the same message for
// every family that models points: each is trained through the real session on such a file and
// must fail before training, naming the column, the file and the fix, never with a NaN later.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { completeConfig, type ConfigInput } from '../../src/protocol/config';
import type { TrainerMessage } from '../../src/protocol/messages';
import { UserError } from '../../src/shared/userError';
import { type BackendInfo, initBackend } from '../../src/trainer/backend/select';
import { TrainingSession } from '../../src/trainer/session';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-point-checks-'));
let backend: BackendInfo;

before(async () => {
  backend = await initBackend('wasm');
});

/** A 2-D CSV file of 40 rows: x from `x(i)`, y varying. */
function csv(name: string, x: (i: number) => string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, `x,y\n${Array.from({ length: 40 }, (_, i) => `${x(i)},${(i * 7) % 13}`).join('\n')}\n`);
  return file;
}

const cases = [
  { file: csv('flat.csv', () => '5'), message: /^x in flat\.csv holds one value, 5, in all 40 rows: a density of it has no spread to learn/, hint: /Choose a column whose values vary/ },
  { file: csv('offset.csv', (i) => `${1e9 + (i % 3)}`), message: /^x in offset\.csv varies by 0\.8.* around 1e9: 32-bit floats keep about 7 significant digits/, hint: /Subtract a round number near 1e9/ },
  { file: csv('huge.csv', (i) => `${(i - 20) * 3e19}`), message: /^x in huge\.csv is spread too widely for 32-bit floats/, hint: /Divide the column by 1e21/ },
];

const families: ConfigInput[] = [
  { family: 'gaussian' },
  { family: 'mixture', model: { components: 2 } },
  { family: 'realnvp', model: { couplings: 2, hiddenSizes: [8] } },
  { family: 'vae', model: { hiddenSizes: [8] } },
  { family: 'gan', model: { hiddenSizes: [8] } },
  { family: 'ddpm', model: { hiddenSizes: [8] } },
];

for (const input of families) {
  test(`${input.family} on a CSV column it cannot learn from fails before training, naming the column and the fix`, async () => {
    for (const { file, message, hint } of cases) {
      const messages: TrainerMessage[] = [];
      const config = completeConfig({ ...input, dataset: 'csv', data: { type: 'csv', path: file, columns: ['x', 'y'] }, steps: 5, runsDir: path.join(root, 'runs'), backend: 'wasm' });
      const error = await new TrainingSession(config, backend, (m) => messages.push(m)).execute().then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(error instanceof UserError, `${input.family} on ${path.basename(file)}: ${String(error)}`);
      assert.match(error.message, message);
      assert.match(error.hint, hint);
      // What the dashboard shows: the run failed with that message, and no step was taken.
      assert.deepEqual(messages.at(-1), { type: 'status', state: 'failed', detail: error.message });
      assert.ok(!messages.some((m) => m.type === 'started' || m.type === 'metrics'), 'nothing trained');
    }
  });
}
