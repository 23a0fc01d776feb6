import { defineConfig } from 'tsup';
import { minifyTemplatesPlugin } from './build/minify-templates.mjs';

export default defineConfig({
  // The package root registers both elements; each subpath registers one. Shared code lands in chunks.
  entry: { index: 'src/index.ts', 'video-gallery': 'src/video-gallery.ts', 'generate-form': 'src/generate-form.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'browser',
  splitting: true,
  treeshake: true,
  external: ['lit', /^lit\//, '@lit/context', /^@video-gallery\/core/],
  esbuildPlugins: [minifyTemplatesPlugin()],
});
