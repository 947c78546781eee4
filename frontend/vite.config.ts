import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

// In development the app runs on Vite (5173) and everything server-side goes to the local
// cluster's public entry (Caddy, port COBALT_HTTP_PORT, default 8080), so the browser sees one
// origin, as in production.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'COBALT_');
  const cluster = `http://localhost:${env.COBALT_HTTP_PORT || '8080'}`;
  return {
    plugins: [react()],
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
              { name: 'apollo', test: /[\\/]node_modules[\\/](@apollo|graphql|rxjs|optimism|@wry|tslib)[\\/]/ },
              { name: 'socket', test: /[\\/]node_modules[\\/](socket\.io-client|socket\.io-parser|engine\.io-client|engine\.io-parser|@socket\.io)[\\/]/ },
              { name: 'zod', test: /[\\/]node_modules[\\/]zod[\\/]/ },
            ],
          },
        },
      },
    },
  };
});
