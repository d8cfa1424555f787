/**
 * What the Model tab's recording costs, per family, at its default evaluation interval: in one
 * process on the wasm backend, rounds of plain steps and recorded steps (norms) interleaved, plus
 * the activation histograms of one evaluation. Per round, the overhead is
 *   ((E / normsEvery) · (recorded − plain) + activations) / (E · plain)
 * for an interval of E steps, evaluation itself left out (so the share is if anything overstated).
 */
import { completeConfig, type ConfigInput } from '../src/protocol/config';
import { normsEvery } from '../src/protocol/inspector';
import { initBackend } from '../src/trainer/backend/select';
import { Batcher, loadDataset } from '../src/trainer/data/dataset';
import { familyOf } from '../src/trainer/families/registry';
import { ModelInspector } from '../src/trainer/inspector/inspector';
import { Rng } from '../src/trainer/rng';
import { createCounted } from '../src/trainer/session';

export const INSPECTOR_CASES: { name: string; input: ConfigInput }[] = [
  { name: 'vae, MNIST', input: { family: 'vae' } },
  { name: 'realnvp, 2-D (8 couplings)', input: { family: 'realnvp' } },
  { name: 'gan, 2-D', input: { family: 'gan' } },
  { name: 'ddpm, 2-D', input: { family: 'ddpm' } },
  { name: 'pixelcnn, MNIST', input: { family: 'pixelcnn' } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function inspectorOverhead(input: ConfigInput, rounds = 7, stepsPerRound = 10): Promise<Record<string, unknown>> {
  await initBackend('wasm');
  const config = completeConfig({ ...input, steps: 1_000_000 });
  const data = await loadDataset(config.dataset, config.data);
  const family = familyOf(config.family);
  const { model, created } = createCounted(family, config, data, new Rng(0));
  const inspector = new ModelInspector(model, created, data, { grayscale: family.grayscale ?? false, evalEvery: config.evalEvery, seed: 0 });
  const batches = new Batcher(data, config.batchSize, new Rng(1), family.grayscale);
  const step = (recorded: boolean): number => {
    const x = batches.next();
    const start = performance.now();
    if (recorded) inspector.beforeStep();
    model.trainStep(x);
    if (recorded) inspector.afterStep(1);
    const ms = performance.now() - start;
    x.dispose();
    return ms;
  };
  for (let i = 0; i < 3; i++) step(i % 2 === 0);
  const every = normsEvery(config.evalEvery);
  const shares: number[] = [];
  const plain: number[] = [];
  const recorded: number[] = [];
  const activations: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const p: number[] = [];
    const q: number[] = [];
    // Interleaved, so that a slow patch of the machine weighs on both alike.
    for (let s = 0; s < stepsPerRound; s++) {
      p.push(step(false));
      q.push(step(true));
    }
    const start = performance.now();
    inspector.activations(1);
    const a = performance.now() - start;
    const [mp, mq] = [median(p), median(q)];
    plain.push(mp);
    recorded.push(mq);
    activations.push(a);
    shares.push(((config.evalEvery / every) * Math.max(0, mq - mp) + a) / (config.evalEvery * mp));
  }
  inspector.dispose();
  model.dispose();
  const sorted = [...shares].sort((a, b) => a - b);
  return {
    evalEvery: config.evalEvery,
    normsEvery: every,
    layers: inspector.architecture.networks.reduce((n, net) => n + net.layers.length, 0),
    plainStepMs: round(median(plain), 2),
    recordedStepMs: round(median(recorded), 2),
    activationsMs: round(median(activations), 2),
    overheadPercent: round(100 * median(shares), 2),
    overheadPercentRange: [round(100 * sorted[0], 2), round(100 * sorted.at(-1)!, 2)],
    rounds,
    withinBudget: median(shares) <= 0.05,
  };
}
