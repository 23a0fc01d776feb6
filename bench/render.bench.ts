/**
 * Render benchmark of `<video-gallery>`: `pnpm bench render [--entries 10000] [--runs 7]`.
 *
 * In Debian Chromium (playwright-core, executablePath /usr/bin/chromium or CHROMIUM_PATH), a `<video-gallery>`
 * gets a client whose first page holds all `--entries` entries. Measured, per run, in a fresh page:
 *   - time to first render: from appending the element to the first committed render with cards, laid out
 *     (the list answer, both render passes of the virtual grid, style and layout), median of the runs;
 *   - the DOM node count of the element (its shadow tree) and of the whole document afterwards;
 *   - the time to re-render after jumping to the middle of the list (scroll).
 * Baselines measured in the same run and page setup:
 *   - the same element with 24 entries (one page): how the time grows with the entry count;
 *   - a naive render: the same 10,000 cards as plain HTML without windowing (innerHTML), laid out.
 * Targets: first render ≤ 100 ms and fewer than 2,000 DOM nodes with 10,000 entries.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';
import type * as PlaywrightCore from 'playwright-core';
import { minifyTemplatesPlugin } from '../packages/elements/build/minify-templates.mjs';
import { chromiumLaunchOptions, chromiumPath, hasChromium } from '../scripts/chromium.mjs';

const TARGET_MS = 100;
const TARGET_NODES = 2000;

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

const ENTRIES = Number(argValue('entries', '10000'));
const RUNS = Number(argValue('runs', '7'));
const root = new URL('..', import.meta.url).pathname;
const elementsDir = join(root, 'packages/elements');
const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('tsup'))('esbuild') as typeof Esbuild;
const { chromium } = createRequire(join(elementsDir, 'package.json'))('playwright-core') as typeof PlaywrightCore;

// The page: the production build of the elements plus the mock client, and the measuring functions.
const PAGE_SCRIPT = `
import './src/index.ts';
import { MockGalleryClient, mockEntries } from './src/stories/mock-client.ts';

const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

window.renderGallery = async (count) => {
  const entries = mockEntries(count);
  const client = new MockGalleryClient({ entries });
  client.list = async () => ({ items: entries, total: entries.length, nextCursor: null });
  const element = document.createElement('video-gallery');
  element.client = client;
  element.style.setProperty('--vg-max-height', '900px');
  const loaded = new Promise((resolve) => element.addEventListener('vg-load', resolve, { once: true }));
  const start = performance.now();
  document.body.append(element);
  await loaded;
  // The first render with cards, then the second pass once the virtual grid measured its rows.
  while (!(await element.updateComplete)) { /* wait until no update is pending */ }
  const cards = element.shadowRoot.querySelectorAll('.card').length;
  void element.offsetHeight;
  const firstRender = performance.now() - start;
  await frame();
  const shadowNodes = element.shadowRoot.querySelectorAll('*').length + 1;
  const documentNodes = document.querySelectorAll('*').length + shadowNodes;
  const scrollStart = performance.now();
  element.scrollTop = element.scrollHeight / 2;
  element.dispatchEvent(new Event('scroll'));
  await frame();
  while (!(await element.updateComplete)) { /* settle */ }
  void element.offsetHeight;
  const scroll = performance.now() - scrollStart;
  const middle = element.shadowRoot.querySelector('.card')?.dataset.id;
  element.remove();
  return { firstRender, cards, shadowNodes, documentNodes, scroll, middle };
};

