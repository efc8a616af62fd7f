import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console builds into internal/console/dist, which the Go binary embeds
// (go:embed cannot reach outside its package's directory). The output is
// committed and must be reproducible: `make test` rebuilds it from the
// lockfile and fails on any difference.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../internal/console/dist',
    emptyOutDir: true,
    // Source maps would double the embedded size for little use in a
    // shipped binary; `npm run dev` has them.
    sourcemap: false,
    // One chunk for the first load (React, Mantine, the router, i18n):
    // docs/console.md records its size; pages are split off as they grow.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` proxies the API to a running `fanfare serve`, so the
    // session cookie is same-origin as in production.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
    },
  },
});
