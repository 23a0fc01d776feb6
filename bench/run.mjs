#!/usr/bin/env node
// `pnpm bench <name> [args]` runs bench/<name>.bench.ts against the workspace sources (no build needed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <name> [args]\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(name ? 1 : 0);
}
const file = join(here, `${name}.bench.ts`);
if (!existsSync(file)) process.exit(1);
const result = spawnSync(process.execPath, ['--conditions=@video-gallery/source', '--import', 'tsx', '--expose-gc', file, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
