/**
 * Comments and docs cite only documents the repository has: the design brief the first issues
 * were written from (DESIGN.md) and the house style (STYLE.md) are not in it, so a citation of
 * either points nowhere. The parts,
 * the trust boundaries and storage are docs/ARCHITECTURE.md's ("ARCHITECTURE.md, boundary N").
 *
 * Reads every source and doc file of the tree (TypeScript, TSX, JavaScript, Markdown, HTML),
 * leaving out what is installed or built (node_modules, dist) and hidden folders other than .ci.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.mjs', '.md', '.html']);
const SKIP = new Set(['node_modules', 'dist', 'coverage']);
/** Documents cited in the past that the repository does not hold. */
const NOT_IN_REPOSITORY = ['DESIGN.md', 'STYLE.md'];

function sourceAndDocFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || (entry.name.startsWith('.') && entry.name !== '.ci')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceAndDocFiles(path));
    else if (entry.isFile() && EXTENSIONS.has(extname(entry.name))) out.push(path);
  }
  return out;
}

describe('citations', () => {
  it('finds the files it checks (this one, the docs, the relay)', () => {
    const files = sourceAndDocFiles(ROOT).map((f) => relative(ROOT, f));
    expect(files).toContain('shared/citations.test.ts');
    expect(files).toContain('docs/ARCHITECTURE.md');
    expect(files).toContain('relay/app.ts');
  });

  it('no source or doc file cites a document the repository does not have', () => {
    const self = fileURLToPath(import.meta.url);
    const hits = sourceAndDocFiles(ROOT)
      .filter((f) => f !== self)
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) => (NOT_IN_REPOSITORY.some((doc) => line.includes(doc)) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(hits).toEqual([]);
  });
});
