import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * GraphiQL as the backend serves it in development: the page at GET /graphql (Accept: text/html),
 * its files under /graphql/ide/. Everything comes from npm and is bundled here: nothing is loaded
 * from a CDN, so it works with no internet.
 */
export default defineConfig({
  plugins: [react()],
  base: '/graphql/ide/',
  build: { outDir: 'dist', sourcemap: false, chunkSizeWarningLimit: 8000 },
});
