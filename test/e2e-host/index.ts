/**
 * Entry VS Code loads through extensionTestsPath (see e2e/run.mjs, scripts/test-electron.mjs):
 * runs the Mocha suites of this folder inside the extension host and rejects when one fails.
 *
 * esbuild bundles this folder from this file alone, so every suite is listed below. Each is
 * loaded through a dynamic `import()`, which esbuild inlines as a lazy module: its body (the
 * `describe`/`it` calls) runs only when imported, after `pre-require` has put Mocha's BDD
 * globals on globalThis. A static `import` would run the suites before those globals exist.
 */
import Mocha from 'mocha';

const suites: Array<() => Promise<unknown>> = [
  () => import('./smoke.test'),
  () => import('./runs.test'),
  () => import('./training.test'),
  () => import('./runsDirectory.test'),
  () => import('./filesAndMenus.test'),
  () => import('./modelModules.test'),
  // Add new suite files here.
  // Last: it disposes the extension, as closing the window does.
  () => import('./shutdown.test'),
];

export async function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 120_000,
    // e2e/run.mjs --host-grep passes its pattern through the environment of code-server.
    grep: process.env.GENLAB_E2E_GREP || undefined,
  });
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  for (const load of suites) await load();

  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
