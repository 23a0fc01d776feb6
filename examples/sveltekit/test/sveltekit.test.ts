// The SvelteKit example: `vite build` (adapter-node), then `node build` on a free loopback port.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing } from '../../../scripts/chromium.mjs';
import { freePort, ffmpegOrSkip, generateWatchDelete, requireBuiltPackages, signIn, startApp, type RunningApp } from '../../express/test/app-flow.js';
import { firstCard, generate, launchChromium, signInInBrowser, watchFirstCard } from '../../express/test/browser-flow.js';

const exampleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ffmpeg = await ffmpegOrSkip('sveltekit example tests');

function viteBuild(): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(exampleDir, 'node_modules/vite/bin/vite.js'), 'build'], {
      cwd: exampleDir, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', rej);
    child.once('exit', (code) => (code === 0 ? res() : rej(new Error(`vite build failed (exit ${code}):\n${output}`))));
  });
}

/** Every file under a directory, for looking into the client build. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)]));
}

describe.skipIf(!ffmpeg)('examples/sveltekit', () => {
  let app: RunningApp;
  let dataDir: string;

  beforeAll(async () => {
    requireBuiltPackages();
    await viteBuild();
    dataDir = mkdtempSync(join(tmpdir(), 'vg-sveltekit-'));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    app = await startApp({
      command: process.execPath,
      args: ['build'],
      cwd: exampleDir,
      env: {
        PORT: String(port), HOST: '127.0.0.1', ORIGIN: origin, VIDEO_GALLERY_DATA_DIR: dataDir, SESSION_SECRET: 'test-secret',
        // A stream left open would hold the shutdown this long: the shutdown test fails well before.
        SHUTDOWN_TIMEOUT: '120',
      },
      ready: /Listening on http:\/\/\S+/,
      origin,
    });
  }, 240_000);

  afterAll(async () => {
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('renders the sign-in page on the server and the elements after sign-in; the client code is only in the browser build', async () => {
    const anonymous = await (await fetch(`${app.origin}/`)).text();
    expect(anonymous).toContain('action="/auth/sign-in"');
    const cookie = await signIn(app.origin, 'carol');
    const page = await (await fetch(`${app.origin}/`, { headers: { cookie } })).text();
    expect(page).toContain('Signed in as carol');
    // The server renders the tags; the browser upgrades them (the elements are imported in onMount).
    expect(page).toMatch(/<video-gallery[^>]*src="\/api\/gallery"/);
    expect(page).toContain('<generate-form');
    const clientFiles = filesUnder(join(exampleDir, 'build/client')).filter((f) => f.endsWith('.js'));
    expect(clientFiles.some((f) => readFileSync(f, 'utf8').includes('Video-Gallery-Request'))).toBe(true);
    const serverFiles = filesUnder(join(exampleDir, 'build/server')).filter((f) => f.endsWith('.js'));
    expect(serverFiles.some((f) => readFileSync(f, 'utf8').includes('Video-Gallery-Request'))).toBe(false);
  });

  it('generates, plays (Range), hides from other users and deletes a video', async () => {
    await generateWatchDelete(app.origin);
  });

  const noBrowser = chromiumMissing('the SvelteKit in-browser test is');
  it.skipIf(noBrowser !== null)('in Chromium: the elements upgrade after hydration, and a job from the form becomes a ready card', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await signInInBrowser(page, app.origin, 'frank');
      await expect.poll(() => page.locator('generate-form select[name="durationSeconds"] option').count(), { timeout: 15_000 }).toBe(10);
      await generate(page, 'A red fox trotting through fresh snow', { duration: '1' });
      const seen = await watchFirstCard(page, 60_000);
      expect(seen.at(-1), `statuses seen: ${seen.join(' → ')}`).toBe('ready');
      // The page listens to the elements' bubbling events.
      expect(await page.locator('.notice').textContent()).toBe('Started: A red fox trotting through fresh snow');
      await expect.poll(() => firstCard(page).locator('img[part~="thumbnail"]').evaluate((img: HTMLImageElement) => img.naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('shuts down gracefully on SIGTERM even with an open event stream', async () => {
    const cookie = await signIn(app.origin, 'dave');
    const stream = await fetch(`${app.origin}/api/gallery/events`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    await reader.read();
    expect(await app.stop()).toBe(0);
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
  });
});
