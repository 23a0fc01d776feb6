// `@video-gallery/elements/standalone` as a page with no bundler uses it: one <script type="module"> pointing at the
// built dist/standalone.js, the gallery API next to it, in Debian's Chromium. The file must need nothing else (no
// bare imports, no second request), register both elements, and drive a real gallery: list, generate, live update.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEntryStore, createMemoryStorage, VideoGallery } from '@video-gallery/core';
import { toNodeListener } from '@video-gallery/core/node';
import { createGalleryHandler } from '@video-gallery/core/server';
import { createFakeProvider, makeEntry } from '@video-gallery/core/testing';
import { chromiumLaunchOptions, chromiumMissing } from '../../../scripts/chromium.mjs';
import { importSpecifiers } from '../../../scripts/module-imports.mjs';

const standaloneFile = fileURLToPath(new URL('../dist/standalone.js', import.meta.url));
const missing = chromiumMissing('the standalone-file test is');

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>standalone</title>
<script type="module" src="/vendor/video-gallery.js"></script></head>
<body><video-gallery src="/api/gallery"><generate-form></generate-form></video-gallery></body></html>`;

describe.skipIf(missing !== null)('@video-gallery/elements/standalone (dist/standalone.js) in a page without a bundler', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let gallery: VideoGallery;
  const requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(standaloneFile)) throw new Error(`${standaloneFile} is missing: run \`pnpm build\` first (the test loads the built file).`);
    const store = createMemoryEntryStore();
    await store.insert(makeEntry({ owner: 'ann', status: 'failed', request: { provider: 'fake', model: 'fake-1', prompt: 'An older clip that failed' }, error: { code: 'provider_error', message: 'Upstream error.', retryable: true } }));
    gallery = new VideoGallery({
      providers: [createFakeProvider()], storage: createMemoryStorage(), store, poll: { initialDelayMs: 20, maxDelayMs: 20, jitter: 0 }, logger: { warn: () => {} },
    });
    const api = toNodeListener(createGalleryHandler(gallery, { basePath: '/api/gallery', authenticate: () => 'ann' }));
    const script = readFileSync(standaloneFile);
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      if (req.url?.startsWith('/api/gallery')) return api(req, res);
      if (req.url === '/vendor/video-gallery.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch(chromiumLaunchOptions);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await gallery?.close();
  });

  it('is one self-contained file: no bare imports, nothing else to fetch', () => {
    const code = readFileSync(standaloneFile, 'utf8');
    expect(importSpecifiers(code)).toEqual([]);
    expect(code).toContain('customElements');
  });

  it('registers both elements, lists the gallery, and a job from the form appears and goes live to ready', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(origin);
    expect(await page.evaluate(() => [Boolean(customElements.get('video-gallery')), Boolean(customElements.get('generate-form'))])).toEqual([true, true]);
    const cards = page.locator('video-gallery [role="gridcell"]');
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(1);
    expect(await cards.first().getAttribute('part')).toContain('card-failed');

    await page.locator('generate-form').getByRole('textbox', { name: 'Prompt' }).fill('A kite over the dunes');
    await page.locator('generate-form button[part="submit"]').click();
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => cards.first().getAttribute('part'), { timeout: 30_000 }).toContain('card-ready');
    expect(await cards.first().textContent()).toContain('A kite over the dunes');

    const scripts = requested.filter((url) => url.endsWith('.js'));
    expect(scripts).toEqual(['/vendor/video-gallery.js']);
    expect(errors).toEqual([]);
  }, 60_000);
});
