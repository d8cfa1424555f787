/**
 * Type-checks a model module and its relative imports, and emits them as CommonJS with inline
 * source maps, in memory. TypeScript does both: esbuild would bundle faster but checks no types,
 * and its platform binary cannot ship in a platform-neutral .vsix (esbuild-wasm would add 14 MB
 * for what TypeScript's emit already does). The declarations it checks against are
 * dist/model-types.json, the same ones the editor is given (scripts/model-types.mjs).
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as TS from 'typescript';
import type { SourceProblem } from '../../protocol/modelModule';

/** Where the declarations live for the checker; no such folder exists on disk. */
const TYPES_ROOT = path.resolve('/__genlab_types__');

export interface CompiledModule {
  /** The module's own files (not the declarations), the entry first, absolute. */
  files: string[];
  /** Emitted JavaScript by source file. */
  code: Map<string, string>;
  problems: SourceProblem[];
}

let typesCache: Record<string, string> | undefined;

/** dist/model-types.json, beside the trainer bundle (or, from the sources in tests, in dist/ at the repository root). */
export function modelTypes(): Record<string, string> {
  if (!typesCache) {
    const candidates = [path.join(__dirname, 'model-types.json'), path.resolve(__dirname, '..', '..', '..', 'dist', 'model-types.json')];
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) throw new Error(`dist/model-types.json is missing (looked in ${candidates.join(', ')}); npm run build writes it.`);
    typesCache = (JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Record<string, string> }).files;
  }
  return typesCache;
}

function compilerOptions(ts: typeof TS, types: Record<string, string>): TS.CompilerOptions {
  const { compilerOptions: raw } = JSON.parse(types['tsconfig.json']) as { compilerOptions: Record<string, unknown> };
  const { options, errors } = ts.convertCompilerOptionsFromJson(raw, TYPES_ROOT);
  if (errors.length) throw new Error(`model-types.json's tsconfig does not parse: ${errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('; ')}`);
  return {
    ...options,
    // The tsconfig's paths are relative to the types root, which a tsconfig file would imply.
    baseUrl: TYPES_ROOT,
    allowJs: true,
    // The person's files are emitted in memory; outDir only keeps a .js source from being its own output.
    outDir: path.join(TYPES_ROOT, 'out'),
    inlineSourceMap: true,
    inlineSources: true,
    noEmitOnError: false,
    declaration: false,
  };
}

function problemOf(ts: typeof TS, d: TS.Diagnostic, fallbackFile: string): SourceProblem {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const severity = d.category === ts.DiagnosticCategory.Error ? 'error' : 'warning';
  if (!d.file || d.start === undefined) return { file: fallbackFile, line: 1, column: 1, message, severity };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return { file: d.file.fileName, line: line + 1, column: character + 1, message, severity };
}

/** Points the inline source map at the original file by its absolute path, so stack traces name it. */
function withAbsoluteSource(code: string, source: string): string {
  return code.replace(/\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/, (_all, data: string) => {
    const map = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { sources: string[]; sourceRoot?: string };
    map.sources = [source];
    delete map.sourceRoot;
    return `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
  });
}

export function compileModule(entry: string): CompiledModule {
  // Loaded only when a module is trained (most runs never need the compiler's 9 MB), from
  // node_modules rather than the trainer bundle.
  const ts = createRequire(__filename)('typescript') as typeof TS;
  const types = modelTypes();
  const options = compilerOptions(ts, types);
  const virtual = (file: string) => {
    const rel = path.relative(TYPES_ROOT, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : types[rel.split(path.sep).join('/')];
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.getDefaultLibLocation = () => path.join(TYPES_ROOT, 'lib');
  host.getDefaultLibFileName = () => path.join(TYPES_ROOT, 'lib', 'lib.es2022.d.ts');
  host.fileExists = (file) => virtual(file) !== undefined || (!file.startsWith(TYPES_ROOT) && fileExists.call(host, file));
  host.readFile = (file) => virtual(file) ?? (file.startsWith(TYPES_ROOT) ? undefined : readFile.call(host, file));
  host.directoryExists = (dir) => dir.startsWith(TYPES_ROOT) || (directoryExists?.call(host, dir) ?? true);
  host.getSourceFile = (file, language, onError) => {
    const text = virtual(file);
    return text === undefined ? getSourceFile.call(host, file, language, onError) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram({ rootNames: [entry], options, host });
  const own = program.getSourceFiles().filter((f) => !f.fileName.startsWith(TYPES_ROOT) && !f.isDeclarationFile && !/[\\/]node_modules[\\/]/.test(f.fileName));
  const ownNames = new Set(own.map((f) => f.fileName));
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.category === ts.DiagnosticCategory.Error || d.category === ts.DiagnosticCategory.Warning)
    .filter((d) => !d.file || ownNames.has(d.file.fileName))
    .map((d) => problemOf(ts, d, entry));
  const code = new Map<string, string>();
  for (const file of own) {
    program.emit(file, (name, text) => {
      if (name.endsWith('.js')) code.set(file.fileName, withAbsoluteSource(text, file.fileName));
    });
  }
  const entryName = own.find((f) => path.resolve(f.fileName) === path.resolve(entry))?.fileName ?? entry;
  return { files: [entryName, ...own.map((f) => f.fileName).filter((f) => f !== entryName)], code, problems };
}
