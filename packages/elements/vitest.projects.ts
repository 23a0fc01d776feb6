// Vitest projects of @video-gallery/elements, spread into the root vitest.config.ts `test.projects`. They live
// here because this package owns the browser-testing dependencies (@vitest/browser-playwright, Storybook).
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { chromiumLaunchOptions, chromiumMissing } from '../../scripts/chromium.mjs';

/** Browsers resolve workspace packages to their sources too, but with browser conditions (never `node`). */
const browserConditions = ['@video-gallery/source', 'browser', 'module', 'import', 'default'];

/** A fresh browser-mode config (each project needs its own object). */
export function chromiumBrowser() {
  return {
    enabled: true,
    headless: true,
    screenshotFailures: false,
    provider: playwright({ launchOptions: chromiumLaunchOptions }),
    instances: [{ browser: 'chromium' as const }],
  };
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const storybookDir = fileURLToPath(new URL('./.storybook', import.meta.url));

/**
 * The `browser` project: every `*.browser.test.ts` of the workspace, in Debian Chromium. Without Chromium it
 * is left out with a loud warning (and a skipped placeholder test), or fails the run when `VG_REQUIRE_ALL=1`.
 */
export function browserProjects(): TestProjectInlineConfiguration[] {
  const missing = chromiumMissing('browser tests of @video-gallery/elements are');
  if (missing) {
    return [{ test: { name: 'browser (skipped: no Chromium)', root, include: ['packages/elements/test/no-chromium.placeholder.ts'] } }];
  }
  return [
    {
      resolve: { conditions: browserConditions },
      test: {
        name: 'browser',
        root,
        include: ['packages/*/src/**/*.browser.test.ts'],
        exclude: ['**/node_modules/**', '**/dist/**'],
        testTimeout: 30_000,
        browser: chromiumBrowser(),
      },
    },
    {
      // Every story of packages/elements, its play function included, as a test (@storybook/addon-vitest).
      plugins: [storybookTest({ configDir: storybookDir })],
      resolve: { conditions: browserConditions },
      test: { name: 'storybook', testTimeout: 30_000, browser: chromiumBrowser() },
    },
  ];
}
