import { resolve } from 'node:path';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Two pages, one build: the chat at / and the admin console at /admin. Every node serves
// dist/ (server/src/web/web-app.ts); assets get hashed names and are cached for good.
export default defineConfig({
  plugins: [preact()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      input: {
        chat: resolve(import.meta.dirname, 'index.html'),
        admin: resolve(import.meta.dirname, 'admin.html'),
      },
    },
  },
  // `npm run dev -w web`: the pages on Vite's dev server (chat at /, console at
  // /admin.html), the API on a node (npm start).
  server: {
    proxy: {
      '/auth': 'http://127.0.0.1:3000',
      '/admin/': 'http://127.0.0.1:3000',
      '/users': 'http://127.0.0.1:3000',
      '/openapi.json': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
