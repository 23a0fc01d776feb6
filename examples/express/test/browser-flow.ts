// Shared by the examples' browser tests (express e2e, sveltekit): drive the demo sign-in and the two web
// components in a page, through playwright-core locators (which pierce open shadow roots).
import { createRequire } from 'node:module';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeOptions, describeViolations } from '../../../scripts/axe.mjs';
import { chromiumLaunchOptions } from '../../../scripts/chromium.mjs';

/** Debian's Chromium, headless, with the flags every browser test here uses (scripts/chromium.mjs). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions);
}

/** The first card of the grid (newest first), and its status as its `part` attribute says (`card card-<status>`). */
export const firstCard = (page: Page): Locator => page.locator('video-gallery [role="gridcell"]').first();
export async function cardStatus(card: Locator): Promise<string | null> {
  const part = await card.getAttribute('part', { timeout: 1000 }).catch(() => null);
  return /card-(\w+)/.exec(part ?? '')?.[1] ?? null;
}

/** Signs in through the page's demo form (both examples have the same one) and waits for the signed-in header. */
export async function signInInBrowser(page: Page, origin: string, name: string): Promise<void> {
  await page.goto(origin);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => page.locator('header').textContent()).toContain(`Signed in as ${name}`);
}

/** Fills the prompt of <generate-form> (playwright's locators pierce open shadow roots) and submits. */
export async function generate(page: Page, prompt: string, options: { duration?: string; aspectRatio?: string } = {}): Promise<void> {
  const form = page.locator('generate-form');
  await form.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  if (options.duration) await form.locator('select[name="durationSeconds"]').selectOption(options.duration);
  if (options.aspectRatio) await form.locator('select[name="aspectRatio"]').selectOption(options.aspectRatio);
  const submit = form.locator('button[part="submit"]');
  await expect.poll(() => submit.isEnabled()).toBe(true);
  await submit.click();
}

/**
 * Follows the first card (the newest job) until it is ready or failed, or `timeoutMs` passes, and returns the
 * statuses it showed, in order, without repeats.
 */
export async function watchFirstCard(page: Page, timeoutMs: number): Promise<string[]> {
  const seen: string[] = [];
  const card = firstCard(page);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await cardStatus(card);
    if (status && seen.at(-1) !== status) seen.push(status);
    if (status === 'ready' || status === 'failed' || Date.now() > deadline) return seen;
    await page.waitForTimeout(50);
  }
}

/**
 * axe-core's WCAG 2.1 A/AA violations on the page as it is now (shadow roots included), one line per failing node.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  }
  const results = await page.evaluate(async (options) => {
    const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<Parameters<typeof describeViolations>[0]> } };
    const { violations } = await axe.run(document, options);
    // Only what the report needs crosses back from the page.
    return { violations: violations.map(({ id, impact, nodes }) => ({ id, impact, nodes: nodes.map(({ target, failureSummary }) => ({ target, failureSummary })) })) };
  }, axeOptions);
  return describeViolations(results);
}