window.renderNaive = async (count) => {
  const entries = mockEntries(count);
  const host = document.createElement('div');
  host.style.cssText = 'display:grid;grid-template-columns:repeat(4,1fr);gap:16px;max-height:900px;overflow:auto';
  const start = performance.now();
  host.innerHTML = entries.map((e) => '<div class="card"><div style="aspect-ratio:16/9;background:#333"><img alt="" loading="lazy"><span>' + e.status
    + '</span></div><p>' + e.request.prompt + '</p><p>' + e.createdAt + '</p><button aria-pressed="false">☆</button></div>').join('');
  document.body.append(host);
  void host.offsetHeight;
  const time = performance.now() - start;
  const nodes = host.querySelectorAll('*').length + 1;
  host.remove();
  return { time, nodes };
};
`;

interface GalleryRun { firstRender: number; cards: number; shadowNodes: number; documentNodes: number; scroll: number; middle: string | undefined }

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  if (!hasChromium) {
    console.log(`Chromium not found at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH): render benchmark not run → FAIL`);
    process.exitCode = 1;
    return;
  }
  const server = createServer((request, response) => {
    const files: Record<string, [string, string]> = {
      '/': ['text/html', '<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"></body><script type="module" src="/page.js"></script></html>'],
    };
    const file = files[request.url ?? ''];
    if (file) {
      response.setHeader('content-type', file[0]);
      response.end(file[1]);
      return;
    }
    if (request.url === '/page.js') {
      response.setHeader('content-type', 'text/javascript');
      response.end(bundle);
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  const built = await esbuild.build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: elementsDir, loader: 'ts', sourcefile: 'page.ts' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false,
    conditions: ['@video-gallery/source'], logLevel: 'error', plugins: [minifyTemplatesPlugin()],
  });
  const bundle = built.outputFiles[0]!.text;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const run = async <T>(fn: string, count: number): Promise<T> => {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForFunction(() => typeof (window as unknown as { renderGallery?: unknown }).renderGallery === 'function');
      const result = await page.evaluate(([name, n]) => (window as unknown as Record<string, (n: number) => Promise<T>>)[name as string]!(n as number), [fn, count] as const);
      await page.close();
      return result;
    };
    // One warm-up of each (JIT, font and style caches), not counted.
    await run<GalleryRun>('renderGallery', ENTRIES);
    const big: GalleryRun[] = [];
    const small: GalleryRun[] = [];
    const naive: { time: number; nodes: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      big.push(await run<GalleryRun>('renderGallery', ENTRIES));
      small.push(await run<GalleryRun>('renderGallery', 24));
      naive.push(await run<{ time: number; nodes: number }>('renderNaive', ENTRIES));
    }
    const first = median(big.map((r) => r.firstRender));
    const firstSmall = median(small.map((r) => r.firstRender));
    const naiveTime = median(naive.map((r) => r.time));
    const nodes = Math.max(...big.map((r) => r.shadowNodes));
    const docNodes = Math.max(...big.map((r) => r.documentNodes));
    const scroll = median(big.map((r) => r.scroll));
    console.log(`render: <video-gallery> in Chromium (${chromiumPath}), viewport 1280×900, 4 columns, median of ${RUNS} runs (+1 warm-up)\n`);
    console.log(`${ENTRIES} entries   time to first render     ${ms(first).padStart(10)}   (runs: ${big.map((r) => r.firstRender.toFixed(1)).join(', ')})`);
    console.log(`${ENTRIES} entries   cards in the DOM         ${String(big[0]!.cards).padStart(10)}`);
    console.log(`${ENTRIES} entries   DOM nodes (element)      ${String(nodes).padStart(10)}   (whole document: ${docNodes})`);
    console.log(`${ENTRIES} entries   jump to the middle       ${ms(scroll).padStart(10)}   (re-render after scrolling to entry ~${ENTRIES / 2}, one frame included)`);
    console.log(`baseline: 24 entries    time to first render   ${ms(firstSmall).padStart(10)}   → ${ENTRIES} / 24 entries: ${(first / firstSmall).toFixed(2)}×`);
    console.log(`baseline: naive HTML    ${ENTRIES} cards, laid out ${ms(naiveTime).padStart(10)}   ${median(naive.map((r) => r.nodes))} nodes → gallery / naive: ${(first / naiveTime).toFixed(2)}× time, ${(nodes / median(naive.map((r) => r.nodes))).toFixed(3)}× nodes`);
    const passTime = first <= TARGET_MS;
    const passNodes = nodes < TARGET_NODES;
    console.log(`\ntarget: first render ≤ ${TARGET_MS} ms → ${ms(first)} ${passTime ? 'PASS' : 'FAIL'}`);
    console.log(`target: DOM nodes < ${TARGET_NODES} → ${nodes} ${passNodes ? 'PASS' : 'FAIL'}`);
    if (!passTime || !passNodes) process.exitCode = 1;
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
