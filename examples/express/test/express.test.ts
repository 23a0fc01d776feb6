// The Express example, started as `node src/server.js` (the README's start command) on a free loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegOrSkip, generateWatchDelete, requireBuiltPackages, signIn, startApp, type RunningApp } from './app-flow.js';
import { importSpecifiers } from '../../../scripts/module-imports.mjs';

const exampleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ffmpeg = await ffmpegOrSkip('express example tests');

describe.skipIf(!ffmpeg)('examples/express', () => {
  let app: RunningApp;
  let dataDir: string;

  beforeAll(async () => {
    requireBuiltPackages();
    dataDir = mkdtempSync(join(tmpdir(), 'vg-express-'));
    app = await startApp({
      command: process.execPath,
      args: ['src/server.js'],
      cwd: exampleDir,
      env: { PORT: '0', HOST: '127.0.0.1', VIDEO_GALLERY_DATA_DIR: dataDir, SESSION_SECRET: 'test-secret' },
      ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    });
  });

  afterAll(async () => {
    await app?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the page and the web components in one file (@video-gallery/elements/standalone)', async () => {
    const page = await fetch(`${app.origin}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<video-gallery');
    expect(html).toContain('<generate-form>');
    expect(html).toContain('<script type="module" src="/vendor/video-gallery.js"></script>');
    const script = await fetch(`${app.origin}/vendor/video-gallery.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const etag = script.headers.get('etag');
    expect(etag).toBeTruthy();
    const code = await script.text();
    // Everything the page needs: both elements, lit, and the browser client (no bare imports left).
    expect(code).toContain('customElements');
    expect(code).toContain('Video-Gallery-Request');
    expect(importSpecifiers(code).filter((specifier) => !/^\.{0,2}\//.test(specifier))).toEqual([]);
    // Revalidation answers 304 (node:http here: fetch adds `Cache-Control: no-cache` to a request with If-None-Match,
    // which makes any server send the whole file again).
    const revalidated = await new Promise<number | undefined>((resolve, reject) => {
      get(`${app.origin}/vendor/video-gallery.js`, { headers: { 'if-none-match': etag! } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(revalidated).toBe(304);
    // The page's own script imports nothing.
    expect(await (await fetch(`${app.origin}/app.js`)).text()).not.toMatch(/^\s*import\b/m);
    expect(await (await fetch(`${app.origin}/auth/me`)).json()).toEqual({ name: null });
    const cookie = await signIn(app.origin, 'carol');
    expect(await (await fetch(`${app.origin}/auth/me`, { headers: { cookie } })).json()).toEqual({ name: 'carol' });
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(await (await fetch(`${app.origin}/auth/me`, { headers: { cookie: forged } })).json()).toEqual({ name: null });
    const out = await fetch(`${app.origin}/auth/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^vg_session=;.*Max-Age=0/);
  });

  it('generates, plays (Range), hides from other users and deletes a video', async () => {
    await generateWatchDelete(app.origin);
  });

  it('shuts down gracefully on SIGTERM even with an open event stream', async () => {
    const cookie = await signIn(app.origin, 'dave');
    const stream = await fetch(`${app.origin}/api/gallery/events`, { headers: { cookie, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    await reader.read(); // the first frame
    expect(await app.stop()).toBe(0);
    expect(app.output()).toContain('SIGTERM: shutting down');
    // The server ended the stream rather than leaving it hanging.
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
  });
});
