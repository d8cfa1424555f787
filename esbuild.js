// Bundles the three processes as separate outputs: the extension host (Node, `vscode` external),
// the trainer child process and its headless CLI (Node, TensorFlow.js inside), and the webview
// (browser). `--watch` rebuilds on change; `--production` minifies and drops source maps.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  {
    ...node,
    entryPoints: { trainer: 'src/trainer/main.ts', cli: 'src/trainer/cli.ts', bench: 'bench/bench.ts' },
    outdir: 'dist',
    // tfjs-node is a native addon that may be absent: it is required at run time, never bundled.
    external: ['@tensorflow/tfjs-node'],
  },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
    entryPoints: { dashboard: 'webview/dashboard/main.ts' },
    outdir: 'dist/webview',
  },
];

/** The wasm backend loads its .wasm files from next to the bundle (see src/trainer/backend). */
function copyWasmBinaries() {
  const from = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const to = path.join(__dirname, 'dist', 'wasm');
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(path.join(from, 'dist')).filter((n) => n.endsWith('.wasm'))) {
    fs.copyFileSync(path.join(from, 'dist', f), path.join(to, f));
  }
}

async function main() {
  copyWasmBinaries();
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
