import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { completeConfig, FAMILIES, FAMILY_SPECS, type Family } from '../../src/protocol/config';
import { dataKindOf } from '../../src/protocol/datasets';
import { DecodeError } from '../../src/protocol/decode';

interface Command {
  command: string;
  title: string;
  category: string;
  icon?: string;
}
const MANIFEST_FILE = 'package.json';
const manifestText = readFileSync(MANIFEST_FILE, 'utf8');
const manifest = JSON.parse(manifestText) as { activationEvents?: string[]; contributes: { commands: Command[] } };
const NLS_FILE = 'package.nls.json';
const nlsText = readFileSync(NLS_FILE, 'utf8');
const nls = JSON.parse(nlsText) as Record<string, string>;

/** The package.nls.json key of a family command's title: the manifest names it, the spec gives its English. */
const titleKey = (family: Family) => `${FAMILY_SPECS[family].command}.title`;

/** The palette command package.json declares for a family, as its spec says it. */
function familyCommand(family: Family): Command {
  const spec = FAMILY_SPECS[family];
  return { command: spec.command, title: `%${titleKey(family)}%`, category: 'GenLab', icon: '$(play)' };
}

/** package.json's commands with each family's entry as generated: replaced where it stands, a new family's added after the others. */
function generatedCommands(commands: Command[]): Command[] {
  const out = [...commands];
  for (const family of FAMILIES) {
    const generated = familyCommand(family);
    const at = out.findIndex((c) => c.command === generated.command);
    if (at >= 0) out[at] = generated;
    else out.splice(Math.max(...FAMILIES.map((f) => out.findIndex((c) => c.command === FAMILY_SPECS[f].command))) + 1, 0, generated);
  }
  return out;
}

test("package.json's palette command of each family is the one its spec generates", () => {
  const generated = `${JSON.stringify({ ...manifest, contributes: { ...manifest.contributes, commands: generatedCommands(manifest.contributes.commands) } }, null, 2)}\n`;
  const generatedNls = `${JSON.stringify({ ...nls, ...Object.fromEntries(FAMILIES.map((f) => [titleKey(f), FAMILY_SPECS[f].commandTitle])) }, null, 2)}\n`;
  if (process.env.GENLAB_WRITE_MANIFEST) {
    writeFileSync(MANIFEST_FILE, generated);
    writeFileSync(NLS_FILE, generatedNls);
  }
  const rewrite = 'GENLAB_WRITE_MANIFEST=1 node scripts/run-tests.mjs test/unit/families.test.ts rewrites them';
  assert.equal(manifestText, generated, `${MANIFEST_FILE}'s family commands are stale: ${rewrite}`);
  assert.equal(nlsText, generatedNls, `${NLS_FILE}'s family command titles are stale: ${rewrite}`);
  // VS Code activates on a contributed command by itself; an activation event per family would be one more place to forget.
  assert.deepEqual(manifest.activationEvents?.filter((e) => e.startsWith('onCommand:')) ?? [], []);
});

const schema = JSON.parse(readFileSync('media/schemas/experiment.schema.json', 'utf8')) as {
  properties: { family: { enum: string[] } };
  allOf: { if: { properties: { family: { const: string } } } }[];
  defaultSnippets: { body: { family: string } }[];
};

for (const family of FAMILIES) {
  test(`${family}: the committed experiment schema offers it, with its own branch and a starting snippet`, () => {
    assert.ok(schema.properties.family.enum.includes(family));
    assert.equal(schema.allOf.filter((b) => b.if.properties.family.const === family).length, 1);
    assert.equal(schema.defaultSnippets.filter((s) => s.body.family === family).length, 1);
  });
}

test('one family declares the walkthrough example, a file that is packaged with its columns', () => {
  const declaring = FAMILIES.filter((f) => FAMILY_SPECS[f].example);
  assert.equal(declaring.length, 1, declaring.join(', '));
  const { file, columns } = FAMILY_SPECS[declaring[0]].example!;
  const header = readFileSync(`media/examples/${file}`, 'utf8').split('\n')[0].split(',');
  for (const column of columns) assert.ok(header.includes(column), `${file} has no column ${column}`);
  assert.ok(completeConfig({ family: declaring[0], dataset: 'csv', data: { type: 'csv', path: `/x/${file}`, columns } }));
});

test('the flags that keep family ids out of the host hold only for families that can use them', () => {
  for (const family of FAMILIES) {
    const spec = FAMILY_SPECS[family];
    if (spec.latentScatter) assert.ok(spec.latentTools && spec.fields.some((f) => f.key === 'latentDim'), `${family}: a latent scatter needs latent tools and a latentDim`);
    if (spec.grayscaleOnly) assert.ok(spec.defaults.images, `${family}: grayscaleOnly without images`);
  }
});
for (const family of FAMILIES) {
  const spec = FAMILY_SPECS[family];
  test(`${family}: defaults complete a valid config for each kind of data it accepts`, () => {
    assert.ok(spec.datasets.includes(spec.defaultDataset));
    assert.equal(completeConfig({ family }).dataset, spec.defaultDataset);
    for (const dataset of spec.datasets) {
      const config = completeConfig({ family, dataset });
      const kind = dataKindOf(dataset);
      // Every option offered for this kind has a default, and none offered only for the other kind is set.
      for (const field of spec.fields) {
        const value = (config.model as Record<string, unknown>)[field.key];
        if (!field.only || field.only === kind) assert.notEqual(value, undefined, `${family} on ${dataset}: ${field.key}`);
        else assert.equal(value, undefined, `${family} on ${dataset}: ${field.key}`);
      }
    }
  });
}

