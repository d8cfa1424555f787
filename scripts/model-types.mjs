// Writes dist/model-types.json: the type declarations a model module is checked against, as one
// file of { path under a types root: text }. The trainer type-checks modules against exactly
// these (src/trainer/modules/compile.ts); the extension writes them (all but lib/) into the
// person's workspace, so the editor completes `tf` and the API without anything installed.
//   genlab/index.d.ts            the API (src/api/genlab.ts) and the globals a module may use
//   @tensorflow/tfjs/index.d.ts  core and layers, as the @tensorflow/tfjs package exports them
//   @tensorflow/tfjs-core/...    and -layers/...: their own declarations, tests left out
//   lib/lib.*.d.ts               ES2022's standard library, for the trainer's checker
//   tsconfig.json                the compiler options and `paths` that bind those names
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const files = {};

// The WebGPU types tfjs-core references are not shipped: the few GPU-buffer types read as any.
const stripReferences = (text) => text.replace(/^\/\/\/ <reference types="[^"]*" \/>\n/gm, '');

for (const pkg of ['tfjs-core', 'tfjs-layers']) {
  const dist = path.join(root, 'node_modules', '@tensorflow', pkg, 'dist');
  for (const rel of fs.readdirSync(dist, { recursive: true })) {
    const file = String(rel);
    if (!file.endsWith('.d.ts') || file.endsWith('_test.d.ts')) continue;
    files[`@tensorflow/${pkg}/dist/${file.split(path.sep).join('/')}`] = stripReferences(fs.readFileSync(path.join(dist, file), 'utf8'));
  }
}
files['@tensorflow/tfjs/index.d.ts'] = "export * from '@tensorflow/tfjs-core';\nexport * from '@tensorflow/tfjs-layers';\n";

// The API's declarations, emitted from its source.
const api = path.join(root, 'src', 'api', 'genlab.ts');
const program = ts.createProgram([api], { declaration: true, emitDeclarationOnly: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, strict: true });
let declarations;
const emitted = program.emit(program.getSourceFile(api), (name, text) => {
  if (name.endsWith('.d.ts')) declarations = text;
});
if (emitted.diagnostics.length || !declarations) throw new Error(`scripts/model-types.mjs: could not emit the API's declarations: ${ts.formatDiagnostics(emitted.diagnostics, ts.createCompilerHost({}))}`);
files['genlab/index.d.ts'] = `/// <reference path="./globals.d.ts" />\n${declarations}`;
// A module runs in the trainer (Node), but its type check has no DOM or @types/node: what it may print with.
// Tensors' chained methods (x.mul(y)) are declared by augmentation in files nothing else imports.
files['genlab/globals.d.ts'] = '/// <reference path="../@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.d.ts" />\ndeclare const console: { log(...data: unknown[]): void; info(...data: unknown[]): void; warn(...data: unknown[]): void; error(...data: unknown[]): void };\n';

// ES2022 and every library it references.
const libDir = path.dirname(require.resolve('typescript/lib/lib.d.ts'));
const pending = ['lib.es2022.d.ts', 'lib.decorators.d.ts', 'lib.decorators.legacy.d.ts'];
while (pending.length) {
  const name = pending.pop();
  if (files[`lib/${name}`]) continue;
  const text = fs.readFileSync(path.join(libDir, name), 'utf8');
  files[`lib/${name}`] = text;
  for (const [, lib] of text.matchAll(/^\/\/\/ <reference lib="([^"]+)" \/>/gm)) pending.push(`lib.${lib}.d.ts`);
}

files['tsconfig.json'] = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'commonjs',
    moduleResolution: 'node10',
    lib: ['ES2022'],
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    types: [],
    paths: {
      genlab: ['genlab/index.d.ts'],
      '@tensorflow/tfjs': ['@tensorflow/tfjs/index.d.ts'],
      '@tensorflow/tfjs-core': ['@tensorflow/tfjs-core/dist/index.d.ts'],
      '@tensorflow/tfjs-layers': ['@tensorflow/tfjs-layers/dist/index.d.ts'],
    },
  },
}, null, 2);

fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.writeFileSync(path.join(root, 'dist', 'model-types.json'), JSON.stringify({ version: require(path.join(root, 'package.json')).version, files }));
