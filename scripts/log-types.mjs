// Writes the declarations of genlab/log (src/log/index.ts) and of what its API names from the
// protocol into dist/types/, which package.json's `exports` points TypeScript at.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outDir = path.join(root, 'dist', 'types');
fs.rmSync(outDir, { recursive: true, force: true });
const entry = path.join(root, 'src', 'log', 'index.ts');
const options = { declaration: true, emitDeclarationOnly: true, stripInternal: true, skipLibCheck: true, strict: true, resolveJsonModule: true, esModuleInterop: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, types: ['node'], rootDir: root, outDir };
const program = ts.createProgram([entry], options);
const emitted = program.emit();
const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (problems.length) throw new Error(`scripts/log-types.mjs: ${ts.formatDiagnostics(problems, ts.createCompilerHost(options))}`);
