import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  ssr: {
    // Workspace packages are linked, and Vite bundles linked packages into the server build by default.
    // Keep them (and their native / optional dependencies) as runtime imports of the built packages instead.
    // (@video-gallery/elements is imported in onMount only: the server build keeps the import and never runs it.)
    external: ['@video-gallery/cli', '@video-gallery/core', '@video-gallery/elements', '@video-gallery/providers', '@video-gallery/storage-adapters', 'better-sqlite3'],
  },
});
