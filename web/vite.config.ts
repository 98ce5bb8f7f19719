import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  plugins: [
    {
      // The dev server injects CSS as <style> tags, which the strict CSP blocks; builds keep it.
      name: 'tandem-dev-csp',
      apply: 'serve',
      transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[\s\S]*?\/>/, ''),
    },
    solid(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // The app registers /sw.js itself (main.tsx): no injected inline script, so the strict CSP holds.
      injectRegister: null,
      includeManifestIcons: false,
      manifest: {
        name: 'Tandem',
        short_name: 'Tandem',
        description: 'Steer AI coding agents from your phone: watch, message, approve.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: '#312e81',
        background_color: '#0f1115',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
      },
    }),
  ],
  build: {
    target: 'es2022',
    sourcemap: false,
    // every browser the app supports preloads modules itself: no polyfill in the first load
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      // `npm run dev -w web` against a local relay (wrangler dev on 8787)
      '/api': { target: 'http://127.0.0.1:8787', ws: true },
    },
  },
});
