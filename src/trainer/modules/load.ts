/**
 * Runs a compiled model module in the trainer and takes its definition. Its imports are bound
 * here: relative files to their compiled code, `@tensorflow/tfjs` (and -core, -layers) to the
 * trainer's own TensorFlow.js, so the model uses the backend GenLab selected, and `genlab` to the
 * API. Anything else is resolved from the module's folder, as Node would.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as api from '../../api/genlab';
import type { ModelDefinition } from '../../api/genlab';
import { decodeProblem } from '../../protocol/runFormat';
import { type ModuleDeclaration, moduleDeclaration, type ModuleRef } from '../../protocol/modelModule';
import { UserError } from '../../shared/userError';
import { installChainedOps } from './chainedOps';
import { compileModule } from './compile';
import { compileError, ModuleError, thrownError } from './moduleError';

/** What `import * as tf from '@tensorflow/tfjs'` gives: core and layers, one instance with the trainer's. */
export const TF = Object.freeze({ ...tfc, ...tfl }) as unknown as api.TF;

const BOUND: Record<string, unknown> = {
  '@tensorflow/tfjs': TF,
  '@tensorflow/tfjs-core': tfc,
  '@tensorflow/tfjs-layers': tfl,
  genlab: api,
};

export interface LoadedModule {
  ref: ModuleRef;
  definition: ModelDefinition;
  /** The module's files, the entry first, absolute. */
  files: string[];
  /** Of the files' paths (relative to their common folder) and contents, in order. */
  sha256: string;
}

/** The deepest folder holding every one of the files. */
export function commonFolder(files: readonly string[]): string {
  let base = path.dirname(files[0]);
  while (!files.every((f) => !path.relative(base, f).startsWith('..'))) base = path.dirname(base);
  return base;
}

/** The files' digest: each path relative to `base`, a NUL, its bytes, a NUL, in order. */
export function sourcesDigest(base: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${path.relative(base, file).split(path.sep).join('/')}\0`).update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex');
}

function resolveRelative(from: string, specifier: string, code: Map<string, string>): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  // `./x.js` may name x.ts, as TypeScript's own resolution allows.
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, ...['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'].flatMap((ext) => [stem + ext, path.join(base, `index${ext}`)])];
  return candidates.find((c) => code.has(c));
}

/** Compiles and runs the module at `file` and checks what its default export declares. */
export function loadModule(file: string): LoadedModule {
  const entry = path.resolve(file);
  if (!fs.existsSync(entry)) throw new UserError(`The model module ${entry} does not exist.`, 'Check the path (an experiment file\'s "module" is relative to the experiment file).');
  const { files, code, problems } = compileModule(entry);
  if (problems.some((p) => p.severity === 'error')) throw compileError(problems);
  installChainedOps();
  const cache = new Map<string, Module>();
  const run = (filename: string): unknown => {
    const cached = cache.get(filename);
    if (cached) return cached.exports;
    const mod = new Module(filename);
    mod.filename = filename;
    cache.set(filename, mod);
    const fallback = Module.createRequire(filename);
    mod.require = ((specifier: string) => {
      if (Object.hasOwn(BOUND, specifier)) return BOUND[specifier];
      if (specifier.startsWith('.')) {
        const target = resolveRelative(filename, specifier, code);
        if (!target) throw new UserError(`${filename} imports ${specifier}, which is not among the module's files.`, 'Import files of the module by a relative path that exists.');
        return run(target);
      }
      return fallback(specifier);
    }) as NodeJS.Require;
    // _compile keeps the inline source map, so stack frames name the person's .ts lines.
    (mod as unknown as { _compile(code: string, filename: string): void })._compile(code.get(filename)!, filename);
    return mod.exports;
  };
  let exports: unknown;
  try {
    exports = run(entry);
  } catch (err) {
    throw thrownError(err, 'its top-level code', files);
  }
  const definition = (exports as { default?: unknown }).default;
  if (!definition || typeof definition !== 'object' || typeof (definition as { create?: unknown }).create !== 'function') {
    throw new ModuleError(`${entry} does not export a model: its default export must be defineModel({ ... }).`, "Add `export default defineModel({ title, densityKind, data, options, create })` (import { defineModel } from 'genlab').", [
      { file: entry, line: 1, column: 1, message: 'No default export of defineModel({ ... })', severity: 'error' },
    ]);
  }
  const { create: _create, ...declared } = definition as ModelDefinition;
  const checked = decodeProblem(moduleDeclaration, JSON.parse(JSON.stringify(declared)));
  if (!checked.ok) {
    throw new ModuleError(`The model in ${entry} declares something GenLab cannot use: ${checked.problem}.`, 'Fix that field of defineModel({ ... }).', [
      { file: entry, line: 1, column: 1, message: `defineModel: ${checked.problem}`, severity: 'error' },
    ]);
  }
  return { ref: { path: entry, declaration: checked.value as ModuleDeclaration }, definition: definition as ModelDefinition, files, sha256: sourcesDigest(commonFolder(files), files) };
}
