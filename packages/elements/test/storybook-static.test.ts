// The static Storybook, as it is published: `storybook build` offline into a temporary directory, then every
// story of the build opened from that directory in Debian's Chromium. (The storybook vitest project runs the
// stories' play functions from the sources; this checks that the offline build itself is complete and works.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumLaunchOptions, chromiumMissing } from '../../../scripts/chromium.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const missing = chromiumMissing('the static Storybook test is');

/** Story exports of every `*.stories.ts`: the build must hold exactly these. */
function storyExports(): { importPath: string; exportName: string }[] {
  const found: { importPath: string; exportName: string }[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(packageDir, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.stories.ts')) {
        for (const match of readFileSync(join(packageDir, path), 'utf8').matchAll(/^export const (\w+): Story\b/gm)) {
          found.push({ importPath: `./${path}`, exportName: match[1]! });
        }
      }
    }
  };
  walk('src');
  return found;
}

function buildStorybook(outDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const bin = join(packageDir, 'node_modules/storybook/dist/bin/dispatcher.js');
    const child = spawn(process.execPath, [bin, 'build', '-o', outDir, '--quiet', '--disable-telemetry'], {
      cwd: packageDir, env: { ...process.env, NODE_OPTIONS: '', STORYBOOK_DISABLE_TELEMETRY: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`storybook build failed (exit ${code}):\n${output}`))));
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.mp4': 'video/mp4', '.png': 'image/png', '.jpg': 'image/jpeg' };

/** A static file server for the build, on loopback. */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe.skipIf(missing !== null)('static Storybook (storybook build, offline)', () => {
  let outDir: string;
  let server: Server;
  let browser: Browser;
  let origin: string;
  let index: { entries: Record<string, { id: string; type: string; importPath: string; exportName: string }> };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'vg-storybook-'));
    await buildStorybook(outDir);
    index = JSON.parse(readFileSync(join(outDir, 'index.json'), 'utf8')) as typeof index;
    server = await serve(outDir);
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch(chromiumLaunchOptions);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('holds every story of the sources, and nothing else', () => {
    const built = Object.values(index.entries).filter((e) => e.type === 'story').map((e) => `${e.importPath}#${e.exportName}`).sort();
    const expected = storyExports().map((s) => `${s.importPath}#${s.exportName}`).sort();
    expect(expected.length).toBeGreaterThanOrEqual(20);
    expect(built).toEqual(expected);
  });

  it('renders every story from the build in Chromium, without errors', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    const stories = Object.values(index.entries).filter((e) => e.type === 'story');
    for (const story of stories) {
      const errors: string[] = [];
      const onError = (error: Error): void => void errors.push(String(error));
      page.on('pageerror', onError);
      await page.goto(`${origin}/iframe.html?id=${story.id}&viewMode=story`);
      // The story root holds one of the elements, upgraded (a shadow root with content).
      const rendered = await page.waitForFunction(() => {
        const element = document.querySelector('#storybook-root video-gallery, #storybook-root generate-form');
        return Boolean(element?.shadowRoot && element.shadowRoot.childElementCount > 0);
      }, undefined, { timeout: 10_000 }).then(() => true, () => false);
      page.off('pageerror', onError);
      if (!rendered) failures.push(`${story.id}: no upgraded element in #storybook-root`);
      for (const error of errors) failures.push(`${story.id}: ${error}`);
    }
    expect(failures).toEqual([]);
    expect(stories.length).toBeGreaterThanOrEqual(20);
  }, 180_000);
});
