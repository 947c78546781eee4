import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the app runs on Vite (5173) and everything server-side goes to the local
// cluster's public entry (Caddy on 8080), so the browser sees one origin as in production.
const cluster = 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: cluster, changeOrigin: false },
      '/graphql': { target: cluster, changeOrigin: false },
      '/socket.io': { target: cluster, changeOrigin: false, ws: true },
      '/health': { target: cluster, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
  },
});
