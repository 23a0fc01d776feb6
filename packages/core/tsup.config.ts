import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'server/index': 'src/server/index.ts', 'testing/index': 'src/testing/index.ts', 'client/index': 'src/client/index.ts', 'bullmq/index': 'src/bullmq/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  splitting: true,
  treeshake: true,
  external: [/^node:/, 'vitest', '@ffmpeg-installer/ffmpeg', '@ffprobe-installer/ffprobe', 'bullmq', 'ioredis'],
});
