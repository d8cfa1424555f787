// No module imports itself back, however far round: a circle of imports (type-only ones included)
// means the types in it have no clear home, and makes every module of it load, and change, with the
// others. The graph is read with TypeScript's own pre-processor, so `import type`, `export … from`
// and dynamic imports all count.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const FOLDERS = ['src', 'webview', 'bench'];
/** Files the bundler loads as assets (style sheets, JSON), which import nothing back. */
const ASSET = /\.(css|json|svg|html)$/;

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The file a relative specifier names: `./x` as x.ts or x/index.ts (a `.js` ending standing for `.ts`). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && fs.existsSync(candidate));
}

/** Each file's relative imports, as files. */
function importGraph(files: string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      const modules = importedFiles.filter((i) => i.fileName.startsWith('.') && !ASSET.test(i.fileName));
      const targets = modules.map((i) => resolveRelative(file, i.fileName) ?? assert.fail(`${path.relative(ROOT, file)} imports ${i.fileName}, which is no .ts file`));
      return [file, [...new Set(targets)]];
    }),
  );
}

/** One circle through each strongly connected group of the graph (Tarjan's algorithm), as file paths. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group = new Set<string>();
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      group.add(member);
      if (member === node) break;
    }
    if (group.size > 1 || graph.get(node)?.includes(node)) found.push(circleWithin(graph, group, node));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The shortest path from `start` back to itself inside `group` (breadth first). */
function circleWithin(graph: Map<string, string[]>, group: Set<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let at = 0; at < queue.length; at++) {
    const node = queue[at];
    for (const next of graph.get(node) ?? []) {
      if (!group.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0])!);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  throw new Error(`no circle through ${start}`);
}

test('no circle of imports among the modules of src, webview and bench', () => {
  const files = FOLDERS.flatMap((folder) => tsFiles(path.join(ROOT, folder)));
  const graph = importGraph(files);
  assert.ok(graph.size > 50 && [...graph.values()].some((targets) => targets.length > 0), 'the modules and their imports were read');
  const named = circles(graph).map((circle) => circle.map((file) => path.relative(ROOT, file)).join(' -> '));
  assert.deepEqual(named, [], `import circles (move the shared types to a module both can import):\n${named.join('\n')}`);
});

test('the circle finder sees a circle of type-only imports, and names it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-imports-'));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  write('a.ts', "import type { B } from './b';\nexport interface A { b?: B }\n");
  write('b.ts', "export type { C } from './c';\nexport interface B { n: number }\n");
  write('c.ts', "import { type A } from './a.js';\nexport interface C { a: A }\n");
  write('d.ts', "import type { A } from './a';\nexport const d = (a: A) => a;\n");
  const named = circles(importGraph(tsFiles(dir))).map((circle) => circle.map((file) => path.basename(file)));
  assert.deepEqual(named, [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  fs.rmSync(dir, { recursive: true });
});
