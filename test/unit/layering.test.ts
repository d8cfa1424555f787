// The floors that lint enforces import by import, checked on what the bundler actually pulled in:
// the extension host and the CLI must not carry TensorFlow.js or any trainer module, however an
// import reaches them (a value import of a trainer helper into a shared file once grew the
// extension bundle from 165 KB to 851 KB).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as esbuild from 'esbuild';

// esbuild.js is a CommonJS script (node runs it directly), so it is required, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { builds } = require('../../esbuild.js') as { builds: esbuild.BuildOptions[] };

async function bundled(entry: string): Promise<{ inputs: string[]; imports: string[] }> {
  const options = builds.find((b) => Object.keys(b.entryPoints as Record<string, string>).includes(entry));
  assert.ok(options, `esbuild.js builds ${entry}`);
  const result = await esbuild.build({ ...options, entryPoints: { [entry]: (options.entryPoints as Record<string, string>)[entry] }, write: false, metafile: true, logLevel: 'silent', sourcemap: false });
  const outputs = Object.values(result.metafile.outputs);
  return { inputs: Object.keys(result.metafile.inputs), imports: outputs.flatMap((o) => o.imports.map((i) => i.path)) };
}

for (const entry of ['extension', 'cli']) {
  test(`the ${entry} bundle holds no TensorFlow.js and no trainer module`, async () => {
    const { inputs, imports } = await bundled(entry);
    assert.ok(inputs.some((i) => i.startsWith('src/shared/')), 'the bundle was read (it uses the shared layer)');
    assert.deepEqual(inputs.filter((i) => i.includes('@tensorflow') || i.startsWith('src/trainer/')), []);
    assert.deepEqual(imports.filter((i) => i.includes('@tensorflow')), []);
  });
}

test('the trainer bundle does carry its trainer modules (the check above can see them)', async () => {
  const { inputs, imports } = await bundled('trainer');
  assert.ok(inputs.some((i) => i.startsWith('src/trainer/families/')));
  assert.ok(imports.some((i) => i.startsWith('@tensorflow/')));
});

// Scratch output (logs, dumps) never lands at the top of the repository: only the design card's
// files, the folders the README names and config files.
const ROOT_ALLOWED = new Set([
  'package.json', 'package.nls.json', 'package-lock.json', 'tsconfig.json', 'esbuild.js', 'eslint.config.mjs', 'README.md', 'CHANGELOG.md', 'LICENSE',
  '.gitignore', '.vscodeignore', '.npmrc', '.ci', '.vscode', 'src', 'webview', 'media', 'test', 'bin', 'bench', 'e2e', 'scripts', 'examples', 'python', 'l10n',
]);

test('the repository root holds only the project files and folders', () => {
  const tracked = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const top = [...new Set(tracked.map((f) => f.split('/')[0]))];
  assert.deepEqual(top.filter((t) => !ROOT_ALLOWED.has(t)), []);
});
