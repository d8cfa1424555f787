// Bundles the three processes as separate outputs: the extension host (Node, `vscode` external),
// the trainer child process and its headless CLI (Node, TensorFlow.js inside), and the webview
// (browser). `--watch` rebuilds on change; `--production` minifies and drops source maps.
const esbuild = require('esbuild');

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
  // jsonc-parser's default (UMD) build loads its parts with require() calls a bundle cannot follow:
  // take its ES module build.
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'], mainFields: ['module', 'main'] },
  // The CLI is a host like the extension: it forks the trainer and loads no TensorFlow.js itself.
  { ...node, entryPoints: { cli: 'src/cli/cli.ts' }, outdir: 'dist' },
  // genlab/log, for a person's own Node script (package.json's exports; its types from scripts/log-types.mjs).
  { ...node, entryPoints: { log: 'src/log/index.ts' }, outdir: 'dist', mainFields: ['module', 'main'] },
  {
    ...node,
    entryPoints: { trainer: 'src/trainer/main.ts', bench: 'bench/bench.ts' },
    outdir: 'dist',
    // TensorFlow.js stays in node_modules: tfjs-node (a native addon that may be absent) registers
    // its backend into the tfjs-core it finds there, so every part must share that one copy; the
    // wasm backend also finds its .wasm files next to its own module.
    external: ['@tensorflow/*'],
  },
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
    entryPoints: { dashboard: 'webview/dashboard/main.ts', gallery: 'webview/gallery/main.ts', compare: 'webview/compare/main.ts' },
    outdir: 'dist/webview',
    // CSS imported by the entries (uPlot's, codicons') is emitted beside them with its font.
    loader: { '.ttf': 'file' },
  },
  {
    // Extension-host tests, loaded by VS Code through extensionTestsPath; Mocha stays in node_modules.
    ...node,
    entryPoints: { index: 'test/e2e-host/index.ts' },
    outdir: 'dist/test/e2e-host',
    external: ['vscode', 'mocha'],
  },
];

async function main() {
  // The declarations model modules are checked against (the trainer) and edited with (the extension).
  // And genlab/log's, for a person's own script.
  for (const script of ['model-types.mjs', 'log-types.mjs']) require('node:child_process').execFileSync(process.execPath, [require('node:path').join(__dirname, 'scripts', script)], { stdio: 'inherit' });
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

// Required by the layering test, which bundles the hosts again to read what went into them.
module.exports = { builds };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
