// Debian's Chromium for everything that drives a browser here: vitest browser mode, Storybook tests, the
// render benchmark and the examples' end-to-end tests (see ../shared/tooling.md §3). Playwright cannot download
// its own browser on these machines, so every launch points at this executable.
import { existsSync } from 'node:fs';

/** The Chromium executable: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether that Chromium is present. */
export const hasChromium = existsSync(chromiumPath);

/** Flags for a headless Chromium in a container (no sandbox, no GPU, no background traffic). */
export const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required',
];

/** Launch options for playwright's `chromium.launch()` (and vitest's playwright provider). */
export const chromiumLaunchOptions = { executablePath: chromiumPath, args: chromiumArgs };

/**
 * Why browser tests cannot run (after printing it as a warning), or `null` when they can. With `VG_REQUIRE_ALL=1` (set by .ci/run) a missing
 * Chromium throws instead, so CI never passes by skipping.
 * @param {string} what the tests that need it, for the message
 * @returns {string | null}
 */
export function chromiumMissing(what) {
  if (hasChromium) return null;
  const reason = `Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH): ${what} skipped.`;
  if (process.env.VG_REQUIRE_ALL === '1') throw new Error(`VG_REQUIRE_ALL=1: ${reason}`);
  console.warn(`\n⚠ ${reason}\n`);
  return reason;
}
