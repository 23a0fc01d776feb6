import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { 'fs/index': 'src/fs/index.ts', 'memory/index': 'src/memory/index.ts', 'sqlite/index': 'src/sqlite/index.ts', 's3/index': 'src/s3/index.ts', 'r2/index': 'src/r2/index.ts', 'postgres/index': 'src/postgres/index.ts', 'indexeddb/index': 'src/indexeddb/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  splitting: true,
  treeshake: true,
  external: [/^@video-gallery\//, 'better-sqlite3', /^@aws-sdk\//, 'pg', 'idb-keyval'],
});
