import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

/**
 * Emits `sw.js` (service-worker.js) with the list of every file of the build to precache and a
 * version derived from it, so each release's worker replaces the last one's cache. (A few lines
 * here instead of a PWA plugin, which is not among the project's dependencies.)
 */
function serviceWorker(): Plugin {
  return {
    name: 'cobalt-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const publicFiles = readdirSync(join(import.meta.dirname, 'public'));
      const built = Object.keys(bundle).filter((file) => !file.endsWith('.map') && file !== 'index.html');
      const files = ['/', '/index.html', ...publicFiles.map((f) => `/${f}`), ...built.map((f) => `/${f}`)].sort();
      const version = createHash('sha256').update(files.join('\n')).digest('hex').slice(0, 12);
      const source = readFileSync(join(import.meta.dirname, 'service-worker.js'), 'utf8')
        .replace('__COBALT_VERSION__', version)
        .replace('__COBALT_PRECACHE__', JSON.stringify(files));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}

// In development the app runs on Vite (5173) and everything server-side goes to the local
// cluster's public entry (Caddy, port COBALT_HTTP_PORT, default 8080), so the browser sees one
// origin, as in production.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'COBALT_');
  const cluster = `http://localhost:${env.COBALT_HTTP_PORT || '8080'}`;
  return {
    plugins: [react(), serviceWorker()],
    server: {
      port: 5173,
      strictPort: true,
      proxy: {
        '/api': cluster,
        '/graphql': cluster,
        '/socket.io': { target: cluster, ws: true },
        '/health': cluster,
      },
    },
    build: {
      outDir: 'dist',
      sourcemap: true,
      rolldownOptions: {
        output: {
          // Libraries change less often than the app: separate files stay cached across releases.
          codeSplitting: {
            groups: [
              { name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|cookie)[\\/]/ },
              { name: 'socket', test: /[\\/]node_modules[\\/](socket\.io-client|socket\.io-parser|engine\.io-client|engine\.io-parser|@socket\.io)[\\/]/ },
              { name: 'zod', test: /[\\/]node_modules[\\/]zod[\\/]/ },
            ],
          },
        },
      },
    },
  };
});
