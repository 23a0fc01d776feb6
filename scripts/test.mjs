#!/usr/bin/env node
// `pnpm test`: build, type-check, check the packed packages, then run every vitest project and end with the
// plain summary line `N passed, N failed, N skipped`. Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
const step = (name, cmd, args) => {
  console.log(`\n> ${name}`);
  const code = run(cmd, args);
  if (code !== 0) {
    console.error(`${name} failed (exit ${code})`);
    console.log('0 passed, 1 failed');
    process.exit(code);
  }
};

const filters = process.argv.slice(2);
if (process.env.VG_SKIP_BUILD !== '1') {
  step('build', 'pnpm', ['build']);
  step('typecheck', 'pnpm', ['typecheck']);
  step('package checks (publint, attw)', 'pnpm', ['lint:packages']);
}

const out = join(root, '.tmp');
mkdirSync(out, { recursive: true });
const report = join(out, 'vitest-report.json');
rmSync(report, { force: true });
console.log('\n> vitest');
// vitest's own bin, so that `node scripts/test.mjs` works without pnpm on PATH too.
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const code = run(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...filters]);
let summary = { numPassedTests: 0, numFailedTests: code === 0 ? 0 : 1, numPendingTests: 0, numTodoTests: 0 };
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  console.error('vitest wrote no report');
}
// Skips are of two kinds: a missing tool or service (ffmpeg, Chromium, PostgreSQL...), which every such test turns
// into a failure itself when VG_REQUIRE_ALL=1 (set by .ci/run), and conformance checks for a feature a provider
// declares it does not have (for example cancel on Veo). Both are counted here.
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped`);
process.exit(code !== 0 ? 1 : 0);
