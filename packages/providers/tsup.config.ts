import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'local/index': 'src/local/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: true,
  treeshake: true,
  external: [/^@video-gallery\//],
});
