#!/usr/bin/env node
// Packs every published workspace package and runs publint (strict) and attw (ESM-only profile) on the tarball,
// exactly as a user would receive it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'vg-packs-'));
let failed = 0;
try {
  for (const dir of readdirSync(join(root, 'packages'))) {
    const pkgDir = join(root, 'packages', dir);
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) {
      console.log(`skip ${pkg.name} (private)`);
      continue;
    }
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: pkgDir, stdio: 'ignore' });
    const tarball = readdirSync(out).find((f) => f.startsWith(pkg.name.replace('@', '').replace('/', '-') + '-'));
    const file = join(out, tarball);
    for (const [tool, args] of [['publint', ['--strict', file]], ['attw', [file, '--profile', 'esm-only']]]) {
      try {
        execFileSync('pnpm', ['exec', tool, ...args], { cwd: root, stdio: 'pipe' });
        console.log(`ok   ${pkg.name}: ${tool}`);
      } catch (error) {
        failed++;
        console.log(`FAIL ${pkg.name}: ${tool}\n${error.stdout?.toString() ?? ''}${error.stderr?.toString() ?? ''}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
