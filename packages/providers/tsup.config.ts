import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'local/index': 'src/local/index.ts', 'dashscope/index': 'src/dashscope/index.ts', 'veo/index': 'src/veo/index.ts', 'kie/index': 'src/kie/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: true,
  treeshake: true,
  external: [/^@video-gallery\//, 'msw'],
});
