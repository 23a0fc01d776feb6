// End to end, as a user sees it: the Express example (`node src/server.js`) in Debian's Chromium driven by
// playwright-core. Sign in, generate with the local provider in <generate-form>, watch the card in
// <video-gallery> go from queued to ready, play the video (its currentTime advances), download it, delete it.
// With VG_UPDATE_SCREENSHOTS=1 (`pnpm screenshots`) it also writes the README's screenshots to docs/images/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing } from '../../../scripts/chromium.mjs';
import { ffmpegOrSkip, repoRoot, requireBuiltPackages, startApp, type RunningApp } from './app-flow.js';
import { accessibilityViolations, firstCard, generate, launchChromium, signInInBrowser, watchFirstCard } from './browser-flow.js';

const exampleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const noBrowser = chromiumMissing('the Express end-to-end test is');
const tools = await ffmpegOrSkip('examples/express end-to-end');
const missing = noBrowser ?? (tools ? null : 'no ffmpeg');
const ffprobe = tools?.ffprobe;

const updateScreenshots = process.env.VG_UPDATE_SCREENSHOTS === '1';
const imagesDir = join(repoRoot, 'docs/images');

describe.skipIf(missing !== null)('examples/express in Chromium (end to end)', () => {
  let app: RunningApp;
  let dataDir: string;
  let downloads: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    requireBuiltPackages();
    dataDir = mkdtempSync(join(tmpdir(), 'vg-e2e-'));
    downloads = mkdtempSync(join(tmpdir(), 'vg-e2e-downloads-'));
    app = await startApp({
      command: process.execPath,
      args: ['src/server.js'],
      cwd: exampleDir,
      // Some latency so that the queued and generating states are on screen long enough to be seen.
      env: { PORT: '0', HOST: '127.0.0.1', VIDEO_GALLERY_DATA_DIR: dataDir, SESSION_SECRET: 'e2e-secret', VIDEO_GALLERY_LOCAL_LATENCY_MS: '1500' },
      ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, colorScheme: 'light' });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('response', (response) => {
      if (response.status() >= 400) consoleErrors.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    for (const dir of [dataDir, downloads]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in and shows the empty gallery with the form inside it', async () => {
    await signInInBrowser(page, app.origin, 'erin');
    // The form has loaded the capabilities: the local renderer's durations (1 to 10 s) are offered. (With one
    // provider and one model, the form shows no provider or model picker.)
    const durations = page.locator('generate-form select[name="durationSeconds"] option');
    await expect.poll(() => durations.count(), { timeout: 15_000 }).toBe(10);
    await expect.poll(() => page.locator('video-gallery').getByText('No videos yet', { exact: false }).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  it('generates: the card goes from queued to ready, live', async () => {
    await generate(page, 'A paper boat drifting across a calm lake at sunset', { duration: '3' });
    const seen = await watchFirstCard(page, 90_000);
    expect(seen.at(-1), `statuses seen: ${seen.join(' → ')}`).toBe('ready');
    // The card appeared at once, before the job ran (the form's new job is inserted, not waited for).
    expect(['queued', 'submitting'], `statuses seen: ${seen.join(' → ')}`).toContain(seen[0]);
    expect(seen.length, `statuses seen: ${seen.join(' → ')}`).toBeGreaterThan(1);
    // A ready card has its poster (the thumbnail ffmpeg made).
    const poster = firstCard(page).locator('img[part~="thumbnail"]');
    await expect.poll(() => poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 15_000 }).toBe(true);
    // The whole page, the app's own markup and styles included, passes an axe-core WCAG 2.1 AA audit.
    expect(await accessibilityViolations(page)).toEqual([]);
  }, 120_000);

  it('plays the video in the player dialog (currentTime advances)', async () => {
    await firstCard(page).click();
    const dialog = page.locator('video-gallery dialog[part="dialog"]');
    await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(true);
    const video = dialog.locator('video[part="player"]');
    await video.evaluate(async (v: HTMLVideoElement) => {
      v.muted = true;
      if (v.paused) await v.play();
    });
    await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 15_000 }).toBeGreaterThan(0.5);
    const state = await video.evaluate((v: HTMLVideoElement) => ({ error: v.error?.code ?? null, width: v.videoWidth, height: v.videoHeight, duration: v.duration }));
    expect(state.error).toBeNull();
    expect(state.width).toBeGreaterThan(0);
    expect(state.height).toBeGreaterThan(0);
    expect(state.duration).toBeGreaterThan(2.5);
    expect(await accessibilityViolations(page)).toEqual([]);
  }, 60_000);

  it('downloads the video: a real MP4 that ffprobe reads', async () => {
    const dialog = page.locator('video-gallery dialog[part="dialog"]');
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.locator('a[part="download"]').click()]);
    // The server names the file after the prompt (Content-Disposition).
    expect(download.suggestedFilename()).toMatch(/^A paper boat drifting.*\.mp4$/);
    const file = join(downloads, download.suggestedFilename());
    await download.saveAs(file);
    expect(statSync(file).size).toBeGreaterThan(1000);
    expect(readFileSync(file).subarray(4, 8).toString('latin1')).toBe('ftyp');
    const probe = JSON.parse(execFileSync(ffprobe!, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { encoding: 'utf8' })) as {
      streams: { codec_type: string; codec_name: string }[];
      format: { duration: string };
    };
    expect(probe.streams.find((s) => s.codec_type === 'video')?.codec_name).toBe('h264');
    expect(Number(probe.format.duration)).toBeGreaterThan(2.5);
  }, 60_000);

  it('deletes it behind a confirmation; the card and the API entry are gone', async () => {
    const dialog = page.locator('video-gallery dialog[part="dialog"]');
    await dialog.locator('button[data-action="delete"]').click();
    await expect.poll(() => dialog.locator('[part="confirm"]').isVisible()).toBe(true);
    await dialog.locator('[part="confirm"] button.danger').click();
    await expect.poll(() => dialog.evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    await expect.poll(() => page.locator('video-gallery [role="gridcell"]').count()).toBe(0);
    const list = await page.evaluate(async () => (await fetch('/api/gallery/generations')).json() as Promise<{ total: number }>);
    expect(list.total).toBe(0);
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it('generates from a first and a last frame (the local renderer cross-fades between them)', async () => {
    const first = join(downloads, 'first.png');
    const last = join(downloads, 'last.png');
    execFileSync(tools!.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x1040c0:s=640x360', '-frames:v', '1', first]);
    execFileSync(tools!.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0xe0a020:s=640x360', '-frames:v', '1', last]);
    const form = page.locator('generate-form');
    await form.getByRole('radio', { name: 'First + last frame' }).check();
    await form.locator('input[type="file"][name="image"]').setInputFiles(first);
    await form.locator('input[type="file"][name="lastFrame"]').setInputFiles(last);
    await expect.poll(() => form.locator('img[part="preview"]').count()).toBe(2);
    await generate(page, 'Dusk turns to dawn', { duration: '2' });
    const seen = await watchFirstCard(page, 90_000);
    expect(seen.at(-1), `statuses seen: ${seen.join(' → ')}`).toBe('ready');
    const entry = await page.evaluate(async () => ((await (await fetch('/api/gallery/generations?limit=1')).json()) as { items: { request: Record<string, unknown> }[] }).items[0]!.request);
    expect(entry).toMatchObject({ prompt: 'Dusk turns to dawn', image: { mediaType: 'image/png' }, lastFrame: { mediaType: 'image/png' } });
    expect(consoleErrors).toEqual([]);
    // Back to text mode for what follows.
    await form.getByRole('radio', { name: 'Text' }).check();
  }, 120_000);

  // Not a check, a tool: only defined when asked for, so that normal runs do not count it as skipped.
  if (updateScreenshots) it('writes the screenshots of docs/images (VG_UPDATE_SCREENSHOTS=1)', async () => {
    mkdirSync(imagesDir, { recursive: true });
    const shots = [
      { prompt: 'Neon koi fish circling in a midnight pond', aspectRatio: '16:9' },
      { prompt: 'A lighthouse on a cliff in a storm, waves crashing', aspectRatio: '9:16' },
      { prompt: 'Slow pan over a snowy mountain village at dawn', aspectRatio: '16:9' },
      { prompt: 'A hummingbird hovering at a red flower, macro', aspectRatio: '1:1' },
      { prompt: 'Time-lapse of clouds over a desert canyon', aspectRatio: '16:9' },
    ];
    for (const shot of shots) await generate(page, shot.prompt, { duration: '2', aspectRatio: shot.aspectRatio });
    await expect.poll(async () => {
      const parts = await page.locator('video-gallery [role="gridcell"]').evaluateAll((cells) => cells.map((c) => c.getAttribute('part')));
      return parts.filter((p) => p?.includes('card-ready')).length;
    }, { timeout: 120_000 }).toBe(shots.length);
    // One job still running, so the screenshot shows a progress bar and a status badge too.
    await generate(page, 'Aerial shot of a winding river through autumn forest', { duration: '2' });
    await page.waitForTimeout(600);
    for (const theme of ['light', 'dark'] as const) {
      await page.selectOption('#theme', theme);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(imagesDir, `gallery-${theme}.jpg`), type: 'jpeg', quality: 88 });
      await page.locator('generate-form').screenshot({ path: join(imagesDir, `generate-form-${theme}.png`) });
      // The player dialog of a ready video, played to about 1 s and paused with its data buffered, so that the
      // picture shows no loading spinner.
      await page.locator('video-gallery [role="gridcell"][part~="card-ready"]').first().click();
      const player = page.locator('video-gallery dialog[part="dialog"] video[part="player"]');
      await player.evaluate(async (v: HTMLVideoElement) => {
        v.muted = true;
        if (v.paused) await v.play();
        while (v.currentTime < 1) await new Promise((resolve) => setTimeout(resolve, 20));
        v.pause();
        while (v.readyState < 4) await new Promise((resolve) => setTimeout(resolve, 20));
      });
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(imagesDir, `player-${theme}.jpg`), type: 'jpeg', quality: 88 });
      await page.keyboard.press('Escape');
      await expect.poll(() => page.locator('video-gallery dialog[part="dialog"]').evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    }
  }, 240_000);
});
