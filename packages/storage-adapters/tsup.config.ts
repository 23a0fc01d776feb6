import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'fs/index': 'src/fs/index.ts', 'memory/index': 'src/memory/index.ts', 'sqlite/index': 'src/sqlite/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: true,
  treeshake: true,
  external: [/^@video-gallery\//, 'better-sqlite3'],
});
