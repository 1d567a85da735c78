import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The client PWA (arrives in a later issue): sources in client/, static assets (manifest,
// icons) in public/, the build in dist/ where the relay will serve it from.
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('./client'),
  publicDir: here('./public'),
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
