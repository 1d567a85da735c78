/**
 * What a first visit downloads: builds the real app (`vite build` with vite.config.ts, unchanged
 * but for a temp outDir and the manifest) and follows the built index.html's module scripts and modulepreload links through
 * their static imports. Lazily imported chunks (dynamic `import()`) and the service worker are
 * not counted: they load later or off the main thread. Sizes are gzip level 9, the `.gz` twin the
 * relay serves (relay/static.ts); Brotli is reported too, for browsers that accept it.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

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

/** One entry of Vite's build manifest (`build.manifest`): keys of imported chunks, not file names. */
interface ManifestEntry {
  readonly file: string;
  readonly imports?: readonly string[];
  readonly dynamicImports?: readonly string[];
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
    // In a child process whose stdout goes to our stderr: the build's progress (the service
    // worker's nested build ignores logLevel, and part of it is written natively) must not reach
    // the bench's stdout, which is JSON lines only. The manifest gives the chunk graph.
    const vite = join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--manifest', '--logLevel', 'warn'], { cwd: REPO, stdio: ['ignore', 2, 2] });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`client bundle: vite build exited with ${code}`);
    const manifest = JSON.parse(await readFile(join(outDir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestEntry>;
    const chunks = new Map<string, ChunkInfo>();
    const fileOf = (key: string): string => manifest[key]?.file ?? key;
    for (const entry of Object.values(manifest)) {
      if (entry.file.endsWith('.js')) chunks.set(entry.file, { imports: (entry.imports ?? []).map(fileOf), dynamicImports: (entry.dynamicImports ?? []).map(fileOf) });
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
