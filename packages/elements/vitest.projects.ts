// Vitest projects of @video-gallery/elements, spread into the root vitest.config.ts `test.projects`. They live
// here because this package owns the browser-testing dependencies (@vitest/browser-playwright, Storybook).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/** Debian Chromium (tooling.md §3); `CHROMIUM_PATH` overrides it. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether a Chromium to run browser tests in is present. */
export const hasChromium = existsSync(chromiumPath);
/** Flags for a headless Chromium in a container. */
export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required',
];

/** Browsers resolve workspace packages to their sources too, but with browser conditions (never `node`). */
const browserConditions = ['@video-gallery/source', 'browser', 'module', 'import', 'default'];

/** A fresh browser-mode config (each project needs its own object). */
export function chromiumBrowser() {
  return {
    enabled: true,
    headless: true,
    screenshotFailures: false,
    provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
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
  if (!hasChromium) {
    const reason = `Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH): browser tests of @video-gallery/elements are skipped.`;
    if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`VG_REQUIRE_ALL=1: ${reason}`);
    console.warn(`\n⚠ ${reason}\n`);
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
