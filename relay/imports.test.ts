/**
 * The relay's modules form no import cycle (issue 10; ARCHITECTURE.md, "Where to add": `app.ts` only composes,
 * routes never import the app). Reads every relay/**\/*.ts file, takes its relative `import` /
 * `export ... from` specifiers (type-only ones too: a type cycle is still a tangle), resolves
 * them, and fails naming the first cycle found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const RELAY = join(ROOT, 'relay');

/** `import x from './a.ts'`, `import type { T } from '../b.ts'`, `export * from './c.ts'`, `import './d.ts'`. */
const SPECIFIER = /(?:^|[;\s])(?:import|export)\s+(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/g;

const relativeImports = (source: string): string[] => [...source.matchAll(SPECIFIER)].map((m) => m[1]!);

const tsFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });

/** Import graph over the given files: file -> the files it imports among them. */
function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => [file, relativeImports(read(file)).map((s) => resolve(dirname(file), s)).filter((target) => known.has(target))]),
  );
}

/** The first cycle (as a closed path, first node repeated at the end), or undefined. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) !== undefined) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

describe('relay import graph', () => {
  it('reads value, type-only, re-export and bare imports, and skips packages', () => {
    const source = [
      "import { Hono } from 'hono';",
      "import type { AppDeps } from '../deps.ts';",
      "import {\n  a,\n  b,\n} from './multi.ts';",
      "export * from './again.ts';",
      "export { x } from \"../x.ts\";",
      "import './side-effect.ts';",
      "const s = 'import nothing from \"./not-an-import.ts\"';",
    ].join('\n');
    expect(relativeImports(source)).toEqual(['../deps.ts', './multi.ts', './again.ts', '../x.ts', './side-effect.ts']);
  });

  it('finds a cycle and names it, and none in a tree', () => {
    const graph = new Map([
      ['app', ['routes/a', 'routes/b']],
      ['routes/a', ['deps']],
      ['routes/b', ['app']],
      ['deps', []],
    ]);
    expect(findCycle(graph)).toEqual(['app', 'routes/b', 'app']);
    graph.set('routes/b', ['deps']);
    expect(findCycle(graph)).toBeUndefined();
  });

  it('has no cycle among relay/**/*.ts', () => {
    const files = tsFiles(RELAY);
    expect(files.length).toBeGreaterThan(20);
    const graph = importGraph(files, (f) => readFileSync(f, 'utf8'));
    // The parse sees real edges, not an empty graph.
    expect(graph.get(join(RELAY, 'app.ts'))).toContain(join(RELAY, 'routes/messages.ts'));
    const cycle = findCycle(graph);
    expect(cycle?.map((f) => relative(ROOT, f)).join(' -> ')).toBeUndefined();
  });
});
