// Runs the extension-host suites (test/e2e-host, bundled to dist/test/e2e-host/index.js) in a
// desktop VS Code 1.100.3 downloaded by @vscode/test-electron. For contributors with internet
// access: it downloads VS Code on first use (into .vscode-test/), so it cannot run offline and is
// not part of CI. The offline equivalent is `npm run test:e2e` (code-server, see e2e/run.mjs).
// Build first: `npm run build && npm run test:electron`.
import { runTests } from '@vscode/test-electron';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = mkdtempSync(join(tmpdir(), 'genlab-e2e-ws-'));
writeFileSync(join(workspace, 'README.md'), '# Scratch workspace of the GenLab extension-host tests\n');

let code = 1;
try {
  code = await runTests({
    version: '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(repoRoot, 'dist', 'test', 'e2e-host', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: process.env.GENLAB_E2E_GREP ? { GENLAB_E2E_GREP: process.env.GENLAB_E2E_GREP } : undefined,
  });
} catch (err) {
  console.error('extension-host tests failed:', err);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
