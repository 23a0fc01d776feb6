import { defineConfig } from 'tsup';
import { minifyTemplatesPlugin } from './build/minify-templates.mjs';

// `@video-gallery/elements/standalone`: both elements with lit, @lit/context and the browser client in one
// minified file, for a page with no bundler: `<script type="module" src="/vendor/video-gallery.js">`.
// Built after the main build (tsup.config.ts), into the same dist/ without cleaning it.
export default defineConfig({
  entry: { standalone: 'src/index.ts' },
  format: ['esm'],
  dts: false,
  // No source map: it would carry lit's sources too (≈ 550 KB); debug with the npm build, which has maps.
  sourcemap: false,
  clean: false,
  minify: true,
  target: 'es2022',
  platform: 'browser',
  splitting: false,
  treeshake: true,
  noExternal: [/.*/],
  esbuildPlugins: [minifyTemplatesPlugin()],
});
