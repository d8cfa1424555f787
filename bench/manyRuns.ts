/**
 * A workspace of 1,000 small run folders, written with the trainer's own writer: how long the run
 * catalog takes to list them the first time, again unchanged, and after one run changed; how long
 * the gallery's images take; and the longest synchronous slice of each, which is how long the
 * extension host would be blocked. Then Compare of 20 runs of 5,000 steps: the host reading their
 * histories and the comparison's model worked out for them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { completeConfig, type Family } from '../src/protocol/config';
import { FAMILY_SPECS } from '../src/protocol/families';
import { patchRunRecord, RunFolder } from '../src/shared/runFolder';
import { runEntry, RunFolderCache } from '../src/extension/runFolderCache';
import { RunHistory } from '../src/extension/runHistory';
import { alignSeries, finalEval, groupByDataset, metricRows, scoreText, settingsRows } from '../webview/compare/model';

const RUNS = 1000;
const COMPARED = 20;
const COMPARED_STEPS = 5000;
const SMALL_STEPS = 50;

const round = (x: number) => Math.round(x * 10) / 10;

function writeRun(runsDir: string, i: number, steps: number): string {
  const family: Family = (['vae', 'realnvp', 'gaussian', 'gan'] as const)[i % 4];
  const dataset = family === 'vae' ? 'mnist' : '8gaussians';
  const config = completeConfig({ family, dataset, steps, runsDir, runName: `run ${i}` });
  const folder = RunFolder.create(config, 'wasm', { 'tfjs-core': '4.22.0' }, steps);
  for (let step = 1; step <= steps; step++) folder.appendMetrics({ kind: 'train', step, epoch: step / 100, elapsedMs: step * 4, values: { loss: 3 - step / steps, other: 1 } });
  const metric = FAMILY_SPECS[family].density.metric;
  folder.appendMetrics({ kind: 'eval', step: steps, epoch: steps / 100, elapsedMs: steps * 4, values: metric ? { [metric]: 2.5 } : { js: 0.1 } });
  folder.writeSample(steps, 'samples', Buffer.from('not really a png'));
  folder.update({ status: 'finished', progress: { step: steps, epoch: steps / 100, totalSteps: steps }, finalMetrics: metric ? { [metric]: 2.5 } : { js: 0.1 } });
  folder.close();
  return folder.dir;
}

/**
 * Times `work`, and the longest stretch in which the event loop could not turn (measured between
 * setImmediate ticks): what would block every other task of the extension host.
 */
async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; longestSliceMs: number; value: T }> {
  let longest = 0;
  let last = performance.now();
  let running = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const start = performance.now();
  const value = await work();
  const end = performance.now();
  running = false;
  longest = Math.max(longest, end - last);
  return { ms: round(end - start), longestSliceMs: round(longest), value };
}

export async function manyRunsFigures(): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-bench-runs-'));
  try {
    const started = performance.now();
    const compared = Array.from({ length: COMPARED }, (_, i) => writeRun(root, i, COMPARED_STEPS));
    for (let i = COMPARED; i < RUNS; i++) writeRun(root, i, SMALL_STEPS);
    const generateMs = round(performance.now() - started);

    const cache = new RunFolderCache();
    const first = await timed(() => cache.list(root));
    const entries = await timed(() => first.value.map((r) => runEntry(r)));
    const unchanged = await timed(() => cache.list(root));
    const readsBefore = cache.reads.runs;
    patchRunRecord(compared[0], (r) => ({ ...r, name: 'renamed' }));
    const afterChange = await timed(() => cache.list(root));
    const galleryFirst = await timed(() => cache.images(first.value.map((r) => r.dir)));
    const galleryAgain = await timed(() => cache.images(first.value.map((r) => r.dir)));

    // As CompareView.sendInit reads them: one run's history at a time, the event loop turning in between.
    const host = await timed(async () => {
      const runs = [];
      for (const dir of compared) {
        await new Promise((resolve) => setImmediate(resolve));
        const run = RunHistory.fromDisk(dir);
        runs.push({ view: run.toView(String), config: run.config });
      }
      return runs;
    });
    const model = await timed(() => {
      const runs = host.value;
      groupByDataset(runs.map((r) => r.view));
      for (const r of runs) scoreText(r.view.density, finalEval(r.view.evals));
      settingsRows(runs.map((r) => ({ config: r.config })));
      metricRows(runs.map((r) => finalEval(r.view.evals)));
      alignSeries(runs.map((r) => ({ steps: r.view.history.steps, values: r.view.history.series[r.view.lossKey] ?? [] })));
    });

    const figure = (t: { ms: number; longestSliceMs: number }) => ({ ms: t.ms, longestSliceMs: t.longestSliceMs });
    return {
      runs: RUNS,
      generateMs,
      firstListing: { ...figure(first), listed: first.value.length },
      entries: figure(entries),
      unchangedListing: figure(unchanged),
      listingAfterOneChange: { ...figure(afterChange), foldersRead: cache.reads.runs - readsBefore },
      galleryImagesFirst: figure(galleryFirst),
      galleryImagesAgain: figure(galleryAgain),
      compare: { runs: COMPARED, stepsEach: COMPARED_STEPS, hostHistories: figure(host), model: figure(model) },
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
