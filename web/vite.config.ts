// The studio's build: `npm run build:web` (part of `npm run build`, so of `npm ci`) writes
// dist/web, which src/http/studio.ts serves at `/`. `npm run dev:web` serves web/ with hot reload
// and sends API calls to a service on 127.0.0.1:8080 (`npm run dev`).
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  plugins: [preact({ devToolsEnabled: false, reactAliasesEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The page's CSP allows no data: URLs; every asset is a file of its own.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
