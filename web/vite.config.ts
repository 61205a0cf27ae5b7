import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The dashboard bundles everything it needs (map library, boundaries, fonts are
 * the system's): duty-room PCs sit on an intranet with no CDN or tile server.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: {
      // Browser-safe core only; `@lifeline/core/node` must never reach the web app.
      '@lifeline/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev -w web` against a platform on :3000.
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
});