test('an option for images only is rejected on 2-D data, naming the field', () => {
  assert.throws(
    () => completeConfig({ family: 'gan', dataset: 'moons', model: { channels: 32 } }),
    (err: unknown) => err instanceof DecodeError && err.path === 'config.model.channels' && /applies to images only/.test(err.problem),
  );
});

test('switching a family to the other kind of data takes that kind\'s defaults', () => {
  const images = completeConfig({ family: 'vae', dataset: 'mnist' });
  const points = completeConfig({ family: 'vae', dataset: 'moons' });
  assert.ok(images.epochs !== undefined && points.steps !== undefined);
  assert.notDeepEqual(images.model, points.model);
});

test('a run that will train on the native backend takes the family\'s native defaults; one on wasm, or told otherwise, does not', () => {
  const tuned = FAMILIES.flatMap((family) => (['points', 'images'] as const).flatMap((kind) => {
    const defaults = FAMILY_SPECS[family].defaults[kind];
    return defaults?.native ? [{ family, dataset: kind === 'images' ? ('mnist' as const) : ('moons' as const), plain: defaults, native: defaults.native }] : [];
  }));
  assert.deepEqual(tuned.map((t) => t.family).sort(), ['pixelcnn', 'vae'], 'the families tuned for the native backend');
  for (const { family, dataset, plain, native } of tuned) {
    const on = (backend: 'auto' | 'tensorflow' | 'wasm', nativeInstalled: boolean) => completeConfig({ family, dataset, backend }, { nativeInstalled });
    const budget = (c: { epochs?: number; steps?: number }) => (c.epochs !== undefined ? { epochs: c.epochs } : { steps: c.steps });
    for (const c of [on('tensorflow', false), on('auto', true)]) {
      assert.deepEqual(budget(c), native.budget ?? plain.budget, family);
      assert.equal(c.batchSize, native.batchSize ?? plain.batchSize ?? c.batchSize, family);
      assert.deepEqual(c.model, { ...plain.model, ...native.model }, family);
    }
    for (const c of [on('auto', false), on('wasm', true)]) {
      assert.deepEqual(budget(c), plain.budget, family);
      assert.deepEqual(c.model, plain.model, family);
    }
    // What the person chose wins over either.
    const chosen = completeConfig({ family, dataset, backend: 'tensorflow', batchSize: 16, epochs: 2 });
    assert.deepEqual([chosen.batchSize, chosen.epochs], [16, 2]);
  }
});

test('your own data: a CSV needs its `data`, one column fits 1-D families, two fit 2-D ones', () => {
  const csv = (columns: string[]) => ({ type: 'csv' as const, path: '/data/heights.csv', columns });
  assert.equal(completeConfig({ family: 'gaussian', dataset: 'csv', data: csv(['height_cm']) }).data?.type, 'csv');
  assert.equal(completeConfig({ family: 'realnvp', dataset: 'csv', data: csv(['x', 'y']) }).steps, 15000);
  const problem = (input: Parameters<typeof completeConfig>[0]) => {
    try {
      completeConfig(input);
    } catch (err) {
      return err instanceof DecodeError ? `${err.path}: ${err.problem}` : String(err);
    }
    return 'accepted';
  };
  assert.equal(problem({ family: 'realnvp', dataset: 'csv', data: csv(['height_cm']) }), 'config.data.columns: realnvp cannot model 1-D data');
  assert.equal(problem({ family: 'gaussian', dataset: 'csv', data: csv(['a', 'b', 'c']) }), 'config.data.columns: pick one or two columns, not 3');
  assert.match(problem({ family: 'gaussian', dataset: 'csv' }), /^config\.data: is required for the dataset csv/);
  assert.match(problem({ family: 'gaussian', dataset: 'moons', data: csv(['x']) }), /^config\.data: applies to the datasets csv and image-folder, not moons/);
  assert.match(problem({ family: 'mixture', dataset: 'image-folder', data: { type: 'image-folder', path: '/faces', size: 28, color: 'grayscale' } }), /mixture does not train on images/);
  assert.equal(completeConfig({ family: 'gan', dataset: 'image-folder', data: { type: 'image-folder', path: '/faces', size: 28, color: 'grayscale' } }).steps, 2 * Math.ceil(60000 / 64), "the GAN's 2 epochs of MNIST at batch 64, in steps");
});

test("a run's score is a metric its family reports on that kind of data, and the best checkpoint goes by it", async () => {
  const { scoreMetric } = await import('../../src/protocol/families');
  assert.equal(scoreMetric({ family: 'ddpm', dataset: '8gaussians' }), 'js');
  assert.equal(scoreMetric({ family: 'ddpm', dataset: 'mnist' }), 'testMse', 'a DDPM of images reports no histogram JS');
  assert.equal(scoreMetric({ family: 'vae', dataset: 'mnist' }), 'testNegElbo');
  const { BestTracker } = await import('../../src/trainer/bestEvaluation');
  const best = new BestTracker(scoreMetric({ family: 'ddpm', dataset: 'mnist' }), undefined, undefined);
  best.observe(100, { testMse: 0.2 });
  best.observe(200, { testMse: 0.1 });
  best.observe(300, { testMse: 0.15 });
  assert.deepEqual(best.best, { step: 200, metric: 'testMse', value: 0.1 });
});
