// Builds the studio from web/ into a folder of the test's own with Vite's API, so the browser
// tests always run the sources as they are (not a dist/web left from an earlier build).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export async function buildStudio(outDir: string): Promise<void> {
  await build({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, reportCompressedSize: false },
  });
}
