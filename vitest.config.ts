import { defineConfig } from 'vitest/config';
import { browserProjects } from './packages/elements/vitest.projects.ts';

// In-repo tests resolve workspace packages to their TypeScript sources through the
// "@video-gallery/source" export condition, so no build is needed to test a change.
const conditions = ['@video-gallery/source', 'module', 'node', 'import', 'default'];
const nodeConditions = ['@video-gallery/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  // Vitest also hands ssr.resolve.conditions to the Node workers as --conditions, where they apply to require() too:
  // 'import' / 'module' there would give CommonJS packages with dual exports (pg -> pg-pool) their ESM build.
  // Vite adds 'import' / 'require' per import itself.
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/*.browser.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 'node' runs the include list above; the browser projects run *.browser.test.ts in Chromium.
    projects: [{ extends: true, test: { name: 'node' } }, ...browserProjects()],
  },
});
