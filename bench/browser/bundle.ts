/**
 * What a first visit downloads: builds the real app (vite.config.ts, unchanged but for a temp
 * outDir) and follows the built index.html's module scripts and modulepreload links through
 * their static imports. Lazily imported chunks (dynamic `import()`) and the service worker are
 * not counted: they load later or off the main thread. Sizes are gzip level 9, the `.gz` twin the
 * relay serves (relay/static.ts); Brotli is reported too, for browsers that accept it.
 * @module
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';

export interface BundleFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzip: number;
  readonly brotli: number;
}

export interface ClientBundle {
  /** JavaScript loaded on first load, in load order of discovery. */
  readonly files: readonly BundleFile[];
  /** Lazily imported chunks (not in the totals), for the log. */
  readonly lazy: readonly string[];
  readonly bytes: number;
  readonly gzip: number;
  readonly brotli: number;
}

interface ChunkInfo {
  readonly imports: readonly string[];
  readonly dynamicImports: readonly string[];
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The app's first-load JavaScript, measured on a fresh build. */
export async function clientBundle(): Promise<ClientBundle> {
  const outDir = await mkdtemp(join(tmpdir(), 'confidant-bundle-'));
  try {
    // The service-worker build of vite-plugin-pwa logs to stdout whatever logLevel says, and the
    // bench's stdout is JSON lines only: send stdout to stderr while building.
    const write = process.stdout.write;
    process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
    let result: Awaited<ReturnType<typeof build>>;
    try {
      result = await build({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    } finally {
      process.stdout.write = write;
    }
    const chunks = new Map<string, ChunkInfo>();
    for (const output of [result].flat()) {
      if (!('output' in output)) continue;
      for (const item of output.output) {
        if (item.type === 'chunk') chunks.set(item.fileName, { imports: item.imports, dynamicImports: item.dynamicImports });
      }
    }
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const roots = [
      ...[...html.matchAll(/<script\b[^>]*\btype="module"[^>]*\bsrc="\/?([^"]+)"/g)].map((m) => m[1]!),
      ...[...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\/?([^"]+)"/g)].map((m) => m[1]!),
    ];
    if (roots.length === 0) throw new Error('client bundle: no module script in the built index.html');
    const seen = new Set<string>();
    const lazy = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      const chunk = chunks.get(file);
      if (!chunk) throw new Error(`client bundle: ${file} is not a chunk of the build`);
      seen.add(file);
      for (const d of chunk.dynamicImports) lazy.add(d);
      for (const i of chunk.imports) visit(i);
    };
    for (const r of roots) visit(r);
    const files: BundleFile[] = [];
    for (const file of seen) {
      const bytes = await readFile(join(outDir, file));
      files.push({
        file,
        bytes: bytes.length,
        gzip: gzipSync(bytes, { level: 9 }).length,
        brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length,
      });
    }
    const sum = (k: 'bytes' | 'gzip' | 'brotli'): number => files.reduce((n, f) => n + f[k], 0);
    return { files, lazy: [...lazy].filter((f) => !seen.has(f)), bytes: sum('bytes'), gzip: sum('gzip'), brotli: sum('brotli') };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
