import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The client PWA: sources in client/, static assets (icons) in public/, the build in dist/, which
// the relay serves (relay/static.ts) under its strict Content Security Policy: no inline script
// or style anywhere in the build, so Workbox registration lives in our own module
// (client/sw/register.ts) rather than an injected inline snippet.
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * Writes a Brotli and a gzip twin of each text file of the build (`x.js.br`, `x.js.gz`), which
 * the relay sends to browsers that accept them (relay/static.ts): compressed once at the
 * highest level instead of on every request.
 */
const precompress = (): Plugin => ({
  name: 'confidant:precompress',
  apply: 'build',
  // After the files are written: every other plugin has finished rewriting them by then.
  async writeBundle(options, bundle) {
    const dir = options.dir ?? here('./dist');
    for (const fileName of Object.keys(bundle)) {
      if (!/\.(?:js|css|html|svg)$/.test(fileName)) continue;
      const path = join(dir, fileName);
      const bytes = await readFile(path);
      if (bytes.length < 1024) continue;
      const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
      await writeFile(`${path}.br`, br);
      await writeFile(`${path}.gz`, gzipSync(bytes, { level: 9 }));
    }
  },
});

export default defineConfig({
  root: here('./client'),
  publicDir: here('./public'),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Inlined assets would become data: URLs for scripts or styles, which the CSP refuses.
    assetsInlineLimit: 0,
  },
  plugins: [
    precompress(),
    VitePWA({
      // Our own service worker (client/sw/sw.ts): precaching from Workbox's injected manifest,
      // and an update that waits until the app says so (a later step verifies a signed
      // release manifest before it does; ARCHITECTURE.md, boundary 11).
      strategies: 'injectManifest',
      srcDir: 'sw',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'prompt',
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        // Source maps are for developers; they need not sit in every device's cache.
        globIgnores: ['**/*.map'],
        maximumFileSizeToCacheInBytes: 2 * 1024 * 1024,
      },
      manifest: {
        id: '/',
        name: 'Confidant',
        short_name: 'Confidant',
        description: 'End-to-end encrypted messages between you and your therapist.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        background_color: '#f6f4ef',
        theme_color: '#2f5d62',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
});
